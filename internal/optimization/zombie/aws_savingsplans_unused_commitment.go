package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func spFee(l *Line) bool {
	return l.ChargeFrequency == "Recurring" && l.CommitmentDiscountType == "Savings Plan"
}

func awsUnusedSavingsPlan() *Rule {
	return &Rule{
		ID: "aws.savingsplans.unused_commitment", Code: "A32", Version: 1,
		Title:       "Unused savings plan commitment",
		Description: "A savings plan bills its hourly commitment in full; the part no eligible usage consumed is lost. The fee line's effective cost is savings_plan_total_commitment_to_date − savings_plan_used_commitment.",
		Signal:      "SavingsPlanRecurringFee lines whose effective (unused) cost is at least min_unused_percent of the fee",
		Provider:    valdrix.AWS, Types: []string{"aws.savingsplans.savings_plan"}, Data: DataBilling,
		Thresholds:    []Threshold{minUnusedPercent("rules.md A32: savings_plan_total_commitment_to_date − savings_plan_used_commitment")},
		Action:        Action{Kind: ActionReview, Reversible: false, Description: "Shift eligible workloads onto the plan; size the next purchase to the used commitment."},
		SavingsMethod: savingsUnused,
		Confidence:    0.9,
		Billing:       spFee,
		Evaluate:      func(s *Subject) Verdict { return unusedFee(s, spFee) },
	}
}
