package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func gcpBucketWithoutLifecycle() *Rule {
	return &Rule{
		ID: "gcp.storage.bucket_without_lifecycle", Code: "G12", Version: 1,
		Title:       "Cloud Storage bucket without lifecycle rules",
		Description: "Without lifecycle rules, objects stay in Standard storage forever. Moving data older than a month to Nearline costs half as much per GB.",
		Signal:      "lifecycle_policy is false",
		Provider:    valdrix.GCP, Types: []string{"gcp.storage.bucket"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("transition_days", 30, "age at which objects would move to Nearline", "GCP Nearline minimum storage duration (30 d)"),
		},
		Action: Action{Kind: ActionConfigure, Reversible: true, Description: "Add lifecycle rules moving objects to Nearline after transition_days and deleting noncurrent versions."},
		SavingsMethod: "the bucket's billed storage cost × the share of data older than transition_days (even growth since creation) × " +
			"(1 − $0.010 / $0.020, Nearline vs Standard per GB-month, us-central1)",
		Confidence: 0.6,
		Evaluate:   lifecycle("bucket", func(*Line) bool { return true }, 0.5, "GCP Cloud Storage pricing, us-central1: Standard $0.020, Nearline $0.010 per GB-month"),
	}
}
