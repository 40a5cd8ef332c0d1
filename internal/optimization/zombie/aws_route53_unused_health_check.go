package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsUnusedHealthCheck() *Rule {
	return &Rule{
		ID: "aws.route53.unused_health_check", Code: "A29", Version: 1,
		Title:       "Route 53 health check no record uses",
		Description: "A health check no DNS record (failover, weighted, …) refers to is billed monthly for probing an endpoint nobody acts on.",
		Signal:      "record_count is 0 (no record set references the health check)",
		Provider:    valdrix.AWS, Types: []string{"aws.route53.health_check"}, Data: DataInventory | DataBilling,
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the health check (check CloudWatch alarms on it first)."},
		SavingsMethod: savingsAll,
		Confidence:    0.75,
		Billing:       UsageTypeHas("Health-Check"),
		Evaluate: func(s *Subject) Verdict {
			n, ok := attrInt(s, "record_count")
			if !ok {
				return missing("record_count")
			}
			if n > 0 {
				return OK(fmt.Sprintf("%d records use it", n))
			}
			return Waste("no record set uses the health check", deleteSavings(s), F("record_count", 0))
		},
	}
}
