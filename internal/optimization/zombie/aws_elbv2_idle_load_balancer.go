package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// elbv2Hours matches the hourly charge of an application, network or
// gateway load balancer (product family "Load Balancer-Application", …).
func elbv2Hours(l *Line) bool {
	return strings.HasPrefix(l.ResourceType, "Load Balancer-") && strings.Contains(l.Base(), "LoadBalancerUsage")
}

func awsIdleLoadBalancer() *Rule {
	return &Rule{
		ID: "aws.elbv2.idle_load_balancer", Code: "A3", Version: 1,
		Title: "Application or network load balancer without traffic",
		Description: "An ALB, NLB or GWLB bills an hourly charge plus load balancer capacity units (LCUs) for the traffic " +
			"it handles. Hours without LCUs mean it routes nothing: it has no targets or no clients.",
		Signal:   "LoadBalancerUsage on each of the last idle_days days and at most max_lcu_hours LCUUsage",
		Provider: valdrix.AWS, Types: []string{"aws.elbv2.load_balancer"}, Data: DataBilling,
		Thresholds: []Threshold{
			windowDays("idle_days", 7, "days of hourly charges, counted back from the last ledger day", "AWS Trusted Advisor Idle Load Balancers (7 d)"),
			{Name: "max_lcu_hours", Unit: UnitCount, Default: 0, Min: 0, Max: 1e6, Description: "LCU-hours over those days at or below which the load balancer is idle",
				Source: "rules.md A3: LCUUsage ≈ 0"},
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the load balancer (and its listeners) after checking its DNS name is unused."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Billing:       elbv2Hours,
		Evaluate: func(s *Subject) Verdict {
			return hoursWithoutTraffic(s, elbv2Hours, UsageTypeHas("LCUUsage"), s.Param("max_lcu_hours"), "LCU-hours")
		},
	}
}
