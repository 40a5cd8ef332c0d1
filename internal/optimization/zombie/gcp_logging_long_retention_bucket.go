package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func gcpLongRetentionLogBucket() *Rule {
	return &Rule{
		ID: "gcp.logging.long_retention_bucket", Code: "G11", Version: 1,
		Title:       "Log bucket retaining logs longer than needed",
		Description: "Cloud Logging bills retention beyond the default 30 days per GB-month; a bucket keeping logs for longer pays for old logs nobody reads.",
		Signal:      "retention_days above max_retention_days",
		Provider:    valdrix.GCP, Types: []string{"gcp.logging.bucket"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_retention_days", 30, "retention above this is flagged (and assumed by the savings estimate)", "thrifty logging_bucket_higher_retention_period (30)"),
		},
		Action:        Action{Kind: ActionConfigure, Reversible: false, Description: "Lower the bucket's retention (logs older than it are deleted)."},
		SavingsMethod: "the bucket's billed storage cost × (1 − max_retention_days / retention_days)",
		Confidence:    0.8,
		Evaluate: func(s *Subject) Verdict {
			r, ok := attrInt(s, "retention_days")
			if !ok {
				return missing("retention_days")
			}
			limit := s.Param("max_retention_days")
			if float64(r) <= limit {
				return OK(fmt.Sprintf("retention is %d days", r))
			}
			sav := s.Cost().ScaleFloat(1-limit/float64(r), fmt.Sprintf("keeping %v of %d days of logs", limit, r))
			return Waste(fmt.Sprintf("logs are kept for %d days", r), sav, F("retention_days", r))
		},
	}
}
