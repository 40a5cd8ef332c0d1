package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

const redshiftRISource = "AWS Redshift pricing: reserved nodes save up to 75 % (three years); one-year no-upfront terms commonly save about 20–35 %"

func redshiftNodes(l *Line) bool { return UsageTypePrefix("Node:")(l) }

func awsRedshiftOnDemand() *Rule {
	return &Rule{
		ID: "aws.redshift.on_demand_without_reservation", Code: "A21", Version: 1,
		Title:       "Redshift cluster on demand for months without reserved nodes",
		Description: "A provisioned cluster whose nodes have run on demand every day for three months is a steady load reserved nodes discount.",
		Signal:      "Node usage on demand on each of the last on_demand_days days and the cluster at least min_age_days old",
		Provider:    valdrix.AWS, Types: []string{"aws.redshift.cluster"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(25, redshiftRISource),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Buy reserved nodes of the cluster's node type."},
		SavingsMethod: "the on-demand node cost × commitment_discount_percent",
		Confidence:    0.8,
		Billing:       redshiftNodes,
		Evaluate: func(s *Subject) Verdict {
			return onDemandLongRunning(s, redshiftNodes, redshiftRISource)
		},
	}
}
