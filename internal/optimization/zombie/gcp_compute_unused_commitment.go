package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func gcpUnusedCommitment() *Rule {
	return &Rule{
		ID: "gcp.compute.unused_commitment", Code: "G13", Version: 1,
		Title:       "Underused committed use discount",
		Description: "A resource-based commitment bills its vCPUs and memory whether or not instances use them; FOCUS exports mark the unused part CommitmentDiscountStatus Unused.",
		Signal:      "lines with CommitmentDiscountStatus Unused on any of the last unused_days days",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.commitment"}, Data: DataBilling,
		Thresholds:    unusedThresholds("Flexera cud_report; rules.md G13; FOCUS CommitmentDiscountStatus Unused"),
		Action:        Action{Kind: ActionReview, Reversible: false, Description: "Move eligible workloads into the commitment's region and machine series; size renewals to the used part."},
		SavingsMethod: "the monthly cost of the commitment's unused lines (" + savingsLines + ")",
		Confidence:    0.9,
		Billing:       unusedCommitment,
		Evaluate:      func(s *Subject) Verdict { return unusedLines(s, unusedCommitment) },
	}
}
