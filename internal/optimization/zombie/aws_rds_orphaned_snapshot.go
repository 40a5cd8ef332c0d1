package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const dbByName = "aws.rds.db_instance.name"

func dbNameKey(account, region, name string) string {
	return account + "/" + region + "/" + lower(name)
}

func awsOrphanedDBSnapshot() *Rule {
	return &Rule{
		ID: "aws.rds.orphaned_snapshot", Code: "A18", Version: 1,
		Title:       "Manual RDS snapshot of a deleted instance",
		Description: "A manual RDS snapshot whose database instance no longer exists is kept (and billed as backup storage) until someone deletes it.",
		Signal:      "manual snapshot older than min_age_days whose db_instance_id names no instance of the account and region",
		Provider:    valdrix.AWS, Types: []string{"aws.rds.db_snapshot"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("min_age_days", 30, "snapshots younger than this are kept", "thrifty rds_snapshot_unused_max_days (30)"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the snapshot (export it to S3 first if it must be kept)."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Indexes: []Index{{Name: dbByName, Types: []string{"aws.rds.db_instance"}, Keys: func(r *cloud.Resource) []string {
			return []string{dbNameKey(r.AccountID, r.Region, r.Name)}
		}}},
		Evaluate: func(s *Subject) Verdict {
			if t, _ := s.Attr("snapshot_type"); t == "automated" {
				return OK("automated snapshots follow the instance's retention")
			}
			db, ok := s.Attr("db_instance_id")
			if !ok {
				return missing("db_instance_id")
			}
			if len(s.Find(dbByName, dbNameKey(s.AccountID, s.Region, db))) > 0 {
				return OK("the instance " + db + " exists")
			}
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("min_age_days") {
				return OK(fmt.Sprintf("%.0f days old", age))
			}
			return Waste(fmt.Sprintf("the instance %s is gone and the snapshot is %.0f days old", db, age), deleteSavings(s),
				F("db_instance_id", db), F("age_days", age))
		},
	}
}
