package reporting_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// fakeLedger serves ledger rows per tenant from memory.
type fakeLedger struct {
	rows    map[valdrix.TenantID][]ingestion.LedgerRow
	walkErr error
}

func (f *fakeLedger) QueryCosts(context.Context, valdrix.TenantID, reporting.CostQuery) ([]reporting.CostGroup, error) {
	return nil, errors.New("not used")
}

func (f *fakeLedger) WalkLedger(_ context.Context, tenant valdrix.TenantID, from, to valdrix.Date, fn func(*ingestion.LedgerRow) error) error {
	rows := f.rows[tenant]
	var r ingestion.LedgerRow // one row reused, as the store does
	for i := range rows {
		if rows[i].ChargeDay < from || rows[i].ChargeDay >= to {
			continue
		}
		r = rows[i]
		if err := fn(&r); err != nil {
			return err
		}
	}
	return f.walkErr
}

type testBundle struct {
	est    *carbon.Estimator
	ledger *fakeLedger
	svc    *reporting.Service
}

func setup(t testing.TB) *testBundle {
	t.Helper()
	est, err := carbon.New(carbon.Config{})
	require.NoError(t, err)
	l := &fakeLedger{rows: map[valdrix.TenantID][]ingestion.LedgerRow{}}
	return &testBundle{est: est, ledger: l, svc: reporting.New(l, est)}
}

const (
	tenantA = valdrix.TenantID("0190c0de-0000-7000-8000-00000000000a")
	tenantB = valdrix.TenantID("0190c0de-0000-7000-8000-00000000000b")
)

func dec(t testing.TB, s string) valdrix.Decimal {
	t.Helper()
	d, err := valdrix.ParseDecimal(s)
	require.NoError(t, err)
	return d
}

// row is a daily AWS usage row as ingestion writes it.
func row(t testing.TB, day valdrix.Date, account, region, service, usageType, unit, qty, cost string) ingestion.LedgerRow {
	t.Helper()
	return ingestion.LedgerRow{
		ChargeDay: day, BillingPeriod: day.Month(), Provider: valdrix.AWS, SubAccountID: account,
		ServiceName: service, RegionID: region, UsageType: usageType, ChargeCategory: "Usage",
		ConsumedUnit: unit, ConsumedQuantity: dec(t, qty), BilledCost: dec(t, cost), EffectiveCost: dec(t, cost),
		BillingCurrency: "USD", Missing: ingestion.MissingListCost | ingestion.MissingContractedCost | ingestion.MissingPricingQuantity,
	}
}

// The days of the fixtures.
const (
	sep3 = valdrix.Date(20699) // 2026-09-03
	oct2 = valdrix.Date(20728) // 2026-10-02
)

func TestFixtureDays(t *testing.T) {
	t.Parallel()
	require.Equal(t, valdrix.NewDate(2026, 9, 3), sep3)
	require.Equal(t, valdrix.NewDate(2026, 10, 2), oct2)
}

