package gcp

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// billingColumns are the columns read from the billing export (standard
// and resource-level; columns the table lacks are an error BigQuery names).
var billingColumns = []string{
	"billing_account_id", "service", "sku", "usage_start_time", "usage_end_time", "project", "labels", "system_labels", "location",
	"resource", "export_time", "cost", "cost_at_list", "currency", "currency_conversion_rate", "usage", "credits", "invoice", "cost_type",
	"price", "transaction_type", "seller_name", "adjustment_info",
}

// billingTable is a parsed project.dataset.table.
type billingTable struct{ project, dataset, table string }

func (t billingTable) String() string { return t.project + "." + t.dataset + "." + t.table }

// parseTable splits a validated project.dataset.table.
func parseTable(s string) billingTable {
	parts := strings.SplitN(s, ".", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	return billingTable{parts[0], parts[1], parts[2]}
}

// bigQuery returns a BigQuery client running jobs in the billing table's
// project, and the table.
func (p *Provider) bigQuery(ctx context.Context, conn cloud.Connection) (*bigquery.Client, billingTable, error) {
	g, err := p.connection(conn)
	if err != nil {
		return nil, billingTable{}, err
	}
	if g.BillingTable == "" {
		return nil, billingTable{}, valdrix.FieldError("gcp.billing_table", "no billing export table is configured for this connection")
	}
	t := parseTable(g.BillingTable)
	s, err := p.signIn(ctx, conn)
	if err != nil {
		return nil, t, err
	}
	c, err := bigquery.NewClient(ctx, t.project, p.options(ctx, s, "bigquery", "/bigquery/v2/")...)
	if err != nil {
		return nil, t, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the BigQuery client")
	}
	return c, t, nil
}

func (p *Provider) runQuery(ctx context.Context, c *bigquery.Client, sql string, params ...bigquery.QueryParameter) (*bigquery.RowIterator, error) {
	q := c.Query(sql)
	q.Parameters = params
	q.MaxBytesBilled = p.cfg.MaxBytesBilled
	return q.Read(ctx)
}

// ListBillingPeriods implements cloud.CostSource from the export table's
// partitions (INFORMATION_SCHEMA.PARTITIONS, a metadata query): the export
// is partitioned by ingestion day, and a day's partition holds the usage
// of the day before, so a partition dated D belongs to the month of D-1.
func (p *Provider) ListBillingPeriods(ctx context.Context, conn cloud.Connection) ([]cloud.BillingPeriod, error) {
	c, t, err := p.bigQuery(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, p.cfg.QueryTimeout)
	defer cancel()
	sql := fmt.Sprintf("SELECT partition_id, total_rows, last_modified_time FROM `%s.%s.INFORMATION_SCHEMA.PARTITIONS` WHERE table_name = @table_name", t.project, t.dataset)
	it, err := p.runQuery(ctx, c, sql, bigquery.QueryParameter{Name: "table_name", Value: t.table})
	if err != nil {
		return nil, translate(err, "bigquery.jobs.create", "list the partitions of the billing export "+t.String())
	}
	byMonth := map[valdrix.Month]cloud.BillingPeriod{}
	for {
		var row struct {
			PartitionID  string    `bigquery:"partition_id"`
			TotalRows    int64     `bigquery:"total_rows"`
			LastModified time.Time `bigquery:"last_modified_time"`
		}
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, translate(err, "bigquery.tables.getData", "read the partitions of the billing export "+t.String())
		}
		day, perr := time.Parse("20060102", row.PartitionID)
		if perr != nil || row.TotalRows == 0 {
			continue // __NULL__, __UNPARTITIONED__, empty
		}
		m := valdrix.MonthOf(day.AddDate(0, 0, -1))
		bp, ok := byMonth[m]
		if !ok {
			bp = cloud.BillingPeriod{Period: m, Format: cloud.FormatGCP, ExportName: t.table, ManifestKey: t.String(), FileCount: 1}
		}
		if row.LastModified.After(bp.LastModified) {
			bp.LastModified = row.LastModified.UTC()
		}
		byMonth[m] = bp
	}
	if len(byMonth) == 0 {
		// No partitions: say whether the table is missing or not a
		// day-partitioned export.
		md, err := c.Dataset(t.dataset).Table(t.table).Metadata(ctx)
		if err != nil {
			return nil, translate(err, "bigquery.tables.get", "read the billing export table "+t.String())
		}
		if md.TimePartitioning == nil {
			return nil, valdrix.Errorf(valdrix.EINVALID, "the table %s is not partitioned by day: it is not a Cloud Billing export", t)
		}
	}
	periods := make([]cloud.BillingPeriod, 0, len(byMonth))
	for _, bp := range byMonth {
		periods = append(periods, bp)
	}
	slices.SortFunc(periods, func(x, y cloud.BillingPeriod) int { return int(x.Period - y.Period) })
	return periods, nil
}

