package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func unusedCommitment(l *Line) bool { return l.CommitmentDiscountStatus == "Unused" }

func azureUnusedReservation() *Rule {
	return &Rule{
		ID: "azure.capacity.unused_reservation", Code: "Z19", Version: 1,
		Title:       "Unused Azure reservation or savings plan",
		Description: "Amortized cost exports bill the unused part of a reservation or savings plan as UnusedReservation / UnusedSavingsPlan charges (FOCUS CommitmentDiscountStatus Unused).",
		Signal:      "lines with CommitmentDiscountStatus Unused on any of the last unused_days days",
		Provider:    valdrix.Azure, Types: []string{"azure.capacity.reservation"}, Data: DataBilling,
		Thresholds:    unusedThresholds("rules.md Z19: ChargeType UnusedReservation / UnusedSavingsPlan; FOCUS CommitmentDiscountStatus Unused"),
		Action:        Action{Kind: ActionExchange, Reversible: false, Description: "Exchange the reservation for one that matches running VMs, or trade it in for a savings plan."},
		SavingsMethod: "the monthly cost of the unused commitment lines (" + savingsLines + ")",
		Confidence:    0.95,
		Billing:       unusedCommitment,
		Evaluate:      func(s *Subject) Verdict { return unusedLines(s, unusedCommitment) },
	}
}
