package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const groupMembers = "azure.resources.resource_group.members"

// groupOf returns the lower-case id of the resource group an Azure resource
// id belongs to ("/subscriptions/s/resourcegroups/g").
func groupOf(r *cloud.Resource) []string {
	if r.Type == "azure.resources.resource_group" {
		return nil
	}
	id := strings.ToLower(r.ID)
	if i := strings.Index(id, "/providers/"); i > 0 && strings.Contains(id[:i], "/resourcegroups/") {
		return []string{id[:i]}
	}
	return nil
}

func azureEmptyResourceGroup() *Rule {
	return &Rule{
		ID: "azure.resources.empty_resource_group", Code: "Z20", Version: 1,
		Title:       "Empty resource group",
		Description: "A resource group with no resources costs nothing but clutters the subscription and its policies and role assignments. Hygiene: the finding has no savings.",
		Signal:      "no inventory resource lies in the group, and the group is older than min_age_days",
		Provider:    valdrix.Azure, Types: []string{"azure.resources.resource_group"}, Data: DataInventory,
		Thresholds: []Threshold{
			days("min_age_days", 7, "groups younger than this may be about to be filled", "Cloud Custodian azure.resourcegroup empty-group"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: true, Description: "Delete the group (an empty group can be recreated with its name)."},
		SavingsMethod: "none: Azure does not bill resource groups",
		Confidence:    0.9,
		Indexes:       []Index{{Name: groupMembers, Types: []string{"azure.*"}, Keys: groupOf}},
		Evaluate: func(s *Subject) Verdict {
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("min_age_days") {
				return OK(fmt.Sprintf("created %.0f days ago", age))
			}
			if n := len(s.Find(groupMembers, strings.ToLower(s.ID))); n > 0 {
				return OK(fmt.Sprintf("%d resources", n))
			}
			free := Estimated(0, "USD", "Azure does not bill resource groups")
			out := Waste("the group holds no resources", free)
			out.Cost = free
			return out
		},
	}
}
