package ingestion_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// focusFile builds a FOCUS CSV of September 2026: per resource, one hourly
// line of cost `cost` on each of `hours` hours of 2026-09-10.
func focusFile(t *testing.T, name string, lines map[string]int, cost string, hours int) ingestion.File {
	t.Helper()
	return focusFileOn(t, time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC), name, lines, cost, hours)
}

// focusFileOn is focusFile for the hours of another day.
func focusFileOn(t *testing.T, day time.Time, name string, lines map[string]int, cost string, hours int) ingestion.File {
	t.Helper()
	period := time.Date(day.Year(), day.Month(), 1, 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ChargeClass,ChargeFrequency," +
		"ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,ContractedCost,EffectiveCost,ListCost,PricingCategory,PricingQuantity," +
		"PricingUnit,ProviderName,PublisherName,InvoiceIssuerName,RegionId,ResourceId,ServiceCategory,ServiceName,SkuId,SubAccountId,Tags\n")
	for res, team := range lines {
		for h := range hours {
			start := day.Add(time.Duration(h) * time.Hour)
			fmt.Fprintf(&b, "%s,ba-1,USD,%s,%s,Usage,,Usage-Based,%s,%s,1,Hours,%s,%s,%s,Standard,1,Hours,AWS,AWS,AWS,us-east-1,%s,Compute,Amazon Elastic Compute Cloud,sku-1,acct-%d,\"{\"\"team\"\":\"\"t%d\"\"}\"\n",
				cost, period.Format(time.RFC3339), period.AddDate(0, 1, 0).Format(time.RFC3339), start.Format(time.RFC3339), start.Add(time.Hour).Format(time.RFC3339), cost, cost, cost, res, team, team)
		}
	}
	return ingestion.MemoryFile(name, []byte(b.String()))
}

func period(files ...ingestion.File) ingestion.PeriodFiles {
	return ingestion.PeriodFiles{Period: valdrix.NewMonth(2026, 9), Format: ingestion.FormatAuto, Files: files}
}

type importerBundle struct {
	db  *store.DB
	im  *ingestion.Importer
	reg *prometheus.Registry
	t   valdrix.TenantID
}

func newImporter(t *testing.T, open storetest.Opener) importerBundle {
	t.Helper()
	db := open(t)
	reg := prometheus.NewRegistry()
	im, err := ingestion.NewImporter(ingestion.ImporterConfig{Store: db, Registerer: reg, BatchRows: 7})
	require.NoError(t, err)
	tn := storetest.MustTenant(t, db, "Acme")
	return importerBundle{db: db, im: im, reg: reg, t: tn.ID}
}

// onEachStore runs fn in a parallel subtest per store dialect, each with a
// fresh store, tenant and importer.
func onEachStore(t *testing.T, fn func(t *testing.T, ctx context.Context, b importerBundle)) {
	t.Helper()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, context.Background(), newImporter(t, open))
		})
	}
}

func (b importerBundle) total(t *testing.T, by ...reporting.CostKey) []reporting.CostGroup {
	t.Helper()
	sep := valdrix.NewMonth(2026, 9)
	g, err := b.db.QueryCosts(context.Background(), b.t, reporting.CostQuery{From: sep.Start(), To: sep.End(), GroupBy: by})
	require.NoError(t, err)
	return g
}

