package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// cudFee matches a commitment's fee lines in a standard GCP export (the
// lines of a commitment's own subject are billed to it).
func cudFee(l *Line) bool {
	return l.CommitmentDiscountType == CUDType && isCUDFee(l.ChargeCategory, l.CommitmentDiscountStatus)
}

// cudPriceRatio is what a resource-based commitment costs per unit of the
// on-demand price it covers: GCP publishes a 37 % discount for one year
// and 55 % for three years on most machine series.
func cudPriceRatio(u Usage) (float64, string) {
	for _, l := range u.Lines {
		if strings.Contains(l.UsageType, "3 Year") {
			return 0.45, "3-year commitment: 55 % below on-demand"
		}
	}
	return 0.63, "1-year commitment: 37 % below on-demand"
}

func gcpUnusedCommitment() *Rule {
	return &Rule{
		ID: "gcp.compute.unused_commitment", Code: "G13", Version: 2,
		Title: "Underused committed use discount",
		Description: "A resource-based commitment bills its vCPUs and memory whether or not instances use them. FOCUS exports mark the " +
			"unused part CommitmentDiscountStatus Unused. The standard billing export bills the commitment's fee (\"Commitment v1: …\" SKUs) " +
			"and a COMMITTED_USAGE_DISCOUNT credit on the usage it covers, without naming the commitment: the rule compares, per project " +
			"and region, the on-demand value the credits covered with what the fees buy at the published discount.",
		Signal: "lines with CommitmentDiscountStatus Unused on any of the last unused_days days; or, from a standard export, " +
			"credits covering less than (100 − min_unused_percent) % of what the project's commitments in the region buy",
		Provider: valdrix.GCP, Types: []string{"gcp.compute.commitment"}, Data: DataBilling,
		Thresholds: append(unusedThresholds("Flexera cud_report; rules.md G13; FOCUS CommitmentDiscountStatus Unused"),
			percent("min_unused_percent", 5, "standard exports: commitments with at least this share unused are flagged (the published discount "+
				"differs slightly between machine series, so smaller shares are not told apart from that)",
				"GCP committed use discounts: 37 % (1 year), 55 % (3 years); rules.md G13: credits vs \"Commitment v1\" fee SKUs")),
		Action:        Action{Kind: ActionReview, Reversible: false, Description: "Move eligible workloads into the commitment's region and machine series; size renewals to the used part."},
		SavingsMethod: "the monthly cost of the commitment's unused lines (" + savingsLines + "); from a standard export, the unused share of its fee",
		Confidence:    0.9,
		Billing:       func(l *Line) bool { return unusedCommitment(l) || cudFee(l) },
		Evaluate: func(s *Subject) Verdict {
			if s.Usage.Has(unusedCommitment) {
				return unusedLines(s, unusedCommitment)
			}
			return underusedCUD(s)
		},
	}
}

// underusedCUD decides a commitment from a standard GCP export: over the
// last unused_days days, the credits in its project and region against
// the on-demand value its fees (and those of the region's other
// commitments) buy.
func underusedCUD(s *Subject) Verdict {
	fee := s.Usage.Where(cudFee)
	if fee.Empty() {
		return OK("no unused or fee lines in the window")
	}
	n := pdays(s, "unused_days")
	from, v := billedWindow(s, n)
	if v != nil {
		return *v
	}
	fees, credits, ok := s.RegionalCommitments(from)
	if !ok {
		return OK(fmt.Sprintf("no commitment fee billed in the last %d days", n))
	}
	ratio, basis := cudPriceRatio(fee)
	covers := fees.Float64() / ratio // the on-demand value the fees buy
	used := min(1, -credits.Float64()/covers)
	pct := (1 - max(0, used)) * 100
	facts := []Fact{F("regional_fees", fees.String()), F("regional_credits", credits.String()), F("price_ratio", ratio),
		F("unused_percent", pct)}
	if pct < s.Param("min_unused_percent") {
		return OK(fmt.Sprintf("%.1f %% of the region's commitments are unused", pct), facts...)
	}
	monthly := fee.Monthly()
	cur := fee.Currency()
	saved, ok := monthly.MulRatio(int64(pct*100+0.5), 10000)
	if !ok {
		return Unknown(ReasonInconsistentBilling, "the commitment's fee overflows", facts...)
	}
	v2 := Waste(fmt.Sprintf("%.1f %% of the commitment is unused in the last %d days (credits against fees in %s %s)", pct, n, s.AccountID, s.Region),
		Money{Amount: saved, Currency: cur, State: CostEstimated, Source: "unused share of the fee; " + basis}, facts...)
	v2.Cost = Money{Amount: monthly, Currency: cur, State: CostBilled, Source: "ledger: the commitment's fee"}
	return v2
}
