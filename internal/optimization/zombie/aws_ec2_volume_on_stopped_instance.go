package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func awsVolumeOnStoppedInstance() *Rule {
	return &Rule{
		ID: "aws.ec2.volume_on_stopped_instance", Code: "A5", Version: 1,
		Title:       "EBS volume of a long-stopped instance",
		Description: "A stopped instance costs nothing for compute, but its volumes are billed in full. A volume whose instances have all been stopped for a month is paid-for storage nobody uses.",
		Signal:      "in-use volume whose attached instances are all stopped for more than stopped_days",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.volume"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("stopped_days", 30, "instances stopped for longer than this", "AWS Config ec2-stopped-instance (AllowedDays 30); Trusted Advisor"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the volume, then delete it (or terminate the instance, see the stopped-instance rule)."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Evaluate: func(s *Subject) Verdict {
			if s.State != "in-use" {
				return OK("the volume is " + s.State)
			}
			ids := attrList(s, "attached_instance_ids")
			if len(ids) == 0 {
				return missing("attached_instance_ids")
			}
			return diskOnStoppedVM(s, ids, []string{"stopped"})
		},
	}
}
