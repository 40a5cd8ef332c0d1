package zombie

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureOversizedCommitmentTier() *Rule {
	return &Rule{
		ID: "azure.loganalytics.oversized_commitment_tier", Code: "Z18", Version: 1,
		Title:       "Log Analytics commitment tier above the ingested volume",
		Description: "A commitment tier bills its daily capacity whether or not that much data arrives. When the workspace ingests less than the tier's break-even volume, pay-as-you-go costs less.",
		Signal:      "sku is a commitment tier (CapacityReservation) and avg_daily_ingestion_gb × the pay-as-you-go rate costs less than the billed tier",
		Provider:    valdrix.Azure, Types: []string{"azure.operationalinsights.workspace"}, Data: DataInventory | DataBilling,
		Action: Action{Kind: ActionModify, Reversible: true, Description: "Move the workspace to a lower commitment tier or to pay-as-you-go (tier changes are allowed after 31 days)."},
		SavingsMethod: "the billed commitment tier cost minus the ingested GB × the pay-as-you-go price ($2.30 per GB, Azure Monitor pricing, " +
			"East US) scaled by the workspace's own billed-to-list ratio",
		Confidence: 0.75,
		Evaluate: func(s *Subject) Verdict {
			sku, ok := s.Attr("sku")
			if !ok {
				return missing("sku")
			}
			if !strings.EqualFold(sku, "CapacityReservation") {
				return OK("the workspace is on " + sku)
			}
			gbText, ok := s.Attr("avg_daily_ingestion_gb")
			if !ok {
				return missing("avg_daily_ingestion_gb")
			}
			gb, err := strconv.ParseFloat(gbText, 64)
			if err != nil {
				return Unknown(ReasonMissingAttribute, fmt.Sprintf("avg_daily_ingestion_gb is %q, not a number", gbText))
			}
			tier := s.Cost()
			if !tier.Known() {
				return Unknown(ReasonNoBilling, "the tier's billed cost is unknown, so it cannot be compared with pay-as-you-go")
			}
			payg := gb * MonthDays * logAnalyticsPAYGPerGB
			if payg >= tier.Amount.Float64() {
				return OK(fmt.Sprintf("%.1f GB a day: the tier costs less than pay-as-you-go", gb))
			}
			paygMoney, _ := valdrix.DecimalFromFloat(payg)
			saved, _ := tier.Amount.Sub(paygMoney)
			return Waste(fmt.Sprintf("%.1f GB a day costs %.2f a month pay-as-you-go, less than the tier", gb, payg),
				Estimated(saved, tier.Currency, "billed tier cost − ingested GB × $2.30 per GB × 30.44 days (Azure Monitor pricing, East US)"),
				F("avg_daily_ingestion_gb", gb))
		},
	}
}
