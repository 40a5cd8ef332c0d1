package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func awsRepositoryWithoutLifecycle() *Rule {
	return &Rule{
		ID: "aws.ecr.repository_without_lifecycle", Code: "A27", Version: 1,
		Title:       "ECR repository without a lifecycle policy",
		Description: "Without a lifecycle policy every pushed image is kept, and image storage only grows.",
		Signal:      "lifecycle_policy is false",
		Provider:    valdrix.AWS, Types: []string{"aws.ecr.repository"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("max_image_age_days", 90, "the image age the savings estimate expires images at", "thrifty ecr_repository_image_age_max_days (90)"),
		},
		Action: Action{Kind: ActionConfigure, Reversible: false, Description: "Add a lifecycle policy expiring untagged images and images older than max_image_age_days."},
		SavingsMethod: "the repository's billed storage cost × the share of images older than max_image_age_days (even growth " +
			"since creation assumed)",
		Confidence: 0.85,
		Evaluate: func(s *Subject) Verdict {
			has, v := boolAttr(s, "lifecycle_policy")
			if v != nil {
				return *v
			}
			if has {
				return OK("the repository has a lifecycle policy")
			}
			return Waste("the repository keeps every image forever",
				storageShareSavings(s, timedStorage, s.Param("max_image_age_days"), 1, "expiring images older than the limit"))
		},
	}
}
