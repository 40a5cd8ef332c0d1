package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// LedgerRow returns a usage row for tests: cost in whole units.
func LedgerRow(day valdrix.Date, service, resource, tags string, cost int64) ingestion.LedgerRow {
	return ingestion.LedgerRow{
		ChargeDay: day, BillingPeriod: day.Month(), Provider: valdrix.AWS,
		BillingAccountID: "111111111111", SubAccountID: "222222222222", ServiceName: service, ServiceCategory: "Compute",
		RegionID: "us-east-1", ResourceID: resource, SkuID: "SKU1", UsageType: "USE1-BoxUsage:m5.large",
		ChargeCategory: "Usage", ChargeFrequency: "Usage-Based", PricingCategory: "Standard", PricingUnit: "Hours",
		ConsumedUnit: "Hours", BillingCurrency: "USD", Tags: tags,
		ConsumedQuantity: valdrix.NewDecimal(24, 0), PricingQuantity: valdrix.NewDecimal(24, 0),
		BilledCost: valdrix.NewDecimal(cost, 0), EffectiveCost: valdrix.NewDecimal(cost, 0),
		ListCost: valdrix.NewDecimal(cost+1, 0), ContractedCost: valdrix.NewDecimal(cost, 0), LineCount: 24,
	}
}

func exerciseLedger(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	nov := valdrix.NewMonth(2026, 11)
	d1, d2 := nov.Start(), nov.Start().AddDays(1)
	rows := []ingestion.LedgerRow{
		LedgerRow(d1, "AmazonEC2", "i-1", `{"team":"web"}`, 10),
		LedgerRow(d2, "AmazonEC2", "i-1", `{"team":"web"}`, 10),
		LedgerRow(d1, "AmazonEC2", "i-2", `{"team":"data"}`, 5),
		LedgerRow(d1, "AmazonS3", "bucket-1", "", 2),
	}
	rows[3].Missing = ingestion.MissingListCost
	rows[3].ListCost = 0

	all := reporting.CostQuery{From: nov.Start(), To: nov.End()}
	costs := func(tenant valdrix.TenantID, q reporting.CostQuery) []reporting.CostGroup {
		t.Helper()
		g, err := db.QueryCosts(ctx, tenant, q)
		require.NoError(t, err)
		return g
	}

	imp1 := valdrix.NewID()
	require.NoError(t, db.InsertLedgerRows(ctx, a.ID, "local:cur2", imp1, rows))
	require.Empty(t, costs(a.ID, all), "rows are invisible until their period is swapped in")

	prev, err := db.SwapLedgerPeriod(ctx, a.ID, "local:cur2", nov, imp1, T0)
	require.NoError(t, err)
	require.Empty(t, prev)
	v, found, err := db.CurrentLedgerPeriod(ctx, a.ID, "local:cur2", nov)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, imp1, v.ImportID)

	total := costs(a.ID, all)
	require.Len(t, total, 1)
	require.Equal(t, "27", total[0].BilledCost.String())
	require.Equal(t, int64(4), total[0].Rows)
	require.Equal(t, int64(96), total[0].Lines)
	require.Nil(t, total[0].ListCost, "one row lacks list cost: the total is unknown, not a partial sum")
	require.Equal(t, "USD", total[0].Currency)

	byTag := costs(a.ID, reporting.CostQuery{From: nov.Start(), To: nov.End(), GroupBy: []reporting.CostKey{"tag:team"}})
	require.Len(t, byTag, 3)
	require.Equal(t, []string{"web"}, byTag[0].Keys)
	require.Equal(t, "20", byTag[0].EffectiveCost.String())
	require.Equal(t, "22", byTag[0].ListCost.String())
	require.Equal(t, "48", byTag[0].ConsumedQuantity.String())
	require.Equal(t, []string{""}, byTag[2].Keys, "rows without the tag group under an empty value")

	byDay := costs(a.ID, reporting.CostQuery{From: nov.Start(), To: nov.End(), GroupBy: []reporting.CostKey{reporting.KeyDay, reporting.KeyService},
		Filters: []reporting.CostFilter{{Key: reporting.KeyService, Value: "AmazonEC2"}}})
	require.Len(t, byDay, 2)
	require.Equal(t, []string{d1.String(), "AmazonEC2"}, byDay[0].Keys)
	require.Equal(t, "15", byDay[0].BilledCost.String())

	byMonth := costs(a.ID, reporting.CostQuery{From: nov.Start(), To: nov.End(), GroupBy: []reporting.CostKey{reporting.KeyMonth},
		Filters: []reporting.CostFilter{{Key: "tag:team", Value: "web"}, {Key: "tag:team", Value: "data"}}})
	require.Equal(t, []string{"2026-11"}, byMonth[0].Keys)
	require.Equal(t, "25", byMonth[0].BilledCost.String(), "two values of one key are alternatives")

	oneDay := costs(a.ID, reporting.CostQuery{From: d2, To: d2.AddDays(1)})
	require.Equal(t, "10", oneDay[0].BilledCost.String(), "the window is [from, to)")

	require.Empty(t, costs(b.ID, all), "another tenant sees nothing")

	// A restatement replaces the period as a whole.
	imp2 := valdrix.NewID()
	require.NoError(t, db.InsertLedgerRows(ctx, a.ID, "local:cur2", imp2, rows[:1]))
	require.Equal(t, "27", costs(a.ID, all)[0].BilledCost.String(), "still the old version")
	prev, err = db.SwapLedgerPeriod(ctx, a.ID, "local:cur2", nov, imp2, T0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, imp1, prev)
	require.Equal(t, "10", costs(a.ID, all)[0].BilledCost.String())
	n, err := db.DeleteLedgerImport(ctx, a.ID, imp1)
	require.NoError(t, err)
	require.Equal(t, int64(4), n)
	require.Equal(t, "10", costs(a.ID, all)[0].BilledCost.String())

	// Another source's period is independent.
	require.NoError(t, db.InsertLedgerRows(ctx, a.ID, "local:azure", imp1, rows[2:3]))
	_, err = db.SwapLedgerPeriod(ctx, a.ID, "local:azure", nov, imp1, T0)
	require.NoError(t, err)
	bySource := costs(a.ID, reporting.CostQuery{From: nov.Start(), To: nov.End(), GroupBy: []reporting.CostKey{reporting.KeySource}})
	require.Len(t, bySource, 2)

	// B cannot swap or delete A's data.
	_, err = db.DeleteLedgerImport(ctx, b.ID, imp2)
	require.NoError(t, err)
	require.Equal(t, "10", costs(a.ID, reporting.CostQuery{From: nov.Start(), To: nov.End(), Filters: []reporting.CostFilter{{Key: reporting.KeySource, Value: "local:cur2"}}})[0].BilledCost.String())
}

