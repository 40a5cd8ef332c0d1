package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ingestFixture imports the FOCUS files under dir for tenant.
func (e *testEnv) ingestFixture(tenant valdrix.TenantID, dir string) {
	e.t.Helper()
	ctx := context.Background()
	groups, err := ingestion.FindLocal(ctx, []string{dir})
	require.NoError(e.t, err)
	require.NotEmpty(e.t, groups)
	for _, g := range groups {
		imp, err := e.core.Importer.Import(ctx, ingestion.ImportRequest{
			Tenant: tenant, Source: "local:focus", Files: g, Format: ingestion.FormatFOCUS, Actor: "test",
		})
		require.NoError(e.t, err)
		require.Equal(e.t, ingestion.ImportSucceeded, imp.Status, imp.Error)
	}
}

// carbonReport decodes a GET /api/v1/carbon answer.
func carbonReport(t *testing.T, res response) reporting.CarbonReport {
	t.Helper()
	require.Equal(t, http.StatusOK, res.status, res.body)
	var rep reporting.CarbonReport
	require.NoError(t, json.Unmarshal([]byte(res.body), &rep), res.body)
	return rep
}

// carbonFixture is two tenants with ledgers: Alpha's is the hand-computed
// one, Bravo's is larger and in two currencies.
type carbonFixture struct {
	e            *testEnv
	alpha, bravo *identity
}

func newCarbonFixture(t *testing.T, dialect string) carbonFixture {
	t.Helper()
	e := newEnv(t, dialectConfig(t, dialect))
	ta, idsA := e.seedTenant("Alpha")
	tb, idsB := e.seedTenant("Bravo")
	e.ingestFixture(ta.ID, "testdata/carbon/alpha")
	e.ingestFixture(tb.ID, "testdata/carbon/bravo")
	return carbonFixture{e: e, alpha: idsA[valdrix.RoleViewer], bravo: idsB[valdrix.RoleViewer]}
}

func (f carbonFixture) get(id *identity, query string) response {
	return f.e.do(http.MethodGet, "/api/v1/carbon?"+query, nil, bearer(id.apiKey))
}

func dp(t *testing.T, s string) *valdrix.Decimal {
	t.Helper()
	d, err := valdrix.ParseDecimal(s)
	require.NoError(t, err)
	return &d
}

