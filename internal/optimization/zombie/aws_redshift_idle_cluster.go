package zombie

import (
	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var redshiftIdle = dbIdle{running: []string{"available"}, namespace: "AWS/Redshift", metric: "DatabaseConnections",
	dims: func(s *Subject) []cloud.Dimension { return awsDim("ClusterIdentifier", s.Resource.Name) }}

func awsIdleRedshiftCluster() *Rule {
	return &Rule{
		ID: "aws.redshift.idle_cluster", Code: "A20", Version: 1,
		Title:       "Redshift cluster without connections",
		Description: "A provisioned Redshift cluster nobody connected to for a week is billed for every node hour.",
		Signal:      "available; the daily maximum of DatabaseConnections is at most max_connections on every day of window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.redshift.cluster"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 7, "days of metrics", "AWS Trusted Advisor Underutilized Amazon Redshift Clusters (7 d)"),
			{Name: "max_connections", Unit: UnitCount, Default: 0, Min: 0, Max: 1000, Description: "daily peak connections at or below which the cluster is idle",
				Source: "AWS Trusted Advisor Underutilized Amazon Redshift Clusters (no connection for 7 days)"},
		},
		Action:        Action{Kind: ActionStop, Reversible: true, Description: "Pause the cluster (or take a final snapshot and delete it)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Queries:       redshiftIdle.queries,
		Evaluate:      redshiftIdle.evaluate,
	}
}
