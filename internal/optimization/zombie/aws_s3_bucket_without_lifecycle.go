package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

var timedStorage = UsageTypeHas("TimedStorage")

func awsBucketWithoutLifecycle() *Rule {
	return &Rule{
		ID: "aws.s3.bucket_without_lifecycle", Code: "A25", Version: 1,
		Title:       "S3 bucket without a lifecycle policy",
		Description: "Without lifecycle rules, objects stay in S3 Standard forever and incomplete multipart uploads are never aborted. Moving data older than a month to Standard-IA costs 46 % less per GB.",
		Signal:      "lifecycle_policy is false",
		Provider:    valdrix.AWS, Types: []string{"aws.s3.bucket"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("transition_days", 30, "age at which objects would move to Standard-IA", "AWS S3 lifecycle minimum for Standard-IA transitions (30 d)"),
		},
		Action: Action{Kind: ActionConfigure, Reversible: true, Description: "Add lifecycle rules: transition to Standard-IA after transition_days, abort incomplete multipart uploads after 7 days."},
		SavingsMethod: "the bucket's billed storage cost × the share of data older than transition_days (even growth since creation) × " +
			"(1 − $0.0125 / $0.023, S3 Standard-IA vs Standard per GB-month, us-east-1)",
		Confidence: 0.6,
		Evaluate:   lifecycle("bucket", timedStorage, 1-0.0125/0.023, "AWS S3 pricing, us-east-1: Standard $0.023, Standard-IA $0.0125 per GB-month"),
	}
}
