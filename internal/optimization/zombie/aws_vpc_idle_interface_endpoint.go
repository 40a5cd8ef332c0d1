package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func awsIdleInterfaceEndpoint() *Rule {
	return &Rule{
		ID: "aws.vpc.idle_interface_endpoint", Code: "A31", Version: 1,
		Title:       "VPC interface endpoint without traffic",
		Description: "An interface endpoint bills per hour in every availability zone it spans, and per GB processed. Hours with no processed bytes for a month mean nothing uses it.",
		Signal:      "VpcEndpoint-Hours on each of the last idle_days days and at most max_gb VpcEndpoint-Bytes",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.vpc_endpoint"}, Data: DataBilling,
		Thresholds: []Threshold{
			windowDays("idle_days", 30, "days of hourly charges, counted back from the last ledger day", "AWS Trusted Advisor Inactive VPC interface endpoints"),
			{Name: "max_gb", Unit: UnitGiB, Default: 0, Min: 0, Max: 1e6, Description: "GB processed at or below which the endpoint is idle", Source: "rules.md A31: VpcEndpoint-Bytes = 0"},
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the endpoint (recreate it from infrastructure code if needed)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Billing:       UsageTypeHas("VpcEndpoint-Hours"),
		Evaluate: func(s *Subject) Verdict {
			return hoursWithoutTraffic(s, UsageTypeHas("VpcEndpoint-Hours"), UsageTypeHas("VpcEndpoint-Bytes"), s.Param("max_gb"), "GB processed")
		},
	}
}
