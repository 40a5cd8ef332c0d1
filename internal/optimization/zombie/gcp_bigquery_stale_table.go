package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func gcpStaleBigQueryTable() *Rule {
	return &Rule{
		ID: "gcp.bigquery.stale_table", Code: "G10", Version: 1,
		Title:       "BigQuery table not modified for months",
		Description: "A table nobody has written for three months is often an abandoned copy; its storage is billed (at the long-term rate) until it expires or is deleted.",
		Signal:      "last_modified older than max_unmodified_days",
		Provider:    valdrix.GCP, Types: []string{"gcp.bigquery.table"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_unmodified_days", 90, "tables unmodified for longer than this", "thrifty bigquery_table_stale_data (90)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Set an expiration on the table or delete it (export it first if needed)."},
		SavingsMethod: savingsAll,
		Confidence:    0.7,
		Evaluate: func(s *Subject) Verdict {
			t, ok := attrTime(s, "last_modified")
			if !ok {
				return missing("last_modified")
			}
			if !olderThan(s.Now, t, s.Param("max_unmodified_days")) {
				return OK(fmt.Sprintf("modified %.0f days ago", s.DaysSince(t)))
			}
			return Waste(fmt.Sprintf("not modified for %.0f days", s.DaysSince(t)), deleteSavings(s), F("last_modified", t))
		},
	}
}
