package zombie

import (
	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var rdsIdle = dbIdle{running: []string{"available"}, namespace: "AWS/RDS", metric: "DatabaseConnections",
	dims: func(s *Subject) []cloud.Dimension { return awsDim("DBInstanceIdentifier", s.Resource.Name) }}

func awsIdleDBInstance() *Rule {
	return &Rule{
		ID: "aws.rds.idle_db_instance", Code: "A16", Version: 1,
		Title:       "RDS instance without connections",
		Description: "A database instance nobody connected to for a week serves nothing but is billed for its instance hours and storage.",
		Signal:      "available; the daily maximum of DatabaseConnections is at most max_connections on every day of window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.rds.db_instance"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 7, "days of metrics", "AWS Trusted Advisor Amazon RDS Idle DB Instances (7 d)"),
			{Name: "max_connections", Unit: UnitCount, Default: 0, Min: 0, Max: 1000, Description: "daily peak connections at or below which the database is idle",
				Source: "AWS Trusted Advisor Amazon RDS Idle DB Instances (no connection)"},
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Take a final snapshot, then delete the instance (restore from the snapshot if needed)."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Queries:       rdsIdle.queries,
		Evaluate:      rdsIdle.evaluate,
	}
}
