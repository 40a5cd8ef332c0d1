package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureIdleCosmosDB() *Rule {
	return &Rule{
		ID: "azure.cosmosdb.idle_account", Code: "Z15", Version: 1,
		Title:       "Cosmos DB account without requests",
		Description: "Provisioned throughput (RU/s) is billed by the hour whether or not requests arrive. An account with no requests for a month pays for capacity nobody uses.",
		Signal:      "TotalRequests sums to 0 on every day of window_days",
		Provider:    valdrix.Azure, Types: []string{"azure.documentdb.database_account"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 30, "days of metrics", "Azure Advisor CosmosDBIdleContainers (30 d)"),
		},
		Action:        Action{Kind: ActionModify, Reversible: true, Description: "Lower the provisioned throughput to the minimum, or back up and delete the account."},
		SavingsMethod: savingsAll,
		Confidence:    0.8,
		Queries: func(s *Subject) []MetricSpec {
			return []MetricSpec{{Key: "requests", Namespace: "Microsoft.DocumentDB/databaseAccounts", Metric: "TotalRequests",
				Dimensions: resourceDims(s), Stat: "Count", Days: pdays(s, "window_days")}}
		},
		Evaluate: func(s *Subject) Verdict {
			ws, v := s.Windows(pdays(s, "window_days"), "requests")
			if v != nil {
				return *v
			}
			if n := ws[0].Sum(); n > 0 {
				return OK(fmt.Sprintf("%.0f requests", n))
			}
			return Waste(fmt.Sprintf("no requests for %d days", pdays(s, "window_days")), deleteSavings(s))
		},
	}
}
