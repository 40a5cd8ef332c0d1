package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func clbHours(l *Line) bool {
	return l.ResourceType == "Load Balancer" && UsageTypeHas("LoadBalancerUsage")(l)
}

func awsIdleClassicLoadBalancer() *Rule {
	return &Rule{
		ID: "aws.elb.idle_classic_load_balancer", Code: "A3", Version: 1,
		Title: "Classic load balancer without instances or traffic",
		Description: "A classic load balancer bills an hourly charge. With no registered instances, or with hours but no " +
			"processed data, it serves nothing.",
		Signal:   "instance_count is 0; or LoadBalancerUsage on each of the last idle_days days with at most max_gb DataProcessing-Bytes",
		Provider: valdrix.AWS, Types: []string{"aws.elb.load_balancer"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("idle_days", 7, "days of hourly charges, counted back from the last ledger day", "AWS Trusted Advisor Idle Load Balancers (7 d)"),
			{Name: "max_gb", Unit: UnitGiB, Default: 0, Min: 0, Max: 1e6, Description: "GB processed over those days at or below which it is idle",
				Source: "rules.md A3: DataProcessing-Bytes ≈ 0"},
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the load balancer after checking its DNS name is unused."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Billing:       clbHours,
		Evaluate: func(s *Subject) Verdict {
			if n, ok := attrInt(s, "instance_count"); ok && n == 0 {
				return Waste("no instances are registered", deleteSavings(s), F("instance_count", 0))
			} else if ok {
				v := hoursWithoutTraffic(s, clbHours, UsageTypeHas("DataProcessing-Bytes"), s.Param("max_gb"), "GB processed")
				if v.Outcome == OutcomeUnknown {
					return OK(fmt.Sprintf("%d instances are registered", n))
				}
				return v
			}
			return hoursWithoutTraffic(s, clbHours, UsageTypeHas("DataProcessing-Bytes"), s.Param("max_gb"), "GB processed")
		},
	}
}
