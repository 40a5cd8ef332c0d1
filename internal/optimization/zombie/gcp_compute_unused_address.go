package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func gcpUnusedAddress() *Rule {
	return &Rule{
		ID: "gcp.compute.unused_address", Code: "G2", Version: 1,
		Title:       "Reserved static IP address in use by nothing",
		Description: "A static external address that is reserved but not in use is billed at the unused-address rate.",
		Signal:      "status reserved, no users, external, reserved more than idle_days ago",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.address"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("idle_days", 15, "addresses reserved for less than this are left alone", "GCP Recommender IdleResourceRecommender for addresses (15 d)"),
		},
		Action:        Action{Kind: ActionRelease, Reversible: false, Description: "Release the address (it cannot be recovered)."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Evaluate: func(s *Subject) Verdict {
			if !stateIs(s, "reserved") || len(attrList(s, "users")) > 0 {
				return OK("the address is in use")
			}
			if t, _ := s.Attr("address_type"); strings.EqualFold(t, "INTERNAL") {
				return OK("internal addresses are not billed")
			}
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("idle_days") {
				return OK(fmt.Sprintf("reserved %.0f days ago", age))
			}
			return Waste(fmt.Sprintf("reserved and unused for up to %.0f days", age), deleteSavings(s), F("age_days", age))
		},
	}
}
