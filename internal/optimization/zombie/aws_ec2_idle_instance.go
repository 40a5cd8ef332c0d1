package zombie

import (
	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var ec2Idle = vmIdle{
	running: []string{"running"}, namespace: "AWS/EC2", cpu: "CPUUtilization", net: "NetworkOut", cpuScale: 1, netStat: "Sum",
	dimensions: func(s *Subject) []cloud.Dimension { return awsDim("InstanceId", s.ID) },
}

func awsIdleInstance() *Rule {
	return &Rule{
		ID: "aws.ec2.idle_instance", Code: "A11", Version: 1,
		Title:       "Idle EC2 instance",
		Description: "A running instance whose CPU stays near zero and that sends almost nothing for two weeks does no work. Missing, throttled or denied metrics give unknown, never idle.",
		Signal:      "running; mean daily CPUUtilization below cpu_percent and NetworkOut at most network_bytes_per_day on every day of window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.instance"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds:    vmIdleThresholds(),
		Action:        Action{Kind: ActionStop, Reversible: true, Description: "Stop the instance (terminate it once nobody claims it)."},
		SavingsMethod: "the instance's monthly compute cost (its own ledger lines; volumes are separate resources and stay billed while stopped)",
		Confidence:    0.85,
		Queries:       ec2Idle.queries,
		Evaluate:      ec2Idle.evaluate,
	}
}
