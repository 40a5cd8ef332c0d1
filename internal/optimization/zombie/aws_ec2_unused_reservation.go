package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// riFee matches the recurring fee lines of a reservation of a service whose
// FOCUS ServiceName contains service.
func riFee(service string) func(*Line) bool {
	return func(l *Line) bool {
		return l.ChargeFrequency == "Recurring" && l.CommitmentDiscountType == "Reservation" && strings.Contains(l.ServiceName, service)
	}
}

func minUnusedPercent(source string) Threshold {
	return percent("min_unused_percent", 1, "commitments with at least this share of their fee unused are flagged (rounding noise below it)", source)
}

func awsUnusedEC2Reservation() *Rule {
	fee := riFee("Elastic Compute Cloud")
	return &Rule{
		ID: "aws.ec2.unused_reservation", Code: "A32", Version: 1,
		Title:       "Unused EC2 reserved instances",
		Description: "A reservation's fee is billed whether or not instances use it. The CUR's RIFee line carries the unused part (reservation_unused_recurring_fee and the unused amortized upfront fee); the ledger's effective cost of the fee line is that unused part.",
		Signal:      "RIFee lines whose effective (unused) cost is at least min_unused_percent of the fee",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.reserved_instance"}, Data: DataBilling,
		Thresholds:    []Threshold{minUnusedPercent("AWS Trusted Advisor Amazon EC2 Reserved Instances Optimization; FOCUS CommitmentDiscountStatus Unused")},
		Action:        Action{Kind: ActionExchange, Reversible: false, Description: "Modify or exchange the reservation to match running instances, or sell it on the Reserved Instance Marketplace."},
		SavingsMethod: savingsUnused,
		Confidence:    0.95,
		Billing:       fee,
		Evaluate:      func(s *Subject) Verdict { return unusedFee(s, fee) },
	}
}
