package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func azureStorageWithoutLifecycle() *Rule {
	return &Rule{
		ID: "azure.storage.account_without_lifecycle", Code: "Z13", Version: 1,
		Title:       "Storage account without a lifecycle policy",
		Description: "Without lifecycle management, blobs stay in the hot tier forever. Moving data older than a month to cool costs about half as much per GB.",
		Signal:      "lifecycle_policy is false",
		Provider:    valdrix.Azure, Types: []string{"azure.storage.storage_account"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("transition_days", 30, "age at which blobs would move to the cool tier", "Azure Blob cool tier minimum retention (30 d)"),
		},
		Action: Action{Kind: ActionConfigure, Reversible: true, Description: "Add a lifecycle management policy moving blobs to cool after transition_days."},
		SavingsMethod: "the account's billed capacity cost × the share of data older than transition_days (even growth since " +
			"creation) × (1 − $0.01 / $0.0184, cool vs hot LRS per GB-month, East US)",
		Confidence: 0.6,
		Evaluate:   lifecycle("account", UsageTypeHas("Data Stored"), 1-0.01/0.0184, "Azure Blob Storage pricing, East US LRS: hot $0.0184, cool $0.01 per GB-month"),
	}
}