func TestImporterLifecycle(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, ctx context.Context, b importerBundle) {
		resources := map[string]int{"i-a": 1, "i-b": 1, "i-c": 2}

		// 3 resources × 4 hours × $0.25: $3 in all, $2 for team t1.
		first, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(focusFile(t, "sep.csv", resources, "0.25", 4)), Actor: "test"})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSucceeded, first.Status)
		require.Equal(t, ingestion.FormatFOCUS, first.Format)
		require.Equal(t, int64(12), first.RowsRead)
		require.Equal(t, int64(3), first.LedgerRows, "hourly lines roll up to one row per resource and day")
		require.Equal(t, "3", b.total(t)[0].BilledCost.String())
		byTeam := b.total(t, "tag:team")
		require.Equal(t, []string{"t1"}, byTeam[0].Keys)
		require.Equal(t, "2", byTeam[0].EffectiveCost.String())

		// The same content again changes nothing.
		again, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(focusFile(t, "sep-copy.csv", resources, "0.25", 4)), Actor: "test"})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportUnchanged, again.Status)
		cur, _, err := b.db.CurrentLedgerPeriod(ctx, b.t, "local:focus", valdrix.NewMonth(2026, 9))
		require.NoError(t, err)
		require.Equal(t, first.ID, cur.ImportID)

		// A restatement (+10 %) replaces the period and raises an alert.
		restated, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(focusFile(t, "sep-v2.csv", resources, "0.275", 4)), Actor: "test"})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSucceeded, restated.Status)
		require.Equal(t, "3.3", b.total(t)[0].BilledCost.String())
		old, err := b.db.GetImport(ctx, b.t, first.ID)
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSuperseded, old.Status)
		alerts, _, err := b.db.ListReconciliationAlerts(ctx, b.t, 10, "")
		require.NoError(t, err)
		require.Len(t, alerts, 1)
		require.Equal(t, ingestion.ReconcilePrevious, alerts[0].Kind)
		require.Equal(t, "10", alerts[0].DifferencePct.String())
		require.Equal(t, "3", alerts[0].Expected.String())
		require.Equal(t, "3.3", alerts[0].Actual.String())
		require.Equal(t, float64(1), testutil.ToFloat64(counterVec(t, b.reg, "valdrix_reconciliation_alerts_total")))

		// Bad input: a failed import names file, row and column and leaves
		// the ledger as it was.
		bad := strings.Replace(string(must(t, focusFile(t, "x", resources, "0.5", 4))), "0.5,ba-1", "zero,ba-1", 1)
		failed, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(ingestion.MemoryFile("broken.csv", []byte(bad))), Actor: "test"})
		require.Error(t, err)
		require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
		require.Equal(t, ingestion.ImportFailed, failed.Status)
		require.Equal(t, "broken.csv, row 1, column BilledCost", failed.ErrorLocation)
		stored, err := b.db.GetImport(ctx, b.t, failed.ID)
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportFailed, stored.Status)
		require.Equal(t, "3.3", b.total(t)[0].BilledCost.String(), "stored data untouched")

		// A higher tenant threshold silences a 5 % move.
		require.NoError(t, b.db.PutTenantSettings(ctx, b.t, map[string]any{store.ReconciliationThresholdKey: "20"}))
		_, err = b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(focusFile(t, "sep-v3.csv", resources, "0.29", 4)), Actor: "test"})
		require.NoError(t, err)
		alerts, _, err = b.db.ListReconciliationAlerts(ctx, b.t, 10, "")
		require.NoError(t, err)
		require.Len(t, alerts, 1)

		imports, _, err := b.db.ListImports(ctx, b.t, ingestion.ImportFilter{Source: "local:focus"}, 50, "")
		require.NoError(t, err)
		require.Len(t, imports, 5)
	})
}

// TestConcurrentImportsOfOnePeriod: two imports of the same period at once —
// one wins, nothing mixes.
func TestConcurrentImportsOfOnePeriod(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, ctx context.Context, b importerBundle) {
		a := period(focusFile(t, "a.csv", map[string]int{"i-1": 1, "i-2": 1}, "1", 3))           // $6
		c := period(focusFile(t, "c.csv", map[string]int{"i-3": 2, "i-4": 2, "i-5": 2}, "2", 2)) // $12
		var wg sync.WaitGroup
		results := make([]ingestion.Import, 2)
		errs := make([]error, 2)
		for i, f := range []ingestion.PeriodFiles{a, c} {
			wg.Go(func() {
				results[i], errs[i] = b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "src", Files: f, Actor: "test"})
			})
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		got := b.total(t)
		require.Len(t, got, 1)
		total := got[0].BilledCost.String()
		require.Contains(t, []string{"6", "12"}, total, "exactly one import's rows")
		cur, _, err := b.db.CurrentLedgerPeriod(ctx, b.t, "src", valdrix.NewMonth(2026, 9))
		require.NoError(t, err)
		winner := results[0]
		if total == "12" {
			winner = results[1]
		}
		require.Equal(t, winner.ID, cur.ImportID)
		rows := got[0].Rows
		require.Equal(t, winner.LedgerRows, rows)
	})
}

func TestUnchangedManifestIsNotRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newImporter(t, storetest.OpenSQLite)
	data := focusFile(t, "data/part-0.csv", map[string]int{"i-1": 1}, "1", 2)
	manifest := []byte(`{"executionId":"exec-1","billingPeriod":{"start":"2026-09-01T00:00:00Z"},"dataFiles":["data/part-0.csv"]}`)
	m, err := ingestion.ParseManifest("manifest.json", manifest)
	require.NoError(t, err)
	pf := ingestion.PeriodFiles{Period: m.BillingPeriod, Format: ingestion.FormatFOCUS, Manifest: m, Files: []ingestion.File{data}}
	first, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "s3", Files: pf, Format: ingestion.FormatFOCUS})
	require.NoError(t, err)
	require.Equal(t, ingestion.ImportSucceeded, first.Status)
	require.Equal(t, m.Checksum, first.ManifestChecksum)

	// The same manifest again: the files are not even opened.
	opened := false
	pf.Files = []ingestion.File{{Name: "data/part-0.csv", Open: func(context.Context) (ingestion.Blob, error) { opened = true; return nil, fmt.Errorf("must not open") }}}
	again, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "s3", Files: pf, Format: ingestion.FormatFOCUS})
	require.NoError(t, err)
	require.Equal(t, ingestion.ImportUnchanged, again.Status)
	require.False(t, opened)
}

func counterVec(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			var sum float64
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sum"}, func() float64 { return sum })
		}
	}
	t.Fatalf("metric %s not found", name)
	return nil
}

func must(t *testing.T, f ingestion.File) []byte {
	t.Helper()
	blob, err := f.Open(context.Background())
	require.NoError(t, err)
	defer blob.Close()
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := blob.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return []byte(b.String())
}

