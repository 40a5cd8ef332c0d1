package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

const volumesByInstance = "aws.ec2.volume.attached_instance_ids"

func awsStoppedInstance() *Rule {
	return &Rule{
		ID: "aws.ec2.stopped_instance", Code: "A13", Version: 1,
		Title:       "EC2 instance stopped for a month",
		Description: "A stopped instance is not billed for compute, but its EBS volumes are. After a month stopped it is usually forgotten.",
		Signal:      "state stopped and stopped_at older than stopped_days",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.instance"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("stopped_days", 30, "instances stopped for longer than this", "AWS Config ec2-stopped-instance (AllowedDays 30); Trusted Advisor"),
		},
		Action:        Action{Kind: ActionTerminate, Reversible: false, Description: "Create an AMI (snapshots of its volumes), then terminate the instance and delete its volumes."},
		SavingsMethod: "the monthly cost of the instance's attached volumes (" + savingsRelated + ")",
		Confidence:    0.9,
		Indexes:       []Index{{Name: volumesByInstance, Types: []string{"aws.ec2.volume"}, Keys: listKeys("attached_instance_ids")}},
		Evaluate: func(s *Subject) Verdict {
			return stoppedVM(s, []string{"stopped"}, volumesByInstance)
		},
	}
}