// billingQuery returns the rows query of a period and its parameters: the
// partitions from the month's first day to LateDays after its end (where
// its usage was exported), and usage that started in the month.
func (p *Provider) billingQuery(t billingTable, period valdrix.Month) (string, []bigquery.QueryParameter) {
	sql := fmt.Sprintf("SELECT %s FROM `%s` WHERE _PARTITIONTIME >= @partition_start AND _PARTITIONTIME < @partition_end "+
		"AND usage_start_time >= @usage_start AND usage_start_time < @usage_end", strings.Join(billingColumns, ", "), t)
	start, end := period.Start().Time(), period.End().Time()
	return sql, []bigquery.QueryParameter{
		{Name: "partition_start", Value: start},
		{Name: "partition_end", Value: end.AddDate(0, 0, p.cfg.LateDays)},
		{Name: "usage_start", Value: start},
		{Name: "usage_end", Value: end},
	}
}

// BillingRecords streams the billing export rows of a period as
// ingestion records, for ingestion.ReadGCP. The query filters by partition
// (so BigQuery scans only the period's partitions) and by usage time.
func (p *Provider) BillingRecords(ctx context.Context, conn cloud.Connection, period valdrix.Month) iter.Seq2[*ingestion.GCPRecord, error] {
	return p.records(ctx, conn, period, nil)
}

