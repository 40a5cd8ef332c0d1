package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

var extendedSupport = UsageTypeHas("ExtendedSupport")

func awsRDSExtendedSupport() *Rule {
	return &Rule{
		ID: "aws.rds.extended_support", Code: "A19", Version: 1,
		Title:       "RDS engine in paid Extended Support",
		Description: "An engine version past its standard support (MySQL 5.7, PostgreSQL 11 and 12, …) is billed an Extended Support charge per vCPU-hour on top of the instance. Upgrading removes it.",
		Signal:      "ExtendedSupport usage on the last ledger day, or engine_lifecycle_support = open-source-rds-extended-support",
		Provider:    valdrix.AWS, Types: []string{"aws.rds.db_instance"}, Data: DataBilling | DataInventory,
		Action:        Action{Kind: ActionModify, Reversible: false, Description: "Upgrade the engine to a version in standard support (test the application first)."},
		SavingsMethod: "the monthly cost of the instance's ExtendedSupport lines (" + savingsLines + ")",
		Confidence:    0.95,
		Billing:       extendedSupport,
		Evaluate: func(s *Subject) Verdict {
			es := s.Usage.Where(extendedSupport)
			if last, ok := es.LastDay(); ok && last == s.Usage.Through {
				return Waste("billed for RDS Extended Support", costOf(es), F("extended_support_cost_in_window", es.Effective().String()))
			}
			support, ok := s.Attr("engine_lifecycle_support")
			if ok && support == "open-source-rds-extended-support" {
				v := Waste("the engine version is in RDS Extended Support", costOf(es))
				v.Facts = []Fact{F("engine_lifecycle_support", support)}
				return v
			}
			if !ok && !s.Usage.Covered {
				return Unknown(ReasonNoBilling, "neither the inventory nor the ledger says whether the engine is in Extended Support")
			}
			return OK("not in Extended Support")
		},
	}
}
