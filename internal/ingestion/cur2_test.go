package ingestion_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func dec(t testing.TB, s string) valdrix.Decimal {
	t.Helper()
	d, err := valdrix.ParseDecimal(s)
	require.NoError(t, err)
	return d
}

func f64(v float64) *float64 { return &v }

var periodStart = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

// cur2Line returns a usage line of resource res at hour h of September 2026.
func cur2Line(h int, res string, cost float64) ingestion.CUR2Line {
	start := periodStart.Add(time.Duration(h) * time.Hour)
	return ingestion.CUR2Line{
		BillBillingPeriodStartDate: periodStart, BillBillingPeriodEndDate: periodStart.AddDate(0, 1, 0),
		BillPayerAccountID: "111111111111", BillPayerAccountName: "Payer",
		LineItemUsageAccountID: "222222222222", LineItemUsageAccountName: "prod",
		LineItemLineItemType: "Usage", LineItemProductCode: "AmazonEC2", LineItemUsageType: "USE1-BoxUsage:m5.large",
		LineItemOperation: "RunInstances", LineItemResourceID: res, LineItemCurrencyCode: "USD",
		LineItemUsageStartDate: start, LineItemUsageEndDate: start.Add(time.Hour),
		LineItemUsageAmount: 1, LineItemUnblendedRate: cost, LineItemUnblendedCost: cost,
		PricingPublicOnDemandCost: cost * 1.25, PricingTerm: "OnDemand", PricingUnit: "Hrs",
		ProductInstanceType: "m5.large", ProductProductFamily: "Compute Instance", ProductRegionCode: "us-east-1",
		ProductSku: "SKU1", Product: []ingestion.MapEntry{{Key: "vcpu", Value: "2"}, {Key: "product_name", Value: "Amazon Elastic Compute Cloud"}},
		ResourceTags:             []ingestion.MapEntry{{Key: "user_team", Value: "core"}, {Key: "user_env", Value: "prod"}},
		LineItemAvailabilityZone: "us-east-1a",
	}
}

// fixtureLines is a small CUR 2.0 table that exercises the roll-up and the
// FOCUS mapping rules.
func fixtureLines() []ingestion.CUR2Line {
	var ls []ingestion.CUR2Line
	for h := 0; h < 3; h++ { // three hours of one instance on day 1
		ls = append(ls, cur2Line(h, "i-0aaa", 0.096))
	}
	ls = append(ls, cur2Line(24, "i-0aaa", 0.096)) // day 2
	sp := cur2Line(1, "i-0bbb", 0.2)
	sp.LineItemLineItemType, sp.PricingTerm = "SavingsPlanCoveredUsage", ""
	sp.SavingsPlanSavingsPlanARN = "arn:aws:savingsplans::111111111111:savingsplan/sp-1"
	sp.SavingsPlanSavingsPlanEffectiveCost = f64(0.13)
	ls = append(ls, sp)
	tax := cur2Line(0, "", 1.5)
	tax.LineItemLineItemType, tax.LineItemUsageAmount, tax.PricingPublicOnDemandCost = "Tax", 0, 0
	tax.ResourceTags, tax.Product, tax.ProductInstanceType = nil, nil, ""
	ls = append(ls, tax)
	refund := cur2Line(5, "", -2)
	refund.LineItemLineItemType = "Refund"
	refund.ResourceTags, refund.Product, refund.ProductInstanceType = nil, nil, ""
	refund.LineItemNetUnblendedCost = f64(-1.8)
	ls = append(ls, refund)
	return ls
}

