package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func awsUnusedRDSReservation() *Rule {
	fee := riFee("Relational Database Service")
	return &Rule{
		ID: "aws.rds.unused_reservation", Code: "A32", Version: 1,
		Title:       "Unused RDS reserved DB instances",
		Description: "A reserved DB instance's fee is billed whether or not a database uses it; the RIFee line's effective cost is the unused part.",
		Signal:      "RDS RIFee lines whose effective (unused) cost is at least min_unused_percent of the fee",
		Provider:    valdrix.AWS, Types: []string{"aws.rds.reserved_db_instance"}, Data: DataBilling,
		Thresholds:    []Threshold{minUnusedPercent("AWS Trusted Advisor Amazon RDS Reserved Instance Optimization; FOCUS CommitmentDiscountStatus Unused")},
		Action:        Action{Kind: ActionReview, Reversible: false, Description: "Move a matching database onto the reservation (RDS reservations cannot be exchanged or sold)."},
		SavingsMethod: savingsUnused,
		Confidence:    0.95,
		Billing:       fee,
		Evaluate:      func(s *Subject) Verdict { return unusedFee(s, fee) },
	}
}
