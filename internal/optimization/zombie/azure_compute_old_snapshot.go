package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureOldSnapshot() *Rule {
	return &Rule{
		ID: "azure.compute.old_snapshot", Code: "Z12", Version: 1,
		Title:       "Old managed-disk snapshot",
		Description: "A snapshot older than a backup policy needs is storage paid for indefinitely; snapshots on premium storage cost more than twice as much as standard ones.",
		Signal:      "snapshot older than max_age_days",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.snapshot"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_age_days", 90, "snapshots older than this are flagged", "thrifty compute_snapshot_max_age (90)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the snapshot (check backup policies first)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Evaluate: func(s *Subject) Verdict {
			out := olderThanMax(s)
			if sku, _ := s.Attr("sku"); out.Outcome == OutcomeWaste && strings.HasPrefix(sku, "Premium") {
				out.Facts = append(out.Facts, F("premium_storage", fmt.Sprintf("on %s: standard storage would cost %.0f %% less", sku,
					(1-azureSnapshotStandardPerGB/azureSnapshotPremiumPerGB)*100)))
			}
			return out
		},
	}
}