func writeCUR2Parquet(t testing.TB, lines []ingestion.CUR2Line, rowGroup int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := ingestion.NewCUR2Writer(&buf, ingestion.CUR2WriterOpts{RowGroupRows: rowGroup})
	require.NoError(t, err)
	for _, l := range lines {
		require.NoError(t, w.Write(l))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// writeCUR2CSV writes the same lines as a CUR 2.0 CSV export: maps as JSON.
func writeCUR2CSV(t testing.TB, lines []ingestion.CUR2Line) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := []string{"bill_billing_period_start_date", "bill_payer_account_id", "bill_payer_account_name",
		"line_item_usage_account_id", "line_item_usage_account_name", "line_item_line_item_type", "line_item_product_code",
		"line_item_usage_type", "line_item_operation", "line_item_resource_id", "line_item_currency_code",
		"line_item_usage_start_date", "line_item_usage_amount", "line_item_unblended_cost", "line_item_net_unblended_cost",
		"pricing_public_on_demand_cost", "pricing_term", "pricing_unit", "product_instance_type", "product_product_family",
		"product_region_code", "product_sku", "product", "resource_tags", "line_item_availability_zone",
		"savings_plan_savings_plan_a_r_n", "savings_plan_savings_plan_effective_cost"}
	require.NoError(t, w.Write(header))
	js := func(es []ingestion.MapEntry) string {
		if len(es) == 0 {
			return ""
		}
		m := map[string]string{}
		for _, e := range es {
			m[e.Key] = e.Value
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return string(b)
	}
	fl := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return fl(*v)
	}
	for _, l := range lines {
		require.NoError(t, w.Write([]string{l.BillBillingPeriodStartDate.Format(time.RFC3339), l.BillPayerAccountID, l.BillPayerAccountName,
			l.LineItemUsageAccountID, l.LineItemUsageAccountName, l.LineItemLineItemType, l.LineItemProductCode,
			l.LineItemUsageType, l.LineItemOperation, l.LineItemResourceID, l.LineItemCurrencyCode,
			l.LineItemUsageStartDate.Format("2006-01-02T15:04:05.000Z"), fl(l.LineItemUsageAmount), fl(l.LineItemUnblendedCost),
			opt(l.LineItemNetUnblendedCost), fl(l.PricingPublicOnDemandCost), l.PricingTerm, l.PricingUnit, l.ProductInstanceType,
			l.ProductProductFamily, l.ProductRegionCode, l.ProductSku, js(l.Product), js(l.ResourceTags), l.LineItemAvailabilityZone,
			l.SavingsPlanSavingsPlanARN, opt(l.SavingsPlanSavingsPlanEffectiveCost)}))
	}
	w.Flush()
	require.NoError(t, w.Error())
	return buf.Bytes()
}

// rowView is the part of a ledger row the CUR tests check.
type rowView struct {
	Day, Resource, Category, Class, Pricing, Commitment string
	Billed, Effective, List                             string
	Lines                                               int64
	Missing                                             ingestion.Missing
}

func view(rows []ingestion.LedgerRow) []rowView {
	out := make([]rowView, len(rows))
	for i, r := range rows {
		out[i] = rowView{Day: r.ChargeDay.String(), Resource: r.ResourceID, Category: r.ChargeCategory, Class: r.ChargeClass,
			Pricing: r.PricingCategory, Commitment: r.CommitmentDiscountStatus,
			Billed: r.BilledCost.String(), Effective: r.EffectiveCost.String(), List: r.ListCost.String(), Lines: r.LineCount, Missing: r.Missing}
	}
	return out
}

func TestReadCUR2(t *testing.T) {
	t.Parallel()
	lines := fixtureLines()
	want := []rowView{
		{Day: "2026-09-01", Resource: "", Category: "Credit", Class: "Correction", Billed: "-1.8", Effective: "-2", List: "-2.5", Lines: 1, Missing: ingestion.MissingVCPUs},
		{Day: "2026-09-01", Resource: "", Category: "Tax", Billed: "1.5", Effective: "1.5", List: "0", Lines: 1, Missing: ingestion.MissingVCPUs},
		{Day: "2026-09-01", Resource: "i-0aaa", Category: "Usage", Pricing: "Standard", Billed: "0.288", Effective: "0.288", List: "0.36", Lines: 3},
		{Day: "2026-09-01", Resource: "i-0bbb", Category: "Usage", Pricing: "Committed", Commitment: "Used", Billed: "0.2", Effective: "0.13", List: "0.25", Lines: 1},
		{Day: "2026-09-02", Resource: "i-0aaa", Category: "Usage", Pricing: "Standard", Billed: "0.096", Effective: "0.096", List: "0.12", Lines: 1},
	}
	tests := []struct {
		name   string
		data   []byte
		format ingestion.Format
	}{
		{name: "parquet", data: writeCUR2Parquet(t, lines, 2), format: ingestion.FormatCUR2},
		{name: "parquet auto", data: writeCUR2Parquet(t, lines, 100), format: ingestion.FormatAuto},
		{name: "csv", data: writeCUR2CSV(t, lines), format: ingestion.FormatCUR2},
		{name: "csv auto", data: writeCUR2CSV(t, lines), format: ingestion.FormatAuto},
		{name: "gzip csv", data: gz(t, writeCUR2CSV(t, lines)), format: ingestion.FormatAuto},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("export-00001", tt.data)}, tt.format, ingestion.ReadOptions{Workers: 2})
			require.NoError(t, err)
			require.Equal(t, ingestion.FormatCUR2, res.Format)
			if tt.format == ingestion.FormatAuto {
				require.Contains(t, res.FormatReason, "CUR 2.0")
			}
			require.Equal(t, want, view(res.Rows))
			require.Equal(t, int64(len(lines)), res.RowsRead)
			require.Equal(t, int64(len(lines)), res.LinesKept)
			require.Equal(t, []valdrix.Month{valdrix.NewMonth(2026, time.September)}, res.Periods)
			r := res.Rows[2]
			require.Equal(t, `{"user_env":"prod","user_team":"core"}`, r.Tags)
			require.Equal(t, "Amazon Elastic Compute Cloud", r.ServiceName)
			require.Equal(t, "Compute", r.ServiceCategory)
			require.Equal(t, "m5.large", r.InstanceType)
			require.Equal(t, dec(t, "2"), r.VCPUs)
			require.Equal(t, "us-east-1", r.RegionID)
			require.Equal(t, "222222222222", r.SubAccountID)
			require.Equal(t, "111111111111", r.BillingAccountID)
			require.Equal(t, dec(t, "3"), r.ConsumedQuantity)
			require.Equal(t, "Standard", r.PricingCategory)
			require.Equal(t, "arn:aws:savingsplans::111111111111:savingsplan/sp-1", res.Rows[3].CommitmentDiscountID)
			var usage ingestion.CategoryTotal
			for _, tot := range res.Totals {
				if tot.ChargeCategory == "Usage" {
					usage = tot
				}
			}
			require.Equal(t, dec(t, "0.584"), usage.BilledCost)
			require.Equal(t, int64(5), usage.Lines)
		})
	}
}

