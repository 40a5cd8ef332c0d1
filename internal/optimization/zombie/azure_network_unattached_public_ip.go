package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureUnattachedPublicIP() *Rule {
	return &Rule{
		ID: "azure.network.unattached_public_ip", Code: "Z4", Version: 1,
		Title:       "Public IP address attached to nothing",
		Description: "A static (or Standard SKU) public IP is billed by the hour whether or not an IP configuration uses it. Basic dynamic addresses are free while unattached.",
		Signal:      "no attached_to, and the address is static or Standard SKU",
		Provider:    valdrix.Azure, Types: []string{"azure.network.public_ip_address"}, Data: DataInventory | DataBilling,
		Action:        Action{Kind: ActionRelease, Reversible: false, Description: "Delete the public IP (the address cannot be recovered)."},
		SavingsMethod: savingsAll,
		Confidence:    0.95,
		Evaluate: func(s *Subject) Verdict {
			if to, ok := s.Attr("attached_to"); ok {
				return OK("attached to " + to)
			}
			sku, okSKU := s.Attr("sku")
			alloc, okAlloc := s.Attr("allocation_method")
			if !okSKU && !okAlloc {
				return Unknown(ReasonMissingAttribute, "the inventory reports neither sku nor allocation_method, so whether an unattached address is billed is unknown")
			}
			if strings.EqualFold(sku, "basic") && strings.EqualFold(alloc, "dynamic") {
				return OK("a Basic dynamic address is not billed while unattached")
			}
			return Waste("the address is attached to nothing", deleteSavings(s), F("sku", sku), F("allocation_method", alloc))
		},
	}
}
