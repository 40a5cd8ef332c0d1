package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func unusedODCR(l *Line) bool {
	return l.CapacityReservationStatus == "Unused" || UsageTypeHas("UnusedBox:", "UnusedDed:")(l)
}

func awsUnusedCapacityReservation() *Rule {
	return &Rule{
		ID: "aws.ec2.unused_capacity_reservation", Code: "A33", Version: 1,
		Title:       "Unused On-Demand Capacity Reservation",
		Description: "Capacity reserved but not used by a running instance is billed at the On-Demand rate as UnusedBox hours.",
		Signal:      "UnusedBox (or CapacityReservationStatus Unused) lines on any of the last unused_days days; or available_instance_count above 0",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.capacity_reservation"}, Data: DataBilling | DataInventory,
		Thresholds:    unusedThresholds("rules.md A33: UnusedBox usage type; FOCUS CapacityReservationStatus Unused"),
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Cancel the capacity reservation, or reduce its instance count to what runs."},
		SavingsMethod: "the monthly cost of the reservation's unused lines (" + savingsLines + ")",
		Confidence:    0.95,
		Billing:       unusedODCR,
		Evaluate: func(s *Subject) Verdict {
			if s.Resource != nil && s.Usage.Empty() {
				n, ok := attrInt(s, "available_instance_count")
				if !ok {
					return missing("available_instance_count")
				}
				if n == 0 {
					return OK("every reserved instance is in use")
				}
				return Waste(fmt.Sprintf("%d reserved instances are unused", n), Unpriced("no ledger lines for the reservation"))
			}
			return unusedLines(s, unusedODCR)
		},
	}
}