// Lines whose source keys differ only in what the FOCUS row does not keep
// (here the spelling of pricing_term: both are on-demand, PricingCategory
// Standard) are one ledger row, however the day's rows are ordered and
// whatever the number of workers.
func TestReadCUR2MergesSourceKeysOfOneRow(t *testing.T) {
	t.Parallel()
	var lines []ingestion.CUR2Line
	for i := range 8 {
		lines = append(lines, cur2Line(2, fmt.Sprintf("i-%04d", i), 0.5))
	}
	a, b := cur2Line(0, "i-0aaa", 0.1), cur2Line(1, "i-0aaa", 0.2)
	b.PricingTerm = "ondemand"
	lines = append(lines, a, b)
	for _, tt := range []struct {
		name    string
		data    []byte
		workers int
	}{
		{"parquet, one worker", writeCUR2Parquet(t, lines, 4), 1},
		{"parquet, two workers", writeCUR2Parquet(t, lines, 4), 2},
		{"csv", writeCUR2CSV(t, lines), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("m", tt.data)},
				ingestion.FormatCUR2, ingestion.ReadOptions{Workers: tt.workers})
			require.NoError(t, err)
			require.Len(t, res.Rows, 9, "eight instances and one merged row")
			seen := map[string]int{}
			for _, r := range res.Rows {
				seen[r.ResourceID]++
				want := int64(1)
				if r.ResourceID == "i-0aaa" {
					want = 2
					require.Equal(t, dec(t, "0.3"), r.BilledCost)
					require.Equal(t, "Standard", r.PricingCategory)
				}
				require.Equal(t, want, r.LineCount, r.ResourceID)
			}
			for res, n := range seen {
				require.Equal(t, 1, n, "%s appears %d times", res, n)
			}
			require.Equal(t, int64(10), res.LinesKept)
		})
	}
}

