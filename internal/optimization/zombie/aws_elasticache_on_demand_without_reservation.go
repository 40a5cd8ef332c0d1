package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

const elastiCacheRISource = "AWS ElastiCache pricing: reserved nodes save up to 55 % (three years); one-year no-upfront terms commonly save about 30 %"

func elastiCacheNodes(l *Line) bool { return UsageTypePrefix("NodeUsage:")(l) }

func awsElastiCacheOnDemand() *Rule {
	return &Rule{
		ID: "aws.elasticache.on_demand_without_reservation", Code: "A21", Version: 1,
		Title:       "ElastiCache cluster on demand for months without reserved nodes",
		Description: "Cache nodes that have run on demand every day for three months are a steady load reserved nodes discount.",
		Signal:      "NodeUsage on demand on each of the last on_demand_days days and the cluster at least min_age_days old",
		Provider:    valdrix.AWS, Types: []string{"aws.elasticache.cluster"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(30, elastiCacheRISource),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Buy reserved cache nodes of the cluster's node type."},
		SavingsMethod: "the on-demand node cost × commitment_discount_percent",
		Confidence:    0.8,
		Billing:       elastiCacheNodes,
		Evaluate: func(s *Subject) Verdict {
			return onDemandLongRunning(s, elastiCacheNodes, elastiCacheRISource)
		},
	}
}
