package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsUnusedSecret() *Rule {
	return &Rule{
		ID: "aws.secretsmanager.unused_secret", Code: "A28", Version: 1,
		Title:       "Secrets Manager secret not read for months",
		Description: "Each secret is billed monthly; one no application has read for three months is likely obsolete.",
		Signal:      "last_accessed (or, if never accessed, creation) older than max_unused_days",
		Provider:    valdrix.AWS, Types: []string{"aws.secretsmanager.secret"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_unused_days", 90, "secrets not read for longer than this", "thrifty secretsmanager_secret_last_used (90)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: true, Description: "Schedule the secret's deletion (recoverable during the 7–30 day recovery window)."},
		SavingsMethod: savingsAll,
		Confidence:    0.8,
		Evaluate: func(s *Subject) Verdict {
			n := s.Param("max_unused_days")
			last, ok := attrTime(s, "last_accessed")
			if !ok {
				age, v := needAge(s)
				if v != nil {
					return *v
				}
				if age < n {
					return OK(fmt.Sprintf("created %.0f days ago", age))
				}
				return Waste(fmt.Sprintf("never read in its %.0f days", age), deleteSavings(s))
			}
			if !olderThan(s.Now, last, n) {
				return OK(fmt.Sprintf("read %.0f days ago", s.DaysSince(last)))
			}
			return Waste(fmt.Sprintf("last read %.0f days ago", s.DaysSince(last)), deleteSavings(s), F("last_accessed", last))
		},
	}
}
