package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureEmptyLoadBalancer() *Rule {
	return &Rule{
		ID: "azure.network.empty_load_balancer", Code: "Z10", Version: 1,
		Title:       "Load balancer with an empty backend pool",
		Description: "A Standard load balancer bills by the hour for its rules; with no backend instances it balances nothing. Basic load balancers are free.",
		Signal:      "backend_count is 0 on a non-Basic SKU",
		Provider:    valdrix.Azure, Types: []string{"azure.network.load_balancer"}, Data: DataInventory | DataBilling,
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the load balancer after checking nothing points at its frontend."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Evaluate: func(s *Subject) Verdict {
			if sku, _ := s.Attr("sku"); strings.EqualFold(sku, "basic") {
				return OK("Basic load balancers are not billed")
			}
			n, ok := attrInt(s, "backend_count")
			if !ok {
				return missing("backend_count")
			}
			if n > 0 {
				return OK(fmt.Sprintf("%d backends", n))
			}
			return Waste("the backend pool is empty", deleteSavings(s), F("backend_count", 0))
		},
	}
}