// An import whose process died stays "running" with its unswapped rows in
// the ledger; the next import of the same source marks it failed and removes
// them, leaving alone imports that are young or still beating, and other
// sources'. An import judged dead while it still runs is not swapped in.
func TestImporterReapsInterruptedImports(t *testing.T) {
	t.Parallel()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t)
			tn := storetest.MustTenant(t, db, "Acme").ID
			t0 := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
			clock := valdrix.ClockFunc(func() time.Time { return t0 })
			im, err := ingestion.NewImporter(ingestion.ImporterConfig{Store: db, Clock: clock, StaleAfter: 10 * time.Minute})
			require.NoError(t, err)
			sep := valdrix.NewMonth(2026, 9)

			other := storetest.MustTenant(t, db, "Other").ID
			left := func(tn valdrix.TenantID, source string, started time.Time, beat time.Duration) string {
				t.Helper()
				id := valdrix.NewID()
				require.NoError(t, db.CreateImport(ctx, ingestion.Import{ID: id, TenantID: tn, SourceID: source, Format: ingestion.FormatFOCUS,
					Status: ingestion.ImportRunning, StartedAt: started, Files: []string{}}))
				require.NoError(t, db.InsertLedgerRows(ctx, tn, source, id, []ingestion.LedgerRow{
					storetest.LedgerRow(sep.Start(), "svc", "r-1", "", 1), storetest.LedgerRow(sep.Start(), "svc", "r-2", "", 1)}))
				if beat != 0 {
					alive, err := db.TouchImport(ctx, tn, id, t0.Add(-beat))
					require.NoError(t, err)
					require.True(t, alive)
				}
				return id
			}
			dead := left(tn, "local:focus", t0.Add(-time.Hour), 0)
			deadBeat := left(tn, "local:focus", t0.Add(-2*time.Hour), 11*time.Minute)
			beating := left(tn, "local:focus", t0.Add(-time.Hour), 5*time.Minute)
			young := left(tn, "local:focus", t0.Add(-5*time.Minute), 0)
			otherSource := left(tn, "local:other", t0.Add(-time.Hour), 0)
			otherTenant := left(other, "local:focus", t0.Add(-time.Hour), 0)
			// Left running but current (a record from before imports
			// committed their status with the swap): never reaped.
			current := left(tn, "local:focus", t0.Add(-time.Hour), 0)
			_, err = db.SwapLedgerPeriod(ctx, tn, "local:focus", valdrix.NewMonth(2026, 10), current, t0)
			require.NoError(t, err)

			done, err := im.Import(ctx, ingestion.ImportRequest{Tenant: tn, Source: "local:focus",
				Files: period(focusFile(t, "sep.csv", map[string]int{"i-a": 1}, "1", 2)), Actor: "test"})
			require.NoError(t, err)
			require.Equal(t, ingestion.ImportSucceeded, done.Status)

			tests := []struct {
				tenant valdrix.TenantID
				id     string
				status ingestion.ImportStatus
				rows   int64 // left in the ledger
			}{
				{tn, dead, ingestion.ImportFailed, 0},
				{tn, deadBeat, ingestion.ImportFailed, 0},
				{tn, beating, ingestion.ImportRunning, 2},
				{tn, young, ingestion.ImportRunning, 2},
				{tn, otherSource, ingestion.ImportRunning, 2},
				{other, otherTenant, ingestion.ImportRunning, 2},
				{tn, current, ingestion.ImportRunning, 2},
			}
			for i, tc := range tests {
				got, err := db.GetImport(ctx, tc.tenant, tc.id)
				require.NoError(t, err)
				require.Equal(t, tc.status, got.Status, "import %d", i)
				if tc.status == ingestion.ImportFailed {
					require.Equal(t, ingestion.ImportInterrupted, got.Error)
					require.NotNil(t, got.FinishedAt)
				}
				n, err := db.DeleteLedgerImport(ctx, tc.tenant, tc.id)
				require.NoError(t, err)
				require.Equal(t, tc.rows, n, "import %d: rows left", i)
			}

			// Judged dead (by a process whose clock runs a day ahead) while it
			// reads: it fails, and the period keeps the previous version.
			_, err = im.Import(ctx, ingestion.ImportRequest{Tenant: tn, Source: "local:focus",
				Files: period(focusFile(t, "sep.csv", map[string]int{"i-b": 1}, "5", 2)), Actor: "test",
				Read: ingestion.ReadOptions{Progress: func(string, int64, int64) {
					_, _, err := db.InterruptImports(ctx, tn, "local:focus", t0.Add(24*time.Hour), t0, ingestion.ImportInterrupted)
					require.NoError(t, err)
				}}})
			require.Error(t, err)
			require.Equal(t, valdrix.ECONFLICT, valdrix.ErrorCode(err))
			g, err := db.QueryCosts(ctx, tn, reporting.CostQuery{From: sep.Start(), To: sep.End(), GroupBy: []reporting.CostKey{reporting.KeyResource}})
			require.NoError(t, err)
			require.Len(t, g, 1)
			require.Equal(t, []string{"i-a"}, g[0].Keys)
			require.Equal(t, "2", g[0].BilledCost.String())
		})
	}
}

