package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func unusedCapacity(l *Line) bool { return l.CapacityReservationStatus == "Unused" }

func gcpUnusedReservation() *Rule {
	return &Rule{
		ID: "gcp.compute.unused_reservation", Code: "G9", Version: 1,
		Title:       "Unused Compute Engine reservation",
		Description: "Reserved VM capacity is billed at on-demand rates whether or not instances consume it; the unused part is billed with the system label compute.googleapis.com/is_unused_reservation (FOCUS CapacityReservationStatus Unused).",
		Signal:      "lines with CapacityReservationStatus Unused on any of the last unused_days days",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.reservation"}, Data: DataBilling,
		Thresholds:    unusedThresholds("GCP Recommender idle reservations; rules.md G9: is_unused_reservation"),
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the reservation or reduce its VM count to what runs."},
		SavingsMethod: "the monthly cost of the reservation's unused lines (" + savingsLines + ")",
		Confidence:    0.95,
		Billing:       unusedCapacity,
		Evaluate:      func(s *Subject) Verdict { return unusedLines(s, unusedCapacity) },
	}
}
