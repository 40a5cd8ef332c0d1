package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func boxUsage(l *Line) bool { return strings.HasPrefix(l.Base(), "BoxUsage") }

func awsLongRunningOnDemand() *Rule {
	const src = "AWS EC2 pricing: one-year no-upfront reservations and savings plans typically save about 30 % over On-Demand"
	return &Rule{
		ID: "aws.ec2.long_running_on_demand", Code: "A12", Version: 1,
		Title:       "EC2 instance on demand for months",
		Description: "An instance that has run on demand every day for months is a steady load a savings plan or reservation would discount. Purchase advice: opt in.",
		Signal:      "BoxUsage on demand (no commitment) on each of the last on_demand_days days and the instance at least min_age_days old",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.instance"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(30, src),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Cover the instance with a compute savings plan or a reservation."},
		SavingsMethod: "the on-demand compute cost × commitment_discount_percent",
		Confidence:    0.7,
		OptIn:         true,
		Billing:       boxUsage,
		Evaluate: func(s *Subject) Verdict {
			if s.Resource != nil && !stateIs(s, "running") {
				return OK("the instance is " + s.State)
			}
			return onDemandLongRunning(s, boxUsage, src)
		},
	}
}