// TestCarbonByHand checks GET /api/v1/carbon against figures computed by hand
// from the coefficient tables (internal/reporting/carbon/data/) for Alpha's
// ledger (testdata/carbon/alpha, four rows of 2026-09-03, AWS eu-west-1):
//
// Coefficients: AWS PUE 1.135; eu-west-1 grid 0.0002786 t/kWh (EEA); m5 →
// Skylake 0.65–4.26 W per vCPU at 50 % utilisation; m5.xlarge 4 vCPUs of a
// 96-vCPU, 384 GB platform, 16 GB; Skylake memory baseline 81.32 GB/chip;
// memory 0.000392 kWh/GB-h; embodied m5.xlarge 1,610.79 kg over 35,040 h;
// SSD 1.2 Wh/TB-h; EBS replication 2.
//
//	m5.xlarge, 24 h:
//	  CPU      (0.65 + 0.5 × (4.26 − 0.65)) × (4 × 24) × 1.135 / 1000 = 2.455 × 96 × 1.135 / 1000 = 0.2674968 kWh
//	  memory   (384 − 81.32) × 16/384 × 24 = 302.68 GB-h; × 0.000392 × 1.135 = 0.134668386 kWh
//	  kWh      0.2674968 + 0.134668386 = 0.402165186
//	  operational 0.4021651856 × 0.0002786 × 1000 = 0.112043221 kg
//	  embodied 1610.79 × 24 / 35040 × 4 / 96 = 0.045970034 kg
//	  total    0.112043221 + 0.045970034 = 0.158013255 kg
//	EBS gp2, 30 GB-Mo on a day of September (30 days):
//	  30 / 1000 × 24 × 30 = 21.6 TB-h; × 1.2 × 1.135 × 2 / 1000 = 0.0588384 kWh
//	  operational 0.0588384 × 0.0002786 × 1000 = 0.016392378 kg (no embodied part)
//	NAT gateway, 24 h: no CCF coefficient → unknown_usage, cost 1.08 left out.
//	Tax 0.50: no usage.
//
//	Amazon EC2 / eu-west-1: kWh 0.402165186 + 0.0588384 = 0.461003586;
//	  operational 0.112043221 + 0.016392378 = 0.128435599; embodied 0.045970034;
//	  total 0.174405633; billed 4.608 + 3.30 = 7.908.
//	Grand total: the same figures, billed 4.608 + 3.30 + 1.08 + 0.50 = 9.488,
//	  4 rows: 2 estimated, 1 unknown (unknown_usage), 1 without usage.
func TestCarbonByHand(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newCarbonFixture(t, dialect)
			rep := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-30&group_by=service,region"))

			require.Equal(t, valdrix.NewDate(2026, 9, 1), rep.From)
			require.Equal(t, valdrix.NewDate(2026, 9, 30), rep.To)
			require.Equal(t, []string{"service", "region"}, rep.GroupBy)
			require.Equal(t, "ccf-2026.11-m1", rep.CoefficientsVersion)
			require.Equal(t, "USD", rep.Currency)
			require.Equal(t, 3, rep.GroupCount)
			require.False(t, rep.Truncated)
			require.Len(t, rep.Groups, 3)

			ec2 := rep.Groups[0]
			require.Equal(t, map[string]string{"service": "Amazon EC2", "region": "eu-west-1"}, ec2.Dimensions)
			require.Equal(t, dp(t, "0.461003586"), ec2.KWh)
			require.Equal(t, dp(t, "0.128435599"), ec2.OperationalKg)
			require.Equal(t, dp(t, "0.045970034"), ec2.EmbodiedKg)
			require.Equal(t, dp(t, "0.174405633"), ec2.TotalKg)
			require.Equal(t, *dp(t, "7.908"), ec2.BilledCost)
			require.Equal(t, 2, ec2.Rows)
			require.Equal(t, 2, ec2.EstimatedRows)
			require.True(t, ec2.Complete)

			// Sorted by kgCO2e: the tax group (0 kg: it has no usage) before the
			// NAT gateway, whose figures are unknown, not zero.
			tax := rep.Groups[1]
			require.Equal(t, map[string]string{"service": "Amazon EC2", "region": ""}, tax.Dimensions)
			require.Equal(t, dp(t, "0"), tax.TotalKg)
			require.Equal(t, 1, tax.NotUsageRows)
			require.True(t, tax.Complete)
			nat := rep.Groups[2]
			require.Equal(t, map[string]string{"service": "Amazon VPC", "region": "eu-west-1"}, nat.Dimensions)
			require.Nil(t, nat.TotalKg, "nothing estimated: unknown, not zero")
			require.Nil(t, nat.KWh)
			require.Equal(t, 1, nat.UnknownRows)
			require.Equal(t, map[string]int{"unknown_usage": 1}, reasons(nat))
			require.Equal(t, *dp(t, "1.08"), nat.UnestimatedCost)
			require.False(t, nat.Complete)

			total := rep.Total
			require.Empty(t, total.Dimensions)
			require.Equal(t, dp(t, "0.174405633"), total.TotalKg)
			require.Equal(t, *dp(t, "9.488"), total.BilledCost)
			require.Equal(t, *dp(t, "1.08"), total.UnestimatedCost)
			require.Equal(t, []int{4, 2, 1, 1}, []int{total.Rows, total.EstimatedRows, total.UnknownRows, total.NotUsageRows})
			require.Equal(t, map[string]int{"unknown_usage": 1}, reasons(total))
			require.False(t, total.Complete, "a NAT gateway could not be estimated: the total is an undercount")

			// By kind: each row's own figures.
			byKind := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-30&group_by=kind"))
			require.Equal(t, map[string]string{"kind": "compute"}, byKind.Groups[0].Dimensions)
			require.Equal(t, dp(t, "0.158013255"), byKind.Groups[0].TotalKg)
			require.Equal(t, dp(t, "0.402165186"), byKind.Groups[0].KWh)
			require.Equal(t, map[string]string{"kind": "storage"}, byKind.Groups[1].Dimensions)
			require.Equal(t, dp(t, "0.016392378"), byKind.Groups[1].TotalKg)
			require.Equal(t, dp(t, "0.0588384"), byKind.Groups[1].KWh)

			// Filters, month, limit.
			vm := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-30&provider=AWS&account=111111111111&region=eu-west-1&service=Amazon%20EC2&group_by=month"))
			require.Equal(t, map[string]string{"month": "2026-09"}, vm.Groups[0].Dimensions)
			require.Equal(t, 2, vm.Total.Rows)
			require.True(t, vm.Total.Complete)
			require.Equal(t, dp(t, "0.174405633"), vm.Total.TotalKg)
			none := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-30&provider=gcp"))
			require.Equal(t, 0, none.Total.Rows)
			require.Equal(t, "", none.Currency)
			require.Equal(t, dp(t, "0"), none.Total.TotalKg)
			capped := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-30&group_by=service,region&limit=1"))
			require.Len(t, capped.Groups, 1)
			require.True(t, capped.Truncated)
			require.Equal(t, 3, capped.GroupCount)
			require.Equal(t, rep.Total, capped.Total, "the total covers the groups left out")
			early := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-02"))
			require.Equal(t, 1, early.Total.Rows, "only the tax row (charged 09-01) is before 09-03")
			late := carbonReport(t, f.get(f.alpha, "from=2026-09-04&to=2026-10-31"))
			require.Equal(t, 0, late.Total.Rows)
			two := carbonReport(t, f.get(f.alpha, "from=2026-09-01&to=2026-09-30&service=Amazon%20VPC&service=Amazon%20EC2&region=eu-west-1"))
			require.Equal(t, 3, two.Total.Rows, "repeated values are alternatives")
		})
	}
}