func TestReadCUR2BatchesAndWorkers(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, ingestion.GenerateCUR2(&buf, ingestion.GenerateConfig{Rows: 60_000, Seed: 7, Days: 3, Resources: 3000, LongLived: 400,
		Writer: ingestion.CUR2WriterOpts{RowGroupRows: 25_000}}))
	read := func(workers, batch int) *ingestion.PeriodResult {
		res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("gen.parquet", buf.Bytes())},
			ingestion.FormatCUR2, ingestion.ReadOptions{Workers: workers, BatchRows: batch})
		require.NoError(t, err)
		return res
	}
	base := read(1, 1<<20) // one batch per row group, one worker
	require.Equal(t, int64(60_000), base.RowsRead)
	require.Equal(t, int64(60_000), base.LinesKept)
	for _, tt := range []struct {
		name           string
		workers, batch int
	}{
		{name: "many batches", workers: 1, batch: 1000},
		{name: "two workers", workers: 2, batch: 4096},
	} {
		got := read(tt.workers, tt.batch)
		require.Empty(t, cmp.Diff(base.Rows, got.Rows), tt.name)
		require.Equal(t, base.Totals, got.Totals, tt.name)
	}
	// The same file twice: every group doubles (the second file's worker
	// tables fold into the first's).
	twice, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{
		ingestion.MemoryFile("a.parquet", buf.Bytes()), ingestion.MemoryFile("b.parquet", buf.Bytes()),
	}, ingestion.FormatCUR2, ingestion.ReadOptions{Workers: 2, BatchRows: 5000})
	require.NoError(t, err)
	require.Len(t, twice.Rows, len(base.Rows))
	for i := range base.Rows {
		require.Equal(t, 2*base.Rows[i].LineCount, twice.Rows[i].LineCount)
		require.Equal(t, 2*base.Rows[i].BilledCost, twice.Rows[i].BilledCost)
	}
	var taxes, tagged int
	for _, r := range base.Rows {
		if r.ChargeCategory == "Tax" {
			taxes++
		}
		if r.Tags != "" {
			tagged++
		}
	}
	require.Equal(t, 50*3, taxes, "one tax line per account and day")
	require.Positive(t, tagged)
}

// TestReadCUR2Encodings reads one generated export written with every
// page layout writers produce: the ledger must not depend on it.
func TestReadCUR2Encodings(t *testing.T) {
	t.Parallel()
	cfg := ingestion.GenerateConfig{Rows: 30_000, Seed: 3, Days: 2, Resources: 2000, LongLived: 300}
	write := func(o ingestion.CUR2WriterOpts) []byte {
		var buf bytes.Buffer
		c := cfg
		c.Writer = o
		c.Writer.RowGroupRows = 7_000
		require.NoError(t, ingestion.GenerateCUR2(&buf, c))
		return buf.Bytes()
	}
	read := func(data []byte, batch int) *ingestion.PeriodResult {
		res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("gen.parquet", data)},
			ingestion.FormatCUR2, ingestion.ReadOptions{Workers: 2, BatchRows: batch})
		require.NoError(t, err)
		return res
	}
	base := read(write(ingestion.CUR2WriterOpts{}), 0)
	require.Equal(t, int64(30_000), base.LinesKept)
	for _, tt := range []struct {
		name  string
		opts  ingestion.CUR2WriterOpts
		batch int
	}{
		{name: "plain pages", opts: ingestion.CUR2WriterOpts{Plain: true}},
		{name: "dictionary overflow to plain", opts: ingestion.CUR2WriterOpts{DictionaryPageLimit: 2048}, batch: 3000},
		{name: "data page v2, small pages", opts: ingestion.CUR2WriterOpts{DataPageV2: true, PageSize: 4096}, batch: 1000},
		{name: "small pages v1", opts: ingestion.CUR2WriterOpts{PageSize: 2048}, batch: 777},
		{name: "gzip", opts: ingestion.CUR2WriterOpts{Compression: compress.Codecs.Gzip}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := read(write(tt.opts), tt.batch)
			require.Empty(t, cmp.Diff(base.Rows, got.Rows))
			require.Equal(t, base.Totals, got.Totals)
		})
	}
}

