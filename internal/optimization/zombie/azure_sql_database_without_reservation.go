package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const azureSQLRISource = "Azure SQL Database reserved capacity: up to 33 % off vCore compute for one year"

// sqlVCore matches Azure SQL Database vCore compute lines (reserved capacity
// applies to vCore, not DTU, databases).
func sqlVCore(l *Line) bool {
	return strings.Contains(strings.ToLower(l.ServiceName), "sql database") && strings.Contains(l.UsageType, "vCore")
}

func azureSQLOnDemand() *Rule {
	return &Rule{
		ID: "azure.sql.database_without_reservation", Code: "Z14", Version: 1,
		Title:       "SQL database on pay-as-you-go vCores for months",
		Description: "A vCore SQL database billed pay-as-you-go every day for three months is a steady load reserved capacity discounts. DTU databases cannot be reserved and are not flagged.",
		Signal:      "vCore compute lines on demand on each of the last on_demand_days days and the database at least min_age_days old",
		Provider:    valdrix.Azure, Types: []string{"azure.sql.database"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(33, azureSQLRISource),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Buy SQL Database reserved capacity for the database's vCores."},
		SavingsMethod: "the pay-as-you-go vCore cost × commitment_discount_percent",
		Confidence:    0.8,
		Billing:       sqlVCore,
		Evaluate: func(s *Subject) Verdict {
			return onDemandLongRunning(s, sqlVCore, azureSQLRISource)
		},
	}
}
