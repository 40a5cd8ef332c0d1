package ingestion_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func line(day int, res string, billed string, missing ingestion.Missing) ingestion.LedgerRow {
	d, _ := valdrix.ParseDecimal(billed)
	return ingestion.LedgerRow{
		ChargeDay: valdrix.NewDate(2024, 9, day), BillingPeriod: valdrix.NewMonth(2024, 9), Provider: valdrix.AWS,
		ResourceID: res, ChargeCategory: "Usage", BillingCurrency: "USD", BilledCost: d, EffectiveCost: d, Missing: missing,
	}
}

func TestRollup(t *testing.T) {
	t.Parallel()
	t.Run("sums per day and key, missing only when no line has it", func(t *testing.T) {
		t.Parallel()
		r := ingestion.NewRollup()
		for _, l := range []ingestion.LedgerRow{
			line(2, "b", "1.1", ingestion.MissingListCost),
			line(1, "a", "0.1", ingestion.MissingListCost|ingestion.MissingConsumedQuantity),
			line(1, "a", "0.2", ingestion.MissingListCost),
			line(1, "b", "5", 0),
		} {
			require.NoError(t, r.Add(&l))
		}
		require.Equal(t, int64(4), r.Lines())
		rows := r.Rows()
		require.Len(t, rows, 3)
		require.Equal(t, "a", rows[0].ResourceID)
		require.Equal(t, "0.3", rows[0].BilledCost.String())
		require.Equal(t, int64(2), rows[0].LineCount)
		require.Equal(t, ingestion.MissingListCost, rows[0].Missing, "consumed quantity was carried by one line")
		require.Equal(t, "b", rows[1].ResourceID)
		require.Equal(t, "2024-09-02", rows[2].ChargeDay.String())
		require.Equal(t, []ingestion.CategoryTotal{{ChargeCategory: "Usage", BillingCurrency: "USD", BilledCost: 6_400_000_000, EffectiveCost: 6_400_000_000, Lines: 4}}, r.Totals())
	})
	t.Run("totals per charge category and currency, whatever their order", func(t *testing.T) {
		t.Parallel()
		r := ingestion.NewRollup()
		for i, c := range []struct{ category, currency, billed string }{
			{"Usage", "USD", "1"}, {"Usage", "EUR", "2"}, {"Usage", "USD", "4"}, {"Tax", "USD", "8"}, {"Tax", "EUR", "16"}, {"Usage", "EUR", "32"},
		} {
			l := line(1, fmt.Sprint(i), c.billed, 0)
			l.ChargeCategory, l.BillingCurrency = c.category, c.currency
			require.NoError(t, r.Add(&l))
		}
		got := map[string]string{}
		for _, tot := range r.Totals() {
			got[tot.ChargeCategory+"/"+tot.BillingCurrency] = tot.BilledCost.String()
		}
		require.Equal(t, map[string]string{"Usage/USD": "5", "Usage/EUR": "34", "Tax/USD": "8", "Tax/EUR": "16"}, got)
	})
	t.Run("overflow is an error", func(t *testing.T) {
		t.Parallel()
		r := ingestion.NewRollup()
		a := line(1, "a", "1", 0)
		a.BilledCost = math.MaxInt64 - 5
		require.NoError(t, r.Add(&a))
		b := line(1, "a", "1", 0)
		require.ErrorContains(t, r.Add(&b), "out of range")
	})
	t.Run("output order does not depend on input order", func(t *testing.T) {
		t.Parallel()
		var ls []ingestion.LedgerRow
		for d := 1; d <= 5; d++ {
			for _, res := range []string{"z", "a", "m", ""} {
				ls = append(ls, line(d, res, "1", 0))
			}
		}
		a, b := ingestion.NewRollup(), ingestion.NewRollup()
		for i := range ls {
			l1, l2 := ls[i], ls[len(ls)-1-i]
			require.NoError(t, a.Add(&l1))
			require.NoError(t, b.Add(&l2))
		}
		ra, rb := a.Rows(), b.Rows()
		require.Empty(t, cmp.Diff(ra, rb))
		for i := 1; i < len(ra); i++ {
			require.True(t, ra[i-1].ChargeDay < ra[i].ChargeDay || ra[i-1].ResourceID < ra[i].ResourceID)
		}
	})
}