// records streams a period's rows; job, when set, is told the query's job
// id first.
func (p *Provider) records(ctx context.Context, conn cloud.Connection, period valdrix.Month, job func(id string)) iter.Seq2[*ingestion.GCPRecord, error] {
	return func(yield func(*ingestion.GCPRecord, error) bool) {
		c, t, err := p.bigQuery(ctx, conn)
		if err != nil {
			yield(nil, err)
			return
		}
		defer c.Close()
		ctx, cancel := context.WithTimeout(ctx, p.cfg.QueryTimeout)
		defer cancel()
		sql, params := p.billingQuery(t, period)
		it, err := p.runQuery(ctx, c, sql, params...)
		if err != nil {
			yield(nil, translate(err, "bigquery.jobs.create", "query the billing export "+t.String()+" for "+period.String()))
			return
		}
		if j := it.SourceJob(); j != nil && job != nil {
			job(j.ID())
		}
		for {
			var row rowLoader
			err := it.Next(&row)
			if errors.Is(err, iterator.Done) {
				return
			}
			if err != nil {
				yield(nil, translate(err, "bigquery.tables.getData", "read the billing export "+t.String()))
				return
			}
			rec, err := row.record()
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// FetchBillingPeriod implements cloud.CostSource: it queries the period's
// rows and writes them to dir as newline-delimited JSON (the BigQuery JSON
// export shape the ingestion GCP reader reads), with a manifest recording
// the query, its job and the row count (which ingestion.ParseManifest
// reads, so an import can check it read every row).
func (p *Provider) FetchBillingPeriod(ctx context.Context, conn cloud.Connection, period valdrix.Month, dir string) (cloud.BillingFiles, error) {
	bp, err := cloud.LookupPeriod(ctx, p, conn, period)
	if err != nil {
		return cloud.BillingFiles{}, err
	}
	files := cloud.BillingFiles{
		BillingPeriod: bp,
		Manifest:      filepath.Join(dir, "gcp-billing-"+period.String()+"-manifest.json"),
		DataFiles:     []string{filepath.Join(dir, "gcp-billing-"+period.String()+".jsonl")},
	}
	f, err := os.OpenFile(files.DataFiles[0], os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("create %s: %w", files.DataFiles[0], err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	rows := 0
	jobID := ""
	for rec, err := range p.records(ctx, conn, period, func(id string) { jobID = id }) {
		if err == nil {
			err = enc.Encode(rec)
		}
		if err != nil {
			_ = f.Close()
			return cloud.BillingFiles{}, err
		}
		rows++
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return cloud.BillingFiles{}, fmt.Errorf("write %s: %w", files.DataFiles[0], err)
	}
	if err := f.Close(); err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("write %s: %w", files.DataFiles[0], err)
	}
	sql, params := p.billingQuery(parseTable(conn.GCP.BillingTable), period)
	pm := map[string]string{}
	for _, prm := range params {
		pm[prm.Name] = prm.Value.(time.Time).Format(time.RFC3339)
	}
	man := map[string]any{
		"bigQueryExport": map[string]any{"table": conn.GCP.BillingTable, "jobId": jobID, "query": sql, "parameters": pm},
		"billingPeriod":  period.String(), "dataFiles": []string{filepath.Base(files.DataFiles[0])}, "rowCount": rows,
	}
	raw, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.WriteFile(files.Manifest, raw, 0o600); err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("write %s: %w", files.Manifest, err)
	}
	return files, nil
}

// rowLoader receives a row with its schema.
type rowLoader struct {
	vals   []bigquery.Value
	schema bigquery.Schema
}

func (r *rowLoader) Load(v []bigquery.Value, s bigquery.Schema) error {
	r.vals, r.schema = v, s
	return nil
}

// fields maps a record's values by field name.
func fields(vals []bigquery.Value, s bigquery.Schema) map[string]bigquery.Value {
	m := make(map[string]bigquery.Value, len(s))
	for i, f := range s {
		if i < len(vals) {
			m[f.Name] = vals[i]
		}
	}
	return m
}

// sub returns a RECORD column's fields (nil when null).
func sub(m map[string]bigquery.Value, s bigquery.Schema, name string) (map[string]bigquery.Value, bigquery.Schema) {
	for _, f := range s {
		if f.Name == name {
			vals, _ := m[name].([]bigquery.Value)
			if vals == nil {
				return nil, f.Schema
			}
			return fields(vals, f.Schema), f.Schema
		}
	}
	return nil, nil
}

// repeated returns a REPEATED RECORD column's elements.
func repeated(m map[string]bigquery.Value, s bigquery.Schema, name string) []map[string]bigquery.Value {
	for _, f := range s {
		if f.Name != name {
			continue
		}
		list, _ := m[name].([]bigquery.Value)
		out := make([]map[string]bigquery.Value, 0, len(list))
		for _, el := range list {
			if vals, ok := el.([]bigquery.Value); ok {
				out = append(out, fields(vals, f.Schema))
			}
		}
		return out
	}
	return nil
}

func str(v bigquery.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return fmt.Sprint(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

// num returns a FLOAT, INTEGER or NUMERIC value (nil for NULL).
func num(v bigquery.Value) *float64 {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	case *big.Rat:
		f, _ = x.Float64()
	default:
		return nil
	}
	return &f
}

func ts(v bigquery.Value) time.Time {
	if t, ok := v.(time.Time); ok {
		return t.UTC()
	}
	return time.Time{}
}

func labels(rows []map[string]bigquery.Value) []ingestion.GCPLabel {
	out := make([]ingestion.GCPLabel, 0, len(rows))
	for _, l := range rows {
		out = append(out, ingestion.GCPLabel{Key: str(l["key"]), Value: str(l["value"])})
	}
	return out
}

// record maps a row to the ingestion GCP record.
func (r *rowLoader) record() (*ingestion.GCPRecord, error) {
	m := fields(r.vals, r.schema)
	s := r.schema
	if _, ok := m["usage_start_time"]; !ok {
		return nil, valdrix.Errorf(valdrix.EUNAVAILABLE, "BigQuery returned a billing row without usage_start_time")
	}
	rec := &ingestion.GCPRecord{
		BillingAccountID: str(m["billing_account_id"]),
		UsageStartTime:   ts(m["usage_start_time"]),
		UsageEndTime:     ts(m["usage_end_time"]),
		ExportTime:       ts(m["export_time"]),
		CostAtList:       num(m["cost_at_list"]),
		Currency:         str(m["currency"]),
		CostType:         str(m["cost_type"]),
		TransactionType:  str(m["transaction_type"]),
		SellerName:       str(m["seller_name"]),
		Labels:           labels(repeated(m, s, "labels")),
		SystemLabels:     labels(repeated(m, s, "system_labels")),
		Credits:          []ingestion.GCPCredit{},
	}
	if c := num(m["cost"]); c != nil {
		rec.Cost = *c
	}
	if c := num(m["currency_conversion_rate"]); c != nil {
		rec.ConversionRate = *c
	}
	if v, _ := sub(m, s, "service"); v != nil {
		rec.Service = ingestion.GCPService{ID: str(v["id"]), Description: str(v["description"])}
	}
	if v, _ := sub(m, s, "sku"); v != nil {
		rec.SKU = ingestion.GCPSKU{ID: str(v["id"]), Description: str(v["description"])}
	}
	if v, _ := sub(m, s, "project"); v != nil {
		rec.Project = ingestion.GCPProject{ID: str(v["id"]), Number: str(v["number"]), Name: str(v["name"])}
	}
	if v, _ := sub(m, s, "location"); v != nil {
		rec.Location = ingestion.GCPLocation{Location: str(v["location"]), Country: str(v["country"]), Region: str(v["region"]), Zone: str(v["zone"])}
	}
	if v, _ := sub(m, s, "resource"); v != nil {
		rec.Resource = ingestion.GCPResource{Name: str(v["name"]), GlobalName: str(v["global_name"])}
	}
	if v, _ := sub(m, s, "usage"); v != nil {
		rec.Usage = ingestion.GCPUsage{Amount: num(v["amount"]), Unit: str(v["unit"]), AmountInPricingUnits: num(v["amount_in_pricing_units"]), PricingUnit: str(v["pricing_unit"])}
	}
	if v, _ := sub(m, s, "invoice"); v != nil {
		rec.Invoice = ingestion.GCPInvoice{Month: str(v["month"])}
	}
	if v, _ := sub(m, s, "price"); v != nil {
		rec.Price = &ingestion.GCPPrice{EffectivePrice: num(v["effective_price"]), TierStartAmount: num(v["tier_start_amount"]),
			Unit: str(v["unit"]), PricingUnitQuantity: num(v["pricing_unit_quantity"])}
	}
	if v, _ := sub(m, s, "adjustment_info"); v != nil {
		rec.AdjustmentInfo = &ingestion.GCPAdjusted{ID: str(v["id"]), Description: str(v["description"]), Mode: str(v["mode"]), Type: str(v["type"])}
	}
	for _, c := range repeated(m, s, "credits") {
		amount := 0.0
		if a := num(c["amount"]); a != nil {
			amount = *a
		}
		rec.Credits = append(rec.Credits, ingestion.GCPCredit{Name: str(c["name"]), Amount: amount, FullName: str(c["full_name"]), ID: str(c["id"]), Type: str(c["type"])})
	}
	return rec, nil
}
