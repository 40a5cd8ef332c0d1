package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func awsUnattachedVolume() *Rule {
	return &Rule{
		ID: "aws.ec2.unattached_volume", Code: "A4", Version: 1,
		Title:       "Unattached EBS volume",
		Description: "An EBS volume in the available state is attached to no instance but is billed for its provisioned size (and IOPS) every hour.",
		Signal:      "volume state is available, and the volume is at least min_age_days old",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.volume"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("min_age_days", 1, "volumes younger than this are left alone (they may be waiting to be attached)",
				"OptScale volumes_not_attached_for_a_long_time (1 d); thrifty ebs_volume_unattached (any)"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the volume, then delete it (restore from the snapshot if needed)."},
		SavingsMethod: savingsAll,
		Confidence:    0.95,
		Evaluate: func(s *Subject) Verdict {
			if s.State != "available" {
				return OK("the volume is " + s.State)
			}
			if minAge := s.Param("min_age_days"); minAge > 0 {
				age, v := needAge(s)
				if v != nil {
					return *v
				}
				if age < minAge {
					return OK("the volume is younger than min_age_days", F("age_days", age))
				}
			}
			return Waste("the volume is attached to no instance", deleteSavings(s), F("state", s.State))
		},
	}
}
