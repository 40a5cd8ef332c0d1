package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsOversizedVolume() *Rule {
	return &Rule{
		ID: "aws.ec2.oversized_volume", Code: "A8", Version: 1,
		Title:       "Large or high-IOPS EBS volume to review",
		Description: "Very large volumes and volumes with very high provisioned IOPS are worth a look: they are often sized for a peak long past. Advice, not waste: opt in.",
		Signal:      "size_gib above max_size_gib or iops above max_iops",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.volume"}, Data: DataInventory,
		Thresholds: []Threshold{
			{Name: "max_size_gib", Unit: UnitGiB, Default: 100, Min: 1, Max: 65536, Integer: true, Description: "volumes larger than this are listed", Source: "thrifty ebs_volume_max_size_gb (100)"},
			{Name: "max_iops", Unit: UnitIOPS, Default: 32000, Min: 100, Max: 256000, Integer: true, Description: "volumes with more provisioned IOPS are listed", Source: "thrifty ebs_volume_max_iops (32,000)"},
		},
		Action:        Action{Kind: ActionReview, Reversible: true, Description: "Check the volume's use and shrink it (new smaller volume) or lower its IOPS."},
		SavingsMethod: "not estimated: the saving depends on the size chosen (the finding is unpriced advice)",
		Confidence:    0.5,
		OptIn:         true,
		Evaluate: func(s *Subject) Verdict {
			size, ok := attrInt(s, "size_gib")
			if !ok {
				return missing("size_gib")
			}
			iops, _ := attrInt(s, "iops")
			if float64(size) <= s.Param("max_size_gib") && float64(iops) <= s.Param("max_iops") {
				return OK(fmt.Sprintf("%d GiB, %d IOPS", size, iops))
			}
			return Waste(fmt.Sprintf("%d GiB with %d IOPS is large enough to review", size, iops),
				Unpriced("review: the saving depends on the new size"), F("size_gib", size), F("iops", iops))
		},
	}
}
