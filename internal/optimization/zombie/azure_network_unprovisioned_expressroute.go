package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureUnprovisionedExpressRoute() *Rule {
	return &Rule{
		ID: "azure.network.unprovisioned_expressroute", Code: "Z9", Version: 1,
		Title:       "ExpressRoute circuit never provisioned",
		Description: "An ExpressRoute circuit bills from creation; one whose connectivity provider never provisioned it for a month carries nothing.",
		Signal:      "service_provider_provisioning_state is NotProvisioned and the circuit is older than min_age_days",
		Provider:    valdrix.Azure, Types: []string{"azure.network.express_route_circuit"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("min_age_days", 30, "circuits younger than this may still be provisioned", "Azure Advisor: ExpressRoute circuit Not Provisioned for more than one month"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the circuit (or have the provider provision it)."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Evaluate: func(s *Subject) Verdict {
			st, ok := s.Attr("service_provider_provisioning_state")
			if !ok {
				return missing("service_provider_provisioning_state")
			}
			if !strings.EqualFold(st, "NotProvisioned") {
				return OK("the provider state is " + st)
			}
			age, v := needAge(s)
			if v != nil {
				return *v
			}
			if age < s.Param("min_age_days") {
				return OK(fmt.Sprintf("created %.0f days ago", age))
			}
			return Waste(fmt.Sprintf("not provisioned %.0f days after creation", age), deleteSavings(s))
		},
	}
}
