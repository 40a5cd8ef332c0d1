package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

const rdsRISource = "AWS RDS Reserved Instances page: up to 69 % off On-Demand; one-year no-upfront terms commonly save 30–40 %"

func awsRDSOnDemand() *Rule {
	return &Rule{
		ID: "aws.rds.on_demand_without_reservation", Code: "A21", Version: 1,
		Title:       "RDS instance on demand for months without a reservation",
		Description: "A database instance that has run on demand every day for three months is a steady load a reserved DB instance discounts.",
		Signal:      "InstanceUsage on demand (no reservation) on each of the last on_demand_days days and the instance at least min_age_days old",
		Provider:    valdrix.AWS, Types: []string{"aws.rds.db_instance"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(30, rdsRISource),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Buy a reserved DB instance (size-flexible within the family for open-source engines)."},
		SavingsMethod: "the on-demand instance cost × commitment_discount_percent",
		Confidence:    0.8,
		Billing:       rdsCompute,
		Evaluate: func(s *Subject) Verdict {
			return onDemandLongRunning(s, rdsCompute, rdsRISource)
		},
	}
}