func TestCarbonReport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	vm := row(t, sep3, "111", "us-east-1", "Amazon EC2", "USE1-BoxUsage:m5.xlarge", "Hrs", "24", "4.608")
	disk := row(t, sep3, "111", "us-east-1", "Amazon EC2", "USE1-EBS:VolumeUsage.gp2", "GB-Mo", "30", "3")
	nat := row(t, sep3, "111", "us-east-1", "Amazon VPC", "USE1-NatGateway-Hours", "Hrs", "24", "1.08")
	later := row(t, oct2, "222", "eu-west-1", "Amazon EC2", "EU-BoxUsage:m5.xlarge", "Hrs", "48", "9.6")
	tax := row(t, oct2, "222", "", "Amazon EC2", "", "", "0", "0.7")
	tax.ChargeCategory = "Tax"
	odd := row(t, oct2, "222", "eu-west-1", "Oracle Compute", "VM", "Hrs", "1", "0.1")
	odd.Provider = "oracle" // the estimator knows no such provider
	b.ledger.rows[tenantA] = []ingestion.LedgerRow{vm, disk, nat, later, tax, odd}
	huge := row(t, sep3, "999", "us-east-1", "Amazon EC2", "USE1-BoxUsage:m5.24xlarge", "Hrs", "720", "3000")
	b.ledger.rows[tenantB] = []ingestion.LedgerRow{huge}

	kg := func(rows ...ingestion.LedgerRow) *valdrix.Decimal {
		var sum valdrix.Decimal
		for _, r := range rows {
			e, err := b.est.EstimateRow(r)
			require.NoError(t, err)
			var ok bool
			sum, ok = sum.Add(e.TotalKg)
			require.True(t, ok)
		}
		return &sum
	}
	q := reporting.CarbonQuery{From: valdrix.NewDate(2026, 9, 1), To: valdrix.NewDate(2026, 11, 1)}

	t.Run("by month and service", func(t *testing.T) {
		t.Parallel()
		q := q
		q.GroupBy = []carbon.Dimension{carbon.ByMonth, carbon.ByService}
		rep, err := b.svc.Carbon(context.Background(), tenantA, q)
		require.NoError(t, err)
		require.Equal(t, valdrix.NewDate(2026, 10, 31), rep.To, "to is the last day, included")
		require.Equal(t, []string{"month", "service"}, rep.GroupBy)
		require.Equal(t, carbon.CoefficientsVersion, rep.CoefficientsVersion)
		require.Equal(t, "USD", rep.Currency)
		require.Len(t, rep.Groups, 4)
		// Largest first: October's 48 hours, then September's EC2.
		require.Equal(t, map[string]string{"month": "2026-10", "service": "Amazon EC2"}, rep.Groups[0].Dimensions)
		require.Equal(t, kg(later), rep.Groups[0].TotalKg)
		require.Equal(t, dec(t, "10.3"), rep.Groups[0].BilledCost, "9.6 + the 0.7 tax")
		require.Equal(t, map[string]string{"month": "2026-09", "service": "Amazon EC2"}, rep.Groups[1].Dimensions)
		require.Equal(t, kg(vm, disk), rep.Groups[1].TotalKg)
		// Nothing estimated: unknown, not zero; sorted last, ties by key.
		require.Equal(t, map[string]string{"month": "2026-09", "service": "Amazon VPC"}, rep.Groups[2].Dimensions)
		require.Nil(t, rep.Groups[2].TotalKg)
		require.Equal(t, map[carbon.Reason]int{carbon.ReasonUnknownUsage: 1}, rep.Groups[2].UnknownReasons)
		require.Equal(t, map[string]string{"month": "2026-10", "service": "Oracle Compute"}, rep.Groups[3].Dimensions)
		require.Nil(t, rep.Groups[3].TotalKg)
		require.Equal(t, map[carbon.Reason]int{reporting.ReasonEstimateFailed: 1}, rep.Groups[3].UnknownReasons, "a row the estimator refuses is counted, not dropped")

		tot := rep.Total
		require.Equal(t, kg(vm, disk, later), tot.TotalKg)
		require.Equal(t, 6, tot.Rows)
		require.Equal(t, 3, tot.EstimatedRows)
		require.Equal(t, 2, tot.UnknownRows)
		require.Equal(t, 1, tot.NotUsageRows)
		require.Equal(t, dec(t, "1.18"), tot.UnestimatedCost)
		require.Equal(t, dec(t, "19.088"), tot.BilledCost)
		require.False(t, tot.Complete)
	})

	t.Run("filters", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name string
			set  func(*reporting.CarbonQuery)
			want []ingestion.LedgerRow
			rows int
		}{
			{name: "provider", set: func(q *reporting.CarbonQuery) { q.Providers = []valdrix.Provider{valdrix.AWS} }, want: []ingestion.LedgerRow{vm, disk, later}, rows: 5},
			{name: "account", set: func(q *reporting.CarbonQuery) { q.Accounts = []string{"111"} }, want: []ingestion.LedgerRow{vm, disk}, rows: 3},
			{name: "region", set: func(q *reporting.CarbonQuery) { q.Regions = []string{"eu-west-1"} }, want: []ingestion.LedgerRow{later}, rows: 2},
			{name: "service", set: func(q *reporting.CarbonQuery) { q.Services = []string{"Amazon VPC", "Amazon EC2"} }, want: []ingestion.LedgerRow{vm, disk, later}, rows: 5},
			{name: "currency", set: func(q *reporting.CarbonQuery) { q.Currencies = []string{"EUR"} }, rows: 0},
			{name: "window", set: func(q *reporting.CarbonQuery) { q.To = valdrix.NewDate(2026, 10, 1) }, want: []ingestion.LedgerRow{vm, disk}, rows: 3},
			{name: "all together", set: func(q *reporting.CarbonQuery) {
				q.Providers, q.Accounts, q.Regions, q.Services = []valdrix.Provider{valdrix.AWS}, []string{"111"}, []string{"us-east-1"}, []string{"Amazon EC2"}
			}, want: []ingestion.LedgerRow{vm, disk}, rows: 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				q := q
				tc.set(&q)
				rep, err := b.svc.Carbon(context.Background(), tenantA, q)
				require.NoError(t, err)
				require.Equal(t, tc.rows, rep.Total.Rows)
				require.Equal(t, kg(tc.want...), rep.Total.TotalKg)
			})
		}
	})

	t.Run("limit", func(t *testing.T) {
		t.Parallel()
		q := q
		q.GroupBy, q.Limit = []carbon.Dimension{carbon.ByAccount, carbon.ByRegion}, 2
		rep, err := b.svc.Carbon(context.Background(), tenantA, q)
		require.NoError(t, err)
		require.Len(t, rep.Groups, 2)
		require.True(t, rep.Truncated)
		require.Equal(t, 3, rep.GroupCount, "111/us-east-1, 222/eu-west-1 and the tax row's 222/(no region)")
		require.Equal(t, 6, rep.Total.Rows, "the total covers the groups left out")
		q.Limit = 3
		rep, err = b.svc.Carbon(context.Background(), tenantA, q)
		require.NoError(t, err)
		require.Len(t, rep.Groups, 3)
		require.False(t, rep.Truncated)
	})

	t.Run("tenant", func(t *testing.T) {
		t.Parallel()
		rep, err := b.svc.Carbon(context.Background(), tenantB, q)
		require.NoError(t, err)
		require.Equal(t, 1, rep.Total.Rows)
		require.Equal(t, kg(huge), rep.Total.TotalKg)
		rep, err = b.svc.Carbon(context.Background(), valdrix.TenantID("0190c0de-0000-7000-8000-00000000000c"), q)
		require.NoError(t, err)
		require.Equal(t, 0, rep.Total.Rows)
		require.Equal(t, "", rep.Currency)
		require.Equal(t, kg(), rep.Total.TotalKg, "no rows: zero, and complete")
		require.True(t, rep.Total.Complete)
		require.NotNil(t, rep.Groups)
	})
}