func reasons(g reporting.CarbonGroup) map[string]int {
	out := map[string]int{}
	for r, n := range g.UnknownReasons {
		out[string(r)] = n
	}
	return out
}

// TestCarbonTenantIsolation: Bravo's larger ledger never shows in Alpha's
// footprint, and the other way round; Bravo's two currencies must be
// filtered.
func TestCarbonTenantIsolation(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			f := newCarbonFixture(t, dialect)
			res := f.get(f.alpha, "from=2026-09-01&to=2026-09-30&group_by=account,service")
			alpha := carbonReport(t, res)
			require.Equal(t, 4, alpha.Total.Rows)
			require.Equal(t, dp(t, "0.174405633"), alpha.Total.TotalKg)
			for _, s := range []string{"999999999999", "888888888888", "Amazon S3", "EUR"} {
				require.NotContains(t, res.body, s)
			}

			// Bravo's rows are in USD and EUR: sums never mix currencies.
			mixed := f.get(f.bravo, "from=2026-09-01&to=2026-09-30")
			require.Equal(t, http.StatusBadRequest, mixed.status, mixed.body)
			require.Equal(t, "query.currency", mixed.json(t)["errors"].([]any)[0].(map[string]any)["location"])
			require.Contains(t, mixed.body, "EUR, USD")

			res = f.get(f.bravo, "from=2026-09-01&to=2026-09-30&currency=USD&group_by=account")
			bravo := carbonReport(t, res)
			require.Equal(t, 1, bravo.Total.Rows)
			require.Equal(t, map[string]string{"account": "999999999999"}, bravo.Groups[0].Dimensions)
			require.Equal(t, *dp(t, "46.08"), bravo.Total.BilledCost)
			// 240 hours of Alpha's m5.xlarge in eu-west-1: CPU 2.455 × 960 × 1.135 / 1000 =
			// 2.674968 kWh, memory 302.68 × 10 × 0.000392 × 1.135 = 1.346683856 kWh;
			// operational 4.021651856 × 0.2786 = 1.120432207 kg, embodied 1610.79 × 240 /
			// 35040 × 4 / 96 = 0.459700342 kg; total 1.580132549 kg.
			require.Equal(t, dp(t, "4.021651856"), bravo.Total.KWh)
			require.Equal(t, dp(t, "1.580132549"), bravo.Total.TotalKg)
			require.NotContains(t, res.body, "111111111111")

			eur := carbonReport(t, f.get(f.bravo, "from=2026-09-01&to=2026-09-30&currency=EUR&group_by=service"))
			require.Equal(t, "EUR", eur.Currency)
			require.Equal(t, map[string]string{"service": "Amazon S3"}, eur.Groups[0].Dimensions)
			require.Equal(t, 1, eur.Total.EstimatedRows)

			// A tenant without a ledger gets an empty, complete footprint.
			_, idsC := f.e.seedTenant("Charlie")
			empty := carbonReport(t, f.get(idsC[valdrix.RoleViewer], "from=2026-09-01&to=2026-09-30&group_by=service"))
			require.Empty(t, empty.Groups)
			require.Equal(t, 0, empty.Total.Rows)
			require.True(t, empty.Total.Complete)
		})
	}
}