// exerciseLedgerConcurrentSwaps swaps one period from many goroutines: the
// result is exactly one import's rows, never a mix.
func exerciseLedgerConcurrentSwaps(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	nov := valdrix.NewMonth(2026, 11)
	const n = 6
	imports := make([]string, n)
	for i := range n {
		imports[i] = valdrix.NewID()
		var rows []ingestion.LedgerRow
		for j := range 50 {
			rows = append(rows, LedgerRow(nov.Start().AddDays(j%30), "svc", fmt.Sprintf("r-%d", j), "", int64(i+1)))
		}
		require.NoError(t, db.InsertLedgerRows(ctx, a.ID, "src", imports[i], rows))
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := db.SwapLedgerPeriod(ctx, a.ID, "src", nov, imports[i], T0)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	g, err := db.QueryCosts(ctx, a.ID, reporting.CostQuery{From: nov.Start(), To: nov.End()})
	require.NoError(t, err)
	require.Len(t, g, 1)
	require.Equal(t, int64(50), g[0].Rows, "exactly one import's rows")
	v, _, err := db.CurrentLedgerPeriod(ctx, a.ID, "src", nov)
	require.NoError(t, err)
	require.Equal(t, n, v.Version)
}

// exerciseLedgerMultiPeriodSwap swaps two billing periods of one import in
// one call, and two imports of the same two periods concurrently, given in
// opposite orders: each period ends up with one import's rows, and the
// replaced imports are reported per period in the order asked.
func exerciseLedgerMultiPeriodSwap(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	oct, nov := valdrix.NewMonth(2026, 10), valdrix.NewMonth(2026, 11)
	load := func(cost int64) string {
		t.Helper()
		id := valdrix.NewID()
		require.NoError(t, db.InsertLedgerRows(ctx, a.ID, "src", id, []ingestion.LedgerRow{
			LedgerRow(oct.Start(), "svc", "r-1", "", cost), LedgerRow(nov.Start(), "svc", "r-1", "", cost)}))
		return id
	}
	byMonth := func() map[string]string { return BilledByMonth(t, db, a.ID, oct, nov) }

	first := load(1)
	prev, err := db.SwapLedgerPeriods(ctx, a.ID, "src", []valdrix.Month{nov, oct}, first, T0)
	require.NoError(t, err)
	require.Equal(t, []string{"", ""}, prev)
	require.Equal(t, map[string]string{"2026-10": "1", "2026-11": "1"}, byMonth())

	mid := load(5)
	_, err = db.SwapLedgerPeriod(ctx, a.ID, "src", nov, mid, T0)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"2026-10": "1", "2026-11": "5"}, byMonth())

	second := load(2)
	prev, err = db.SwapLedgerPeriods(ctx, a.ID, "src", []valdrix.Month{nov, oct}, second, T0)
	require.NoError(t, err)
	require.Equal(t, []string{mid, first}, prev)
	require.Equal(t, map[string]string{"2026-10": "2", "2026-11": "2"}, byMonth())

	x, y := load(3), load(4)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = db.SwapLedgerPeriods(ctx, a.ID, "src", []valdrix.Month{oct, nov}, x, T0) })
	wg.Go(func() { _, errs[1] = db.SwapLedgerPeriods(ctx, a.ID, "src", []valdrix.Month{nov, oct}, y, T0) })
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	got := byMonth()
	require.Contains(t, []string{"3", "4"}, got["2026-10"])
	require.Equal(t, got["2026-10"], got["2026-11"], "the later swap holds both periods")
}

// BilledByMonth returns tenant's billed cost per month ("2026-11") over the
// months from first to last.
func BilledByMonth(t testing.TB, db *store.DB, tenant valdrix.TenantID, first, last valdrix.Month) map[string]string {
	t.Helper()
	g, err := db.QueryCosts(context.Background(), tenant, reporting.CostQuery{From: first.Start(), To: last.End(),
		GroupBy: []reporting.CostKey{reporting.KeyMonth}})
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range g {
		out[r.Keys[0]] = r.BilledCost.String()
	}
	return out
}