func TestCarbonCurrencies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	usd := row(t, sep3, "111", "us-east-1", "Amazon EC2", "USE1-BoxUsage:m5.xlarge", "Hrs", "24", "4.608")
	eur := usd
	eur.BillingCurrency, eur.SubAccountID = "EUR", "222"
	b.ledger.rows[tenantA] = []ingestion.LedgerRow{usd, eur}
	q := reporting.CarbonQuery{From: sep3, To: sep3 + 1}
	_, err := b.svc.Carbon(context.Background(), tenantA, q)
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
	require.Equal(t, "currency", valdrix.ErrorField(err))
	require.Contains(t, valdrix.ErrorMessage(err), "EUR, USD")
	q.Currencies = []string{"EUR"}
	rep, err := b.svc.Carbon(context.Background(), tenantA, q)
	require.NoError(t, err)
	require.Equal(t, "EUR", rep.Currency)
	require.Equal(t, dec(t, "4.608"), rep.Total.BilledCost)
	require.Equal(t, 1, rep.Total.Rows)
}

func TestCarbonErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := reporting.CarbonQuery{From: sep3, To: sep3 + 1}
	_, err := reporting.New(b.ledger, nil).Carbon(context.Background(), tenantA, q)
	require.True(t, valdrix.IsCode(err, valdrix.ENOTIMPLEMENTED), err)

	broken := &fakeLedger{walkErr: valdrix.Errorf(valdrix.EUNAVAILABLE, "database gone")}
	_, err = reporting.New(broken, b.est).Carbon(context.Background(), tenantA, q)
	require.True(t, valdrix.IsCode(err, valdrix.EUNAVAILABLE), err)
}

