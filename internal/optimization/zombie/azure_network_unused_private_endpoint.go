package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureUnusedPrivateEndpoint() *Rule {
	return &Rule{
		ID: "azure.network.unused_private_endpoint", Code: "Z11", Version: 1,
		Title:       "Private endpoint without an approved connection",
		Description: "A private endpoint bills by the hour; one whose private link connection is rejected, disconnected or never approved connects nothing.",
		Signal:      "connection_state is not Approved (Rejected, Disconnected, Pending) and the endpoint is older than min_age_days",
		Provider:    valdrix.Azure, Types: []string{"azure.network.private_endpoint"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("min_age_days", 7, "endpoints younger than this may still be approved", "thrifty network_private_endpoint_unused"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the private endpoint."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Evaluate: func(s *Subject) Verdict {
			st, ok := s.Attr("connection_state")
			if !ok {
				return missing("connection_state")
			}
			if strings.EqualFold(st, "Approved") {
				return OK("the connection is approved")
			}
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("min_age_days") {
				return OK("the endpoint is new")
			}
			return Waste("the private link connection is "+st, deleteSavings(s), F("connection_state", st))
		},
	}
}