// TestReadCUR2TagMaps reads tag maps the Parquet reader groups in two ways
// — windows of small maps packed into integers, and windows whose maps are
// too large to pack, walked row by row — and checks every row's tags
// against the CSV reader, which parses each row's JSON on its own.
func TestReadCUR2TagMaps(t *testing.T) {
	t.Parallel()
	small := [][]ingestion.MapEntry{
		nil,
		{{Key: "user_team", Value: "core"}},
		{{Key: "user_team", Value: "core"}, {Key: "user_env", Value: "prod"}},
		{{Key: "user_env", Value: "prod"}, {Key: "user_team", Value: "core"}},  // the same map, other order
		{{Key: "user_team", Value: "edge"}, {Key: "user_team", Value: "core"}}, // a repeated key: the last wins
		{{Key: "user_app", Value: ""}},
		{{Key: "user_env", Value: "dev"}, {Key: "user_app", Value: "api"}, {Key: "user_team", Value: "data"}},
	}
	var lines []ingestion.CUR2Line
	for i := range 600 {
		l := cur2Line(i%24, fmt.Sprintf("i-%05d", i), 0.01)
		switch window := i / 200; {
		case window == 1 && i%3 != 0:
			// 16 entries of many values: too large to pack into 64 bits.
			l.ResourceTags = nil
			for k := range 16 {
				v := fmt.Sprintf("v%d", i%89) // the first entries tell rows apart...
				if k >= 8 {
					v = fmt.Sprintf("w%d", i%13) // ...the last ones repeat every 13 rows
				}
				l.ResourceTags = append(l.ResourceTags, ingestion.MapEntry{Key: fmt.Sprintf("user_k%02d", k), Value: v})
			}
		case i%2 == 0:
			l.ResourceTags = small[(i*5)%len(small)]
		default:
			// Up to three entries of three keys and five values: many maps
			// of similar ids, in every order.
			l.ResourceTags = nil
			for k := range i % 4 {
				l.ResourceTags = append(l.ResourceTags, ingestion.MapEntry{Key: []string{"user_a", "user_b", "user_c"}[(i/4+k)%3],
					Value: []string{"", "x", "y", "z", "w"}[(i/12+k*k)%5]})
			}
		}
		lines = append(lines, l)
	}
	opts := ingestion.ReadOptions{Workers: 2, BatchRows: 200}
	want := tagsByResource(t, "cur.csv", writeCUR2CSV(t, lines), opts, len(lines))
	got := tagsByResource(t, "cur.parquet", writeCUR2Parquet(t, lines, 300), opts, len(lines))
	require.Empty(t, cmp.Diff(want, got))
	require.JSONEq(t, `{"user_team":"core","user_env":"prod"}`, got["i-00006"])
	require.JSONEq(t, `{"user_team":"core"}`, got["i-00012"], "the last of a repeated key")
}

// TestReadCUR2TagMapsWiden reads a row group whose tag maps need wider
// packing than the one before (more values): a map packed in the second
// must not be mistaken for one of the first that packed, narrower, to the
// same integer — {user_k1: v1} packs like {user_k4: v1} did.
func TestReadCUR2TagMapsWiden(t *testing.T) {
	t.Parallel()
	var lines []ingestion.CUR2Line
	for i := range 200 {
		l := cur2Line(i%24, fmt.Sprintf("i-%05d", i), 0.01)
		vals := 3 // the first row group: four keys, three values
		if i >= 100 {
			vals = 15
		}
		l.ResourceTags = []ingestion.MapEntry{{Key: fmt.Sprintf("user_k%d", i%4+1), Value: fmt.Sprintf("v%d", i%vals+1)}}
		lines = append(lines, l)
	}
	opts := ingestion.ReadOptions{Workers: 1}
	want := tagsByResource(t, "cur.csv", writeCUR2CSV(t, lines), opts, len(lines))
	got := tagsByResource(t, "cur.parquet", writeCUR2Parquet(t, lines, 100), opts, len(lines))
	require.Empty(t, cmp.Diff(want, got))
	require.JSONEq(t, `{"user_k1":"v1"}`, got["i-00120"])
}