func TestCarbonQueryValidate(t *testing.T) {
	t.Parallel()
	many := make([]string, reporting.MaxCarbonFilterValues+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	ok := reporting.CarbonQuery{From: sep3, To: sep3 + 30}
	for _, tc := range []struct {
		name  string
		set   func(*reporting.CarbonQuery)
		field string
	}{
		{name: "valid", set: func(*reporting.CarbonQuery) {}},
		{name: "every dimension", set: func(q *reporting.CarbonQuery) {
			q.GroupBy = []carbon.Dimension{carbon.ByProvider, carbon.ByAccount, carbon.ByService, carbon.ByRegion, carbon.ByMonth, carbon.ByKind}
		}},
		{name: "no from", set: func(q *reporting.CarbonQuery) { q.From = 0 }, field: "from"},
		{name: "empty window", set: func(q *reporting.CarbonQuery) { q.To = q.From }, field: "to"},
		{name: "over three years", set: func(q *reporting.CarbonQuery) { q.To = q.From + 3*366 + 1 }, field: "to"},
		{name: "unknown dimension", set: func(q *reporting.CarbonQuery) { q.GroupBy = []carbon.Dimension{"colour"} }, field: "group_by"},
		{name: "dimension twice", set: func(q *reporting.CarbonQuery) { q.GroupBy = []carbon.Dimension{carbon.ByRegion, carbon.ByRegion} }, field: "group_by"},
		{name: "bad provider", set: func(q *reporting.CarbonQuery) { q.Providers = []valdrix.Provider{"oracle"} }, field: "provider"},
		{name: "too many services", set: func(q *reporting.CarbonQuery) { q.Services = many }, field: "service"},
		{name: "too many accounts", set: func(q *reporting.CarbonQuery) { q.Accounts = many }, field: "account"},
		{name: "negative limit", set: func(q *reporting.CarbonQuery) { q.Limit = -1 }, field: "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := ok
			tc.set(&q)
			err := q.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
			require.Equal(t, tc.field, valdrix.ErrorField(err))
		})
	}
}

func TestParseCarbonQuery(t *testing.T) {
	t.Parallel()
	today := valdrix.NewDate(2026, 2, 17)
	flag := func(p string) string { return "--" + strings.ReplaceAll(p, "_", "-") }
	for _, tc := range []struct {
		name  string
		p     reporting.CarbonParams
		want  reporting.CarbonQuery
		field string
	}{
		{name: "defaults to this month", want: reporting.CarbonQuery{From: valdrix.NewDate(2026, 2, 1), To: valdrix.NewDate(2026, 3, 1)}},
		{name: "from only", p: reporting.CarbonParams{From: "2025-12-30"}, want: reporting.CarbonQuery{From: valdrix.NewDate(2025, 12, 30), To: valdrix.NewDate(2026, 3, 1)}},
		{name: "to only", p: reporting.CarbonParams{To: "2026-02-03"}, want: reporting.CarbonQuery{From: valdrix.NewDate(2026, 2, 1), To: valdrix.NewDate(2026, 2, 4)}},
		{name: "one day", p: reporting.CarbonParams{From: "2026-01-05", To: "2026-01-05"}, want: reporting.CarbonQuery{From: valdrix.NewDate(2026, 1, 5), To: valdrix.NewDate(2026, 1, 6)}},
		{name: "everything", p: reporting.CarbonParams{
			GroupBy: []string{"service, Region", "month"}, Providers: []string{"AWS", "gcp"}, Accounts: []string{"1"},
			Regions: []string{"r"}, Services: []string{"a,b"}, Currencies: []string{"USD"}, Limit: 5,
		}, want: reporting.CarbonQuery{
			From: valdrix.NewDate(2026, 2, 1), To: valdrix.NewDate(2026, 3, 1),
			GroupBy:   []carbon.Dimension{carbon.ByService, carbon.ByRegion, carbon.ByMonth},
			Providers: []valdrix.Provider{valdrix.AWS, valdrix.GCP}, Accounts: []string{"1"}, Regions: []string{"r"},
			Services: []string{"a,b"}, Currencies: []string{"USD"}, Limit: 5,
		}},
		{name: "bad from", p: reporting.CarbonParams{From: "2026-02-30"}, field: "--from"},
		{name: "bad to", p: reporting.CarbonParams{To: "soon"}, field: "--to"},
		{name: "to before from", p: reporting.CarbonParams{From: "2026-02-10", To: "2026-02-09"}, field: "--to"},
		{name: "from after this month", p: reporting.CarbonParams{From: "2026-04-01"}, field: "--to"},
		{name: "over three years", p: reporting.CarbonParams{From: "2020-01-01"}, field: "--to"},
		{name: "bad dimension", p: reporting.CarbonParams{GroupBy: []string{"service,colour"}}, field: "--group-by"},
		{name: "dimension twice", p: reporting.CarbonParams{GroupBy: []string{"kind", "kind"}}, field: "--group-by"},
		{name: "bad provider", p: reporting.CarbonParams{Providers: []string{"oracle"}}, field: "--provider"},
		{name: "negative limit", p: reporting.CarbonParams{Limit: -1}, field: "--limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q, err := reporting.ParseCarbonQuery(tc.p, today, flag)
			if tc.field != "" {
				require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
				require.Equal(t, tc.field, valdrix.ErrorField(err), err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, q)
		})
	}
}

