package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureUnattachedDisk() *Rule {
	return &Rule{
		ID: "azure.compute.unattached_disk", Code: "Z1", Version: 1,
		Title:       "Unattached managed disk",
		Description: "A managed disk in the Unattached state is billed for its full tier every month while no VM uses it.",
		Signal:      "disk_state is unattached for at least min_unattached_days (since last_ownership_update)",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.disk"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("min_unattached_days", 0, "disks unattached for less than this are left alone (0: any)",
				"thrifty compute_disk_unattached (any); Azure Advisor DeleteOrDowngradeUnattachedDisks (30 d)"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the disk, then delete it."},
		SavingsMethod: savingsAll,
		Confidence:    0.95,
		Evaluate: func(s *Subject) Verdict {
			st, ok := s.Attr("disk_state")
			if !ok {
				return missing("disk_state")
			}
			if st != "unattached" {
				return OK("the disk is " + st)
			}
			if n := s.Param("min_unattached_days"); n > 0 {
				since, ok := attrTime(s, "last_ownership_update")
				if !ok {
					return missing("last_ownership_update")
				}
				if !olderThan(s.Now, since, n) {
					return OK(fmt.Sprintf("unattached for %.0f days", s.DaysSince(since)))
				}
			}
			return Waste("the disk is attached to no VM", deleteSavings(s), F("disk_state", st))
		},
	}
}
