package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const amiSnapshots = "aws.ec2.image.snapshot_ids"

func awsOldSnapshot() *Rule {
	return &Rule{
		ID: "aws.ec2.old_snapshot", Code: "A9", Version: 1,
		Title:       "Old EBS snapshot",
		Description: "An EBS snapshot older than the retention a backup policy needs, and not backing an AMI, is storage paid for indefinitely. Snapshots whose source volume is gone (orphaned) are the surest waste.",
		Signal:      "snapshot older than max_age_days that backs no AMI of the account",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.snapshot"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_age_days", 90, "snapshots older than this are flagged", "thrifty ebs_snapshot_age_max_days (90)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the snapshot (check that no backup policy or AMI needs it)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Indexes:       []Index{{Name: amiSnapshots, Types: []string{"aws.ec2.image"}, Keys: listKeys("snapshot_ids")}},
		Evaluate: func(s *Subject) Verdict {
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("max_age_days") {
				return OK(fmt.Sprintf("%.0f days old", age), F("age_days", age))
			}
			if imgs := s.Find(amiSnapshots, s.ID); len(imgs) > 0 {
				return OK("backs image " + imgs[0].ID + " (see the unused-image rule)")
			}
			facts := []Fact{F("age_days", age)}
			out := Waste(fmt.Sprintf("%.0f days old and backs no image", age), deleteSavings(s), facts...)
			if vol, ok := s.Attr("volume_id"); ok {
				if _, exists := s.Get(vol); !exists {
					out.Facts = append(out.Facts, F("source_volume", vol+" (deleted)"))
					out.Confidence = 0.95
				} else {
					out.Facts = append(out.Facts, F("source_volume", vol))
				}
			}
			return out
		},
	}
}
