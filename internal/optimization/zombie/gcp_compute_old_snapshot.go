package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func gcpOldSnapshot() *Rule {
	return &Rule{
		ID: "gcp.compute.old_snapshot", Code: "G7", Version: 1,
		Title:       "Old persistent-disk snapshot",
		Description: "A snapshot older than a backup policy needs is storage paid for indefinitely.",
		Signal:      "snapshot older than max_age_days",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.snapshot"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_age_days", 90, "snapshots older than this are flagged", "thrifty compute_snapshot_max_age (90)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the snapshot (check snapshot schedules and images first)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Evaluate:      olderThanMax,
	}
}
