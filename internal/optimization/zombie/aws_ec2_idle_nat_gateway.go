package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func awsIdleNATGateway() *Rule {
	return &Rule{
		ID: "aws.ec2.idle_nat_gateway", Code: "A2", Version: 1,
		Title: "NAT gateway without traffic",
		Description: "A NAT gateway bills an hourly charge whether or not it carries traffic. Hours on every day of the " +
			"window with no processed bytes mean nothing routes through it. Decided from the ledger alone " +
			"(NatGateway-Hours without NatGateway-Bytes); route tables are not checked, so a standby gateway of a " +
			"disaster-recovery setup is flagged too (lower confidence).",
		Signal:   "NatGateway-Hours on each of the last idle_days days and at most max_gb processed",
		Provider: valdrix.AWS, Types: []string{"aws.ec2.nat_gateway"}, Data: DataBilling,
		Thresholds: []Threshold{
			windowDays("idle_days", 30, "days of hourly charges, counted back from the last ledger day", "AWS Trusted Advisor Inactive NAT Gateways (30 d)"),
			{Name: "max_gb", Unit: UnitGiB, Default: 0, Min: 0, Max: 1e6, Description: "processed GB over those days at or below which the gateway is idle",
				Source: "AWS Trusted Advisor Inactive NAT Gateways (0 bytes); Flexera idle_nat_gateways"},
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the NAT gateway (recreate it from infrastructure code if needed)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Billing:       UsageTypeHas("NatGateway-Hours"),
		Evaluate: func(s *Subject) Verdict {
			if s.Resource != nil && !stateIs(s, "available") {
				return OK("the gateway is " + s.State)
			}
			return hoursWithoutTraffic(s, UsageTypeHas("NatGateway-Hours"), UsageTypeHas("NatGateway-Bytes"), s.Param("max_gb"), "GB processed")
		},
	}
}
