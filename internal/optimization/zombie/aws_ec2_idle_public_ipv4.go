package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var idleIPv4 = UsageTypeHas("PublicIPv4:IdleAddress", "ElasticIP:IdleAddress")

func awsIdlePublicIPv4() *Rule {
	return &Rule{
		ID: "aws.ec2.idle_public_ipv4", Code: "A1", Version: 1,
		Title: "Idle Elastic IP address",
		Description: "An Elastic IP that is not associated with a running instance is billed as an idle public IPv4 address " +
			"($0.005 an hour since February 2024). The inventory decides when it is present; otherwise the ledger's " +
			"IdleAddress hours do.",
		Signal:   "no association, or associated with an instance that is not running; or only IdleAddress hours in the last idle_days days",
		Provider: valdrix.AWS, Types: []string{"aws.ec2.address"}, Data: DataBilling | DataInventory,
		Thresholds: []Threshold{
			windowDays("idle_days", 1, "for an address known only from the ledger: idle hours and no in-use hours on each of the last N days",
				"AWS Trusted Advisor Unassociated Elastic IP Addresses (any); OptScale obsolete_ips (7 d)"),
		},
		Action:        Action{Kind: ActionRelease, Reversible: false, Description: "Release the address (the IP cannot be recovered once released)."},
		SavingsMethod: savingsAll,
		Confidence:    0.95,
		Billing:       idleIPv4,
		Evaluate: func(s *Subject) Verdict {
			if s.Resource != nil {
				if _, ok := s.Attr("association_id"); !ok {
					return Waste("the address is not associated with anything", deleteSavings(s), F("association_id", "none"))
				}
				inst, ok := s.Attr("instance_id")
				if !ok {
					return OK("the address is associated with a network interface")
				}
				ref, ok := s.Get(inst)
				if !ok {
					return Unknown(ReasonMissingRelated, "the instance "+inst+" the address is associated with is not in the inventory")
				}
				if ref.State == "running" {
					return OK("associated with running instance " + inst)
				}
				return Waste("associated with instance "+inst+", which is "+ref.State, deleteSavings(s), F("instance_id", inst), F("instance_state", ref.State))
			}
			n := pdays(s, "idle_days")
			from, v := billedWindow(s, n)
			if v != nil {
				return *v
			}
			recent := s.Usage.Since(from)
			idle := recent.Where(idleIPv4)
			if !idle.EveryDay(from) {
				return OK(fmt.Sprintf("not billed as idle on every one of the last %d days", n))
			}
			if inUse := recent.Where(UsageTypeHas("InUseAddress")); !inUse.Empty() {
				return OK("billed as in use in the last days")
			}
			return Waste(fmt.Sprintf("billed only as an idle address on each of the last %d days", n), deleteSavings(s),
				F("idle_hours", idle.Quantity().String()))
		},
	}
}
