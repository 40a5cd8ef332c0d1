package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func rdsCompute(l *Line) bool { return UsageTypeHas("InstanceUsage", "Multi-AZUsage")(l) }

func awsLowCPUDBInstance() *Rule {
	return &Rule{
		ID: "aws.rds.low_cpu_db_instance", Code: "A17", Version: 1,
		Title:       "Over-provisioned RDS instance",
		Description: "A database in use whose daily CPU peak stays low for a month runs on an instance class twice as large as it needs; one size down halves the instance price.",
		Signal:      "available with connections, and the mean of the daily CPUUtilization maxima below max_cpu_percent over window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.rds.db_instance"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 30, "days of metrics", "thrifty rds_db_instance_avg_cpu_utilization (30 d)"),
			percent("max_cpu_percent", 25, "a mean daily CPU peak below this is over-provisioned", "thrifty rds_db_instance_avg_cpu_utilization_low (25 %; 50 % info)"),
		},
		Action:        Action{Kind: ActionModify, Reversible: true, Description: "Modify the instance to the next smaller class (during a maintenance window)."},
		SavingsMethod: "half the instance's billed compute cost (RDS prices double with each size step)",
		Confidence:    0.7,
		Queries: func(s *Subject) []MetricSpec {
			if !stateIs(s, "available") {
				return nil
			}
			d, dims := pdays(s, "window_days"), awsDim("DBInstanceIdentifier", s.Resource.Name)
			return []MetricSpec{
				{Key: "cpu", Namespace: "AWS/RDS", Metric: "CPUUtilization", Dimensions: dims, Stat: "Maximum", Days: d},
				{Key: "connections", Namespace: "AWS/RDS", Metric: "DatabaseConnections", Dimensions: dims, Stat: "Maximum", Days: d},
			}
		},
		Evaluate: func(s *Subject) Verdict {
			if !stateIs(s, "available") {
				return OK("the instance is " + s.State)
			}
			ws, v := s.Windows(pdays(s, "window_days"), "cpu", "connections")
			if v != nil {
				return *v
			}
			if ws[1].Max() == 0 {
				return OK("no connections: the idle-database rule applies")
			}
			cpu := ws[0].Mean()
			if cpu >= s.Param("max_cpu_percent") {
				return OK(fmt.Sprintf("daily CPU peaks average %.1f %%", cpu), F("cpu_daily_max_mean", cpu))
			}
			return Waste(fmt.Sprintf("daily CPU peaks average %.1f %% over %d days", cpu, pdays(s, "window_days")),
				s.CostWhere(rdsCompute).Scale(1, 2, "half the billed instance cost: RDS prices double per size step (AWS RDS pricing)"),
				F("cpu_daily_max_mean", cpu))
		},
	}
}
