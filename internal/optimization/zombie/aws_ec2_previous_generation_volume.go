package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var (
	gp2Storage  = UsageTypeHas("VolumeUsage.gp2")
	io1Storage  = UsageTypeHas("VolumeUsage.piops", "VolumeUsage.io1")
	io1IOPS     = UsageTypeHas("VolumeP-IOPS.piops", "VolumeP-IOPS.io1")
	prevGenEBS  = func(l *Line) bool { return gp2Storage(l) || io1Storage(l) }
	ebsFamilies = map[string]string{"piops": "io1", "io1": "io1", "gp2": "gp2"}
)

func awsPreviousGenerationVolume() *Rule {
	return &Rule{
		ID: "aws.ec2.previous_generation_volume", Code: "A7", Version: 1,
		Title: "gp2 or io1 EBS volume",
		Description: "gp3 costs 20 % less per GB than gp2 and includes 3,000 IOPS; io1 volumes up to 16,000 IOPS cost far " +
			"less as gp3. The change is made online with ModifyVolume.",
		Signal:   "the volume is gp2 or io1 (inventory volume_type, or EBS:VolumeUsage.gp2 / .piops in the ledger)",
		Provider: valdrix.AWS, Types: []string{"aws.ec2.volume"}, Data: DataBilling | DataInventory,
		Action: Action{Kind: ActionModify, Reversible: true, Description: "Modify the volume to gp3 (online; io1 above 16,000 IOPS to io2)."},
		SavingsMethod: "the volume's billed gp2/io1 cost times (1 − gp3 price / current price), with the IOPS gp3 needs beyond its " +
			"3,000 included priced at $0.005 per IOPS-month (AWS EBS pricing ratios applied to the billed rate)",
		Confidence: 0.95,
		Billing:    prevGenEBS,
		Evaluate: func(s *Subject) Verdict {
			typ, ok := s.Attr("volume_type")
			if !ok {
				if s.Resource != nil && s.Usage.Empty() {
					return missing("volume_type")
				}
				last, has := s.Usage.Where(prevGenEBS).LastDay()
				if !has || last < s.Usage.Through {
					return OK("not billed as gp2 or io1 on the last ledger day")
				}
				u := s.Usage.Where(prevGenEBS).Lines[0].Base()
				typ = ebsFamilies[u[strings.LastIndexByte(u, '.')+1:]]
			}
			size, hasSize := attrInt(s, "size_gib")
			switch typ {
			case "gp2":
				cost := s.CostWhere(gp2Storage)
				ratio := 1 - ebsGP3PerGB/ebsGP2PerGB
				note := ebsPricingSource
				if hasSize && size > 0 {
					iops := min(max(100, 3*size), ebsGP3MaxIOPS)
					extra := max(0, iops-ebsGP3FreeIOPS)
					ratio -= float64(extra) * ebsGP3PerIOPS / (ebsGP2PerGB * float64(size))
					note += fmt.Sprintf("; gp3 provisioned with gp2's %d IOPS", iops)
				}
				if ratio <= 0 {
					return OK("gp3 with the same IOPS would cost as much")
				}
				return Waste("the volume is gp2; gp3 costs less for the same performance", cost.ScaleFloat(ratio, note), F("volume_type", typ))
			case "io1":
				iops, hasIOPS := attrInt(s, "iops")
				if !hasIOPS {
					if s.Resource != nil {
						return missing("iops")
					}
					return Waste("the volume is io1", Unpriced("the provisioned IOPS are unknown"), F("volume_type", typ))
				}
				if iops > ebsGP3MaxIOPS {
					return OK(fmt.Sprintf("io1 with %d IOPS, above gp3's maximum (io2 costs the same)", iops))
				}
				storage := s.CostWhere(io1Storage).ScaleFloat(1-ebsGP3PerGB/ebsIO1PerGB, ebsPricingSource)
				iopsCost := s.CostWhere(io1IOPS)
				if !iopsCost.Known() && s.Resource != nil {
					iopsCost = Money{}
				}
				gp3IOPS := float64(max(0, iops-ebsGP3FreeIOPS)) * ebsGP3PerIOPS / (float64(iops) * ebsIO1PerIOPS)
				return Waste(fmt.Sprintf("the volume is io1 with %d IOPS; gp3 provides them for less", iops),
					storage.Plus(iopsCost.ScaleFloat(1-gp3IOPS, ebsPricingSource)), F("volume_type", typ), F("iops", iops))
			}
			return OK("the volume is " + typ)
		},
	}
}
