package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureStoppedKustoCluster() *Rule {
	return &Rule{
		ID: "azure.kusto.stopped_cluster", Code: "Z16", Version: 1,
		Title:       "Data Explorer cluster stopped for months",
		Description: "A stopped Azure Data Explorer cluster no longer bills compute, but its storage is billed; one stopped for two months is probably abandoned.",
		Signal:      "state stopped for more than stopped_days (power_state_changed_at)",
		Provider:    valdrix.Azure, Types: []string{"azure.kusto.cluster"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("stopped_days", 60, "clusters stopped for longer than this", "Azure Advisor: Data Explorer clusters stopped for 60 days"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Export what must be kept, then delete the cluster."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Evaluate: func(s *Subject) Verdict {
			if !stateIs(s, "stopped") {
				return OK("the cluster is " + s.State)
			}
			if s.StateSince.IsZero() {
				return missing("power_state_changed_at")
			}
			if !olderThan(s.Now, s.StateSince, s.Param("stopped_days")) {
				return OK(fmt.Sprintf("stopped %.0f days ago", s.DaysSince(s.StateSince)))
			}
			return Waste(fmt.Sprintf("stopped for %.0f days", s.DaysSince(s.StateSince)), deleteSavings(s), F("stopped_at", s.StateSince))
		},
	}
}