// tagsByResource reads a CUR 2.0 file and returns each resource's tags; the
// file must hold n resources.
func tagsByResource(t *testing.T, name string, data []byte, opts ingestion.ReadOptions, n int) map[string]string {
	t.Helper()
	res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile(name, data)}, ingestion.FormatCUR2, opts)
	require.NoError(t, err)
	tags := map[string]string{}
	for _, r := range res.Rows {
		tags[r.ResourceID] = r.Tags
	}
	require.Len(t, tags, n)
	return tags
}

func TestGenerateCUR2Deterministic(t *testing.T) {
	t.Parallel()
	gen := func(seed uint64) []byte {
		var b bytes.Buffer
		require.NoError(t, ingestion.GenerateCUR2(&b, ingestion.GenerateConfig{Rows: 5000, Seed: seed, Days: 2}))
		return b.Bytes()
	}
	a, b, c := gen(3), gen(3), gen(4)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	d, err := ingestion.Detect(context.Background(), ingestion.MemoryFile("g", a))
	require.NoError(t, err)
	require.Equal(t, ingestion.FormatCUR2, d.Format)
}

// TestReadPeriodEmit streams the rows of a read: the rows of
// PeriodResult.Rows, a day at a time in day order, within a day in one
// order whatever the number of workers; an error from the consumer ends the
// read.
func TestReadPeriodEmit(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	require.NoError(t, ingestion.GenerateCUR2(&buf, ingestion.GenerateConfig{Rows: 20_000, Seed: 5, Days: 4, Resources: 1500, LongLived: 200,
		Writer: ingestion.CUR2WriterOpts{RowGroupRows: 6000}}))
	files := []ingestion.File{ingestion.MemoryFile("gen.parquet", buf.Bytes())}
	whole, err := ingestion.ReadPeriod(context.Background(), files, ingestion.FormatCUR2, ingestion.ReadOptions{Workers: 2})
	require.NoError(t, err)
	require.Equal(t, int64(len(whole.Rows)), whole.LedgerRows)

	stream := func(workers int) ([]ingestion.LedgerRow, *ingestion.PeriodResult) {
		var streamed []ingestion.LedgerRow
		calls := 0
		res, err := ingestion.ReadPeriod(context.Background(), files, ingestion.FormatCUR2, ingestion.ReadOptions{Workers: workers,
			Emit: func(rows []ingestion.LedgerRow) error {
				calls++
				for i := range rows {
					require.Equal(t, rows[0].ChargeDay, rows[i].ChargeDay, "one charge day per call")
				}
				if len(streamed) > 0 {
					require.Less(t, streamed[len(streamed)-1].ChargeDay, rows[0].ChargeDay, "days in order")
				}
				streamed = append(streamed, rows...)
				return nil
			}})
		require.NoError(t, err)
		require.Nil(t, res.Rows)
		require.GreaterOrEqual(t, calls, 4, "one call per charge day at least")
		return streamed, res
	}
	streamed, res := stream(2)
	require.Equal(t, whole.LedgerRows, res.LedgerRows)
	require.Equal(t, whole.Totals, res.Totals)
	require.Equal(t, whole.Periods, res.Periods)
	one, _ := stream(1)
	require.Empty(t, cmp.Diff(streamed, one), "the same order with one worker")
	asText := func(rows []ingestion.LedgerRow) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			out[i] = fmt.Sprintf("%+v", r)
		}
		slices.Sort(out)
		return out
	}
	require.Equal(t, asText(whole.Rows), asText(streamed))

	stop := errors.New("consumer full")
	_, err = ingestion.ReadPeriod(context.Background(), files, ingestion.FormatCUR2, ingestion.ReadOptions{Workers: 2,
		Emit: func([]ingestion.LedgerRow) error { return stop }})
	require.ErrorIs(t, err, stop)
}