func TestParseCarbonDimension(t *testing.T) {
	t.Parallel()
	d, err := reporting.ParseCarbonDimension("group_by", " Month ")
	require.NoError(t, err)
	require.Equal(t, carbon.ByMonth, d)
	_, err = reporting.ParseCarbonDimension("--group-by", "tag:team")
	require.Equal(t, "--group-by", valdrix.ErrorField(err))
	require.Contains(t, valdrix.ErrorMessage(err), "provider, account, service, region, month, kind")
}

func TestCarbonCells(t *testing.T) {
	t.Parallel()
	kg := dec(t, "1.5")
	g := reporting.CarbonGroup{
		Dimensions: map[string]string{"service": "Amazon EC2", "region": ""},
		KWh:        &kg, OperationalKg: &kg, EmbodiedKg: nil, TotalKg: &kg,
		BilledCost: dec(t, "2.25"), Rows: 3, EstimatedRows: 1, UnknownRows: 2,
		UnknownReasons: map[carbon.Reason]int{carbon.ReasonUnsupported: 1, carbon.ReasonUnknownUnit: 1},
	}
	by := []string{"service", "region"}
	cols := reporting.CarbonColumns(by)
	cells := g.Cells(by)
	require.Len(t, cells, len(cols))
	rec := map[string]string{}
	for i, c := range cols {
		rec[c] = cells[i]
	}
	require.Equal(t, map[string]string{
		"service": "Amazon EC2", "region": "", "total_kgco2e": "1.5", "operational_kgco2e": "1.5", "embodied_kgco2e": "", "kwh": "1.5",
		"billed_cost": "2.25", "effective_cost": "0", "unestimated_cost": "0", "rows": "3", "estimated_rows": "1", "unknown_rows": "2",
		"not_usage_rows": "0", "unknown_reasons": "unknown_unit=1;unsupported=1", "complete": "false",
	}, rec)
}

// BenchmarkCarbon measures the footprint of 100,000 ledger rows (a mix of
// instances, volumes, transfer and unknown usage) grouped by account,
// service and region: estimation and aggregation, without the database.
func BenchmarkCarbon(b *testing.B) {
	tb := setup(b)
	kinds := [][3]string{
		{"USE1-BoxUsage:m5.xlarge", "Hrs", "24"},
		{"USE1-EBS:VolumeUsage.gp2", "GB-Mo", "3.3"},
		{"USE1-EU-AWS-Out-Bytes", "GB", "12"},
		{"USE1-NatGateway-Hours", "Hrs", "24"},
	}
	rows := make([]ingestion.LedgerRow, 100_000)
	for i := range rows {
		k := kinds[i%len(kinds)]
		rows[i] = row(b, sep3+valdrix.Date(i%28), fmt.Sprintf("acct-%d", i%50), "us-east-1", fmt.Sprintf("svc-%d", i%7), k[0], k[1], k[2], "1.25")
	}
	tb.ledger.rows[tenantA] = rows
	q := reporting.CarbonQuery{From: sep3, To: sep3 + 28, GroupBy: []carbon.Dimension{carbon.ByAccount, carbon.ByService, carbon.ByRegion}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rep, err := tb.svc.Carbon(context.Background(), tenantA, q)
		if err != nil || rep.Total.Rows != len(rows) {
			b.Fatalf("rows %d, err %v", rep.Total.Rows, err)
		}
	}
	b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
