package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

var cloudSQLIdle = dbIdle{running: []string{"runnable"}, namespace: "cloudsql.googleapis.com",
	metric: "cloudsql.googleapis.com/database/network/connections", dims: resourceDims}

func gcpIdleSQLInstance() *Rule {
	return &Rule{
		ID: "gcp.sql.idle_instance", Code: "G8", Version: 1,
		Title:       "Cloud SQL instance without connections",
		Description: "A Cloud SQL instance nobody connected to for a week serves nothing but is billed for its vCPUs, memory and storage.",
		Signal:      "runnable; the daily maximum of network/connections is 0 on every day of window_days",
		Provider:    valdrix.GCP, Types: []string{"gcp.sql.instance"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 7, "days of metrics", "Valdrix Python defaults (7 d); GCP Recommender Cloud SQL IdleRecommender"),
			{Name: "max_connections", Unit: UnitCount, Default: 0, Min: 0, Max: 1000, Description: "daily peak connections at or below which the instance is idle",
				Source: "thrifty sql_database_instance_avg_connections (< 2/day); Trusted Advisor analogue (0)"},
		},
		Action:        Action{Kind: ActionStop, Reversible: true, Description: "Stop the instance (activation policy NEVER), or back it up and delete it."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Queries:       cloudSQLIdle.queries,
		Evaluate:      cloudSQLIdle.evaluate,
	}
}
