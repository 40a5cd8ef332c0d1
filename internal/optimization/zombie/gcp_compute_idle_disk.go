package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func gcpIdleDisk() *Rule {
	return &Rule{
		ID: "gcp.compute.idle_disk", Code: "G1", Version: 1,
		Title:       "Persistent disk attached to nothing",
		Description: "A persistent disk no instance uses is billed for its provisioned size every month.",
		Signal:      "no users, detached (last_detach_timestamp) or never attached (created) more than idle_days ago",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.disk"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("idle_days", 15, "disks unused for less than this are left alone", "GCP Recommender IdleResourceRecommender for disks (15 d)"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the disk, then delete it."},
		SavingsMethod: savingsAll,
		Confidence:    0.95,
		Evaluate: func(s *Subject) Verdict {
			if users := attrList(s, "users"); len(users) > 0 {
				return OK("used by " + users[0])
			}
			n := s.Param("idle_days")
			since, ok := attrTime(s, "last_detach_timestamp")
			if !ok {
				if _, attached := s.Attr("last_attach_timestamp"); attached {
					return missing("last_detach_timestamp")
				}
				if s.CreatedAt.IsZero() {
					return missing("last_detach_timestamp or a creation time")
				}
				since = s.CreatedAt // never attached
			}
			if !olderThan(s.Now, since, n) {
				return OK(fmt.Sprintf("unused for %.0f days", s.DaysSince(since)))
			}
			return Waste(fmt.Sprintf("unused for %.0f days", s.DaysSince(since)), deleteSavings(s), F("unused_since", since))
		},
	}
}
