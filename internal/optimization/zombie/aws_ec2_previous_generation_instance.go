package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// instanceTypeOf returns the instance type of a BoxUsage line.
func instanceTypeOf(l *Line) string {
	if l.InstanceType != "" {
		return l.InstanceType
	}
	_, t, _ := strings.Cut(l.Base(), ":")
	return t
}

func prevGenBox(l *Line) bool {
	_, ok := ec2Successors[family(instanceTypeOf(l))]
	return boxUsage(l) && ok
}

func awsPreviousGenerationInstance() *Rule {
	return &Rule{
		ID: "aws.ec2.previous_generation_instance", Code: "A14", Version: 1,
		Title:       "Previous-generation EC2 instance",
		Description: "Previous-generation families (t2, m4, c4, r4, m3, …) cost more than their current successors for the same or less performance.",
		Signal:      "running instance of a previous-generation family (inventory instance_type or BoxUsage:<type> in the ledger)",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.instance"}, Data: DataBilling | DataInventory,
		Action: Action{Kind: ActionModify, Reversible: true, Description: "Stop the instance, change its type to the current-generation successor, start it (brief downtime)."},
		SavingsMethod: "the instance's billed compute cost × (1 − successor price / current price), the published On-Demand " +
			"price ratio of the family pair (" + ec2PricingSource + ")",
		Confidence: 0.9,
		Billing:    prevGenBox,
		Evaluate: func(s *Subject) Verdict {
			typ, ok := s.Attr("instance_type")
			if s.Resource != nil {
				if !stateIs(s, "running") {
					return OK("the instance is " + s.State)
				}
				if !ok {
					return missing("instance_type")
				}
			} else {
				b := s.Usage.Where(prevGenBox)
				last, _ := b.LastDay()
				if last < s.Usage.Through {
					return OK("not billed as running on the last ledger day")
				}
				typ = instanceTypeOf(&b.Lines[len(b.Lines)-1])
			}
			succ, prev := ec2Successors[family(typ)]
			if !prev {
				return OK(typ + " is a current-generation type")
			}
			sav := s.CostWhere(boxUsage).ScaleFloat(1-succ.ratio, fmt.Sprintf("%s: %s", ec2PricingSource, succ.basis))
			return Waste(fmt.Sprintf("%s is previous generation; %s costs %.0f %% less", typ, succ.family, (1-succ.ratio)*100), sav,
				F("instance_type", typ), F("successor_family", succ.family))
		},
	}
}