// One import holding two billing periods swaps both at once; its
// replacement supersedes it in both and its rows go.
func TestImporterMultiPeriod(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, ctx context.Context, b importerBundle) {
		aug, sep := time.Date(2026, 8, 20, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC)
		files := func(augCost, sepCost string) ingestion.PeriodFiles {
			return ingestion.PeriodFiles{Format: ingestion.FormatFOCUS, Files: []ingestion.File{
				focusFileOn(t, aug, "aug.csv", map[string]int{"i-a": 1}, augCost, 2),
				focusFileOn(t, sep, "sep.csv", map[string]int{"i-a": 1}, sepCost, 2)}}
		}
		byMonth := func() map[string]string {
			return storetest.BilledByMonth(t, b.db, b.t, valdrix.NewMonth(2026, 8), valdrix.NewMonth(2026, 9))
		}
		first, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: files("1", "2"), Format: ingestion.FormatFOCUS})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSucceeded, first.Status)
		require.Equal(t, map[string]string{"2026-08": "2", "2026-09": "4"}, byMonth())

		status := func(id string) ingestion.ImportStatus {
			t.Helper()
			got, err := b.db.GetImport(ctx, b.t, id)
			require.NoError(t, err)
			return got.Status
		}

		// September alone: August still shows the first import.
		sepOnly := ingestion.PeriodFiles{Format: ingestion.FormatFOCUS, Files: []ingestion.File{
			focusFileOn(t, sep, "sep.csv", map[string]int{"i-a": 1}, "7", 2)}}
		second, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: sepOnly, Format: ingestion.FormatFOCUS})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSucceeded, second.Status)
		require.Equal(t, map[string]string{"2026-08": "2", "2026-09": "14"}, byMonth())
		require.Equal(t, ingestion.ImportSucceeded, status(first.ID), "still current for August")

		// Both again: the first import shows nothing any more.
		third, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: files("3", "5"), Format: ingestion.FormatFOCUS})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSucceeded, third.Status)
		require.Equal(t, map[string]string{"2026-08": "6", "2026-09": "10"}, byMonth())
		for _, id := range []string{first.ID, second.ID} {
			require.Equal(t, ingestion.ImportSuperseded, status(id))
			n, err := b.db.DeleteLedgerImport(ctx, b.t, id)
			require.NoError(t, err)
			require.Zero(t, n, "a superseded import's rows were deleted")
		}
	})
}

// reapingStore judges the import dead right before it commits, as another
// process would whose clock ran far ahead.
type reapingStore struct {
	*store.DB
	at time.Time
}

func (r reapingStore) CommitImport(ctx context.Context, imp ingestion.Import, periods []valdrix.Month, at time.Time) ([]string, error) {
	if _, _, err := r.InterruptImports(ctx, imp.TenantID, imp.SourceID, r.at.Add(24*time.Hour), r.at, ingestion.ImportInterrupted); err != nil {
		return nil, err
	}
	return r.DB.CommitImport(ctx, imp, periods, at)
}

// An import reaped between its last heartbeat and its commit is not made
// current: the period keeps its previous version and rows.
func TestImporterReapedBeforeCommit(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, ctx context.Context, b importerBundle) {
		first, err := b.im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(focusFile(t, "sep.csv", map[string]int{"i-a": 1}, "1", 2))})
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportSucceeded, first.Status)

		im, err := ingestion.NewImporter(ingestion.ImporterConfig{Store: reapingStore{DB: b.db, at: time.Now()}})
		require.NoError(t, err)
		second, err := im.Import(ctx, ingestion.ImportRequest{Tenant: b.t, Source: "local:focus", Files: period(focusFile(t, "sep.csv", map[string]int{"i-a": 1}, "9", 2))})
		require.Equal(t, valdrix.ECONFLICT, valdrix.ErrorCode(err))
		got, err := b.db.GetImport(ctx, b.t, second.ID)
		require.NoError(t, err)
		require.Equal(t, ingestion.ImportFailed, got.Status)
		g := b.total(t)
		require.Len(t, g, 1)
		require.Equal(t, "2", g[0].BilledCost.String(), "the first import's rows, still current")
		cur, ok, err := b.db.CurrentLedgerPeriod(ctx, b.t, "local:focus", valdrix.NewMonth(2026, 9))
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, first.ID, cur.ImportID)
	})
}