// TestCarbonDefaultWindow: without from and to the footprint covers the
// current month.
func TestCarbonDefaultWindow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	_, ids := e.seedTenant("Alpha")
	before := valdrix.DateOf(time.Now())
	res := e.do(http.MethodGet, "/api/v1/carbon", nil, bearer(ids[valdrix.RoleViewer].apiKey))
	after := valdrix.DateOf(time.Now())
	rep := carbonReport(t, res)
	if before.Month() != after.Month() {
		t.Skip("the month changed during the request")
	}
	require.Equal(t, before.Month().Start(), rep.From)
	require.Equal(t, before.Month().End().AddDays(-1), rep.To)
	from := carbonReport(t, e.do(http.MethodGet, "/api/v1/carbon?from=2026-01-15", nil, bearer(ids[valdrix.RoleViewer].apiKey)))
	require.Equal(t, valdrix.NewDate(2026, 1, 15), from.From)
}

// TestCarbonBadParameters: every bad parameter is a 400 problem naming it.
func TestCarbonBadParameters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	_, ids := e.seedTenant("Alpha")
	for _, tc := range []struct {
		name, query, location, detail string
	}{
		{name: "from not a day", query: "from=2026-02-30&to=2026-03-31", location: "query.from", detail: "2026-02-30"},
		{name: "from not a date", query: "from=yesterday", location: "query.from"},
		{name: "to before from", query: "from=2026-09-10&to=2026-09-01", location: "query.to", detail: "before the first day"},
		{name: "more than three years", query: "from=2020-01-01&to=2026-01-01", location: "query.to", detail: "three years"},
		{name: "unknown dimension", query: "group_by=service,colour", location: "query.group_by", detail: "colour"},
		{name: "cost-only dimension", query: "group_by=tag:team", location: "query.group_by", detail: "tag:team"},
		{name: "dimension twice", query: "group_by=service,service", location: "query.group_by", detail: "twice"},
		{name: "unknown provider", query: "provider=oracle", location: "query.provider", detail: "oracle"},
		{name: "limit zero", query: "limit=0", location: "query.limit"},
		{name: "limit too large", query: "limit=10001", location: "query.limit"},
		{name: "unknown parameter", query: "colour=blue", location: "query.colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := e.do(http.MethodGet, "/api/v1/carbon?"+tc.query, nil, bearer(ids[valdrix.RoleViewer].apiKey))
			require.Equal(t, http.StatusBadRequest, res.status, res.body)
			require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
			p := res.json(t)
			require.Equal(t, "invalid", p["code"])
			errs, _ := p["errors"].([]any)
			require.NotEmpty(t, errs, res.body)
			require.Equal(t, tc.location, errs[0].(map[string]any)["location"], res.body)
			require.Contains(t, p["detail"], tc.detail)
		})
	}
	// Too many values of one filter.
	q := url.Values{}
	for i := range reporting.MaxCarbonFilterValues + 1 {
		q.Add("service", "s"+strconv.Itoa(i))
	}
	res := e.do(http.MethodGet, "/api/v1/carbon?"+q.Encode(), nil, bearer(ids[valdrix.RoleViewer].apiKey))
	require.Equal(t, http.StatusBadRequest, res.status, res.body)
	require.Equal(t, "query.service", res.json(t)["errors"].([]any)[0].(map[string]any)["location"])
}
