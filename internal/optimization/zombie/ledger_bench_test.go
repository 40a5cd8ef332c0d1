package zombie_test

import (
	"fmt"
	"testing"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// BenchmarkLedgerAddRow measures folding rows into the ledger: 100,000
// resources × 30 days, in charge-day order, one reused row.
func BenchmarkLedgerAddRow(b *testing.B) {
	const resources = 100_000
	end := valdrix.NewDate(2026, 11, 1)
	w, err := zombie.NewWindow(end, 30)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, resources)
	for i := range ids {
		ids[i] = fmt.Sprintf("vol-%017x", i)
	}
	row := &ingestion.LedgerRow{Provider: valdrix.AWS, SubAccountID: "111122223333", RegionID: "us-east-1",
		ServiceName: "Amazon Elastic Compute Cloud", UsageType: "USE1-EBS:VolumeUsage.gp3", ChargeCategory: "Usage",
		ChargeFrequency: "Usage-Based", PricingCategory: "Standard", PricingUnit: "GB-Mo", ConsumedUnit: "GB-Mo",
		BillingCurrency: "USD", ConsumedQuantity: valdrix.NewDecimal(3, 0), PricingQuantity: valdrix.NewDecimal(3, 0),
		BilledCost: valdrix.NewDecimal(0, 250_000_000), EffectiveCost: valdrix.NewDecimal(0, 250_000_000)}
	for b.Loop() {
		l := zombie.NewLedger(w)
		for d := w.Start; d < w.End; d++ {
			row.ChargeDay, row.BillingPeriod = d, d.Month()
			for _, id := range ids {
				row.ResourceID = id
				l.AddRow(row)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*resources*30), "ns/row")
}
