package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsLogGroupWithoutRetention() *Rule {
	return &Rule{
		ID: "aws.logs.log_group_without_retention", Code: "A26", Version: 1,
		Title:       "CloudWatch log group that never expires",
		Description: "A log group without a retention period keeps every event forever, and its storage grows without bound.",
		Signal:      "retention_days is absent (never expire)",
		Provider:    valdrix.AWS, Types: []string{"aws.logs.log_group"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("target_retention_days", 30, "the retention the savings estimate assumes", "thrifty cw_log_group_retention; rules.md G11 (30 d)"),
		},
		Action: Action{Kind: ActionConfigure, Reversible: false, Description: "Set a retention period (events older than it are deleted)."},
		SavingsMethod: "the group's billed storage cost × the share of its data older than target_retention_days (even growth since " +
			"creation assumed)",
		Confidence: 0.9,
		Evaluate: func(s *Subject) Verdict {
			if r, ok := s.Attr("retention_days"); ok {
				if _, valid := attrInt(s, "retention_days"); !valid {
					return Unknown(ReasonMissingAttribute, fmt.Sprintf("retention_days is %q, not a number of days", r))
				}
				return OK("retention is " + r + " days")
			}
			return Waste("the log group keeps its events forever",
				storageShareSavings(s, timedStorage, s.Param("target_retention_days"), 1, "deleting events older than the retention"))
		},
	}
}
