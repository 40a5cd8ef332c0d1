package ingestion

import (
	"cmp"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// MapEntry is one key/value of a CUR 2.0 map column (resource_tags,
// product, cost_category). Entries are written in the order given.
type MapEntry struct {
	Key, Value string
}

// CUR2Line is one line item of an AWS CUR 2.0 (Data Exports) table, with the
// columns Valdrix reads and the ones a realistic export carries around them.
// Optional metrics are pointers: nil is written as null, as AWS does for
// columns that do not apply to a line.
type CUR2Line struct {
	BillBillType               string
	BillBillingEntity          string
	BillBillingPeriodStartDate time.Time
	BillBillingPeriodEndDate   time.Time
	BillInvoiceID              string
	BillInvoicingEntity        string
	BillPayerAccountID         string
	BillPayerAccountName       string

	IdentityLineItemID   string
	IdentityTimeInterval string

	LineItemAvailabilityZone    string
	LineItemCurrencyCode        string
	LineItemLegalEntity         string
	LineItemLineItemDescription string
	LineItemLineItemType        string
	LineItemOperation           string
	LineItemProductCode         string
	LineItemResourceID          string
	LineItemUsageAccountID      string
	LineItemUsageAccountName    string
	LineItemUsageType           string
	LineItemUsageStartDate      time.Time
	LineItemUsageEndDate        time.Time
	LineItemUsageAmount         float64
	LineItemUnblendedRate       float64
	LineItemUnblendedCost       float64
	LineItemBlendedCost         float64
	LineItemNetUnblendedCost    *float64

	PricingPublicOnDemandCost float64
	PricingPublicOnDemandRate float64
	PricingPurchaseOption     string
	PricingRateCode           string
	PricingTerm               string
	PricingUnit               string

	ProductInstanceType  string
	ProductProductFamily string
	ProductRegionCode    string
	ProductServicecode   string
	ProductSku           string
	ProductUsagetype     string
	Product              []MapEntry // e.g. vcpu, memory, product_name

	ReservationReservationARN                            string
	ReservationEffectiveCost                             *float64
	ReservationUnusedAmortizedUpfrontFeeForBillingPeriod *float64
	ReservationUnusedRecurringFee                        *float64
	ReservationTotalReservedUnits                        *float64

	SavingsPlanSavingsPlanARN           string
	SavingsPlanSavingsPlanEffectiveCost *float64
	SavingsPlanTotalCommitmentToDate    *float64
	SavingsPlanUsedCommitment           *float64

	ResourceTags []MapEntry // cost allocation tags, e.g. user_team
	CostCategory []MapEntry
}

// CUR2WriterOpts configures a CUR2Writer. Zero values take the defaults.
type CUR2WriterOpts struct {
	// RowGroupRows is the number of rows per row group (default 122,880,
	// DuckDB's and AWS's customary size).
	RowGroupRows int
	// Compression is the codec; the zero value (Uncompressed) means Snappy,
	// as AWS writes.
	Compression compress.Compression
	// DictionaryPageLimit bounds each column chunk's dictionary (default
	// 8 MiB, so resource ids stay dictionary-encoded).
	DictionaryPageLimit int64
	// Allocator for Arrow buffers (default Go's allocator).
	Allocator memory.Allocator
	// Plain writes every column without a dictionary (readers must then
	// handle plain pages; tests use it).
	Plain bool
	// DataPageV2 writes version 2 data pages.
	DataPageV2 bool
	// PageSize bounds data pages in bytes (default 1 MiB).
	PageSize int64
	// NoStatistics leaves out the column statistics (min, max, null
	// count) that writers normally store.
	NoStatistics bool
}

// cur2Column describes one column of the CUR 2.0 schema and how to fill it.
type cur2Column struct {
	name string
	typ  arrow.DataType
	str  func(*CUR2Line) string
	f64  func(*CUR2Line) float64
	opt  func(*CUR2Line) *float64
	ts   func(*CUR2Line) time.Time
	kv   func(*CUR2Line) []MapEntry
}

func cur2Columns() []cur2Column {
	s := func(n string, f func(*CUR2Line) string) cur2Column {
		return cur2Column{name: n, typ: arrow.BinaryTypes.String, str: f}
	}
	f := func(n string, g func(*CUR2Line) float64) cur2Column {
		return cur2Column{name: n, typ: arrow.PrimitiveTypes.Float64, f64: g}
	}
	o := func(n string, g func(*CUR2Line) *float64) cur2Column {
		return cur2Column{name: n, typ: arrow.PrimitiveTypes.Float64, opt: g}
	}
	t := func(n string, g func(*CUR2Line) time.Time) cur2Column {
		return cur2Column{name: n, typ: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, ts: g}
	}
	m := func(n string, g func(*CUR2Line) []MapEntry) cur2Column {
		return cur2Column{name: n, typ: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), kv: g}
	}
	return []cur2Column{
		s("bill_bill_type", func(l *CUR2Line) string { return l.BillBillType }),
		s("bill_billing_entity", func(l *CUR2Line) string { return l.BillBillingEntity }),
		t("bill_billing_period_end_date", func(l *CUR2Line) time.Time { return l.BillBillingPeriodEndDate }),
		t("bill_billing_period_start_date", func(l *CUR2Line) time.Time { return l.BillBillingPeriodStartDate }),
		s("bill_invoice_id", func(l *CUR2Line) string { return l.BillInvoiceID }),
		s("bill_invoicing_entity", func(l *CUR2Line) string { return l.BillInvoicingEntity }),
		s("bill_payer_account_id", func(l *CUR2Line) string { return l.BillPayerAccountID }),
		s("bill_payer_account_name", func(l *CUR2Line) string { return l.BillPayerAccountName }),
		m("cost_category", func(l *CUR2Line) []MapEntry { return l.CostCategory }),
		s("identity_line_item_id", func(l *CUR2Line) string { return l.IdentityLineItemID }),
		s("identity_time_interval", func(l *CUR2Line) string { return l.IdentityTimeInterval }),
		s("line_item_availability_zone", func(l *CUR2Line) string { return l.LineItemAvailabilityZone }),
		f("line_item_blended_cost", func(l *CUR2Line) float64 { return l.LineItemBlendedCost }),
		s("line_item_currency_code", func(l *CUR2Line) string { return l.LineItemCurrencyCode }),
		s("line_item_legal_entity", func(l *CUR2Line) string { return l.LineItemLegalEntity }),
		s("line_item_line_item_description", func(l *CUR2Line) string { return l.LineItemLineItemDescription }),
		s("line_item_line_item_type", func(l *CUR2Line) string { return l.LineItemLineItemType }),
		o("line_item_net_unblended_cost", func(l *CUR2Line) *float64 { return l.LineItemNetUnblendedCost }),
		s("line_item_operation", func(l *CUR2Line) string { return l.LineItemOperation }),
		s("line_item_product_code", func(l *CUR2Line) string { return l.LineItemProductCode }),
		s("line_item_resource_id", func(l *CUR2Line) string { return l.LineItemResourceID }),
		f("line_item_unblended_cost", func(l *CUR2Line) float64 { return l.LineItemUnblendedCost }),
		f("line_item_unblended_rate", func(l *CUR2Line) float64 { return l.LineItemUnblendedRate }),
		s("line_item_usage_account_id", func(l *CUR2Line) string { return l.LineItemUsageAccountID }),
		s("line_item_usage_account_name", func(l *CUR2Line) string { return l.LineItemUsageAccountName }),
		f("line_item_usage_amount", func(l *CUR2Line) float64 { return l.LineItemUsageAmount }),
		t("line_item_usage_end_date", func(l *CUR2Line) time.Time { return l.LineItemUsageEndDate }),
		t("line_item_usage_start_date", func(l *CUR2Line) time.Time { return l.LineItemUsageStartDate }),
		s("line_item_usage_type", func(l *CUR2Line) string { return l.LineItemUsageType }),
		f("pricing_public_on_demand_cost", func(l *CUR2Line) float64 { return l.PricingPublicOnDemandCost }),
		f("pricing_public_on_demand_rate", func(l *CUR2Line) float64 { return l.PricingPublicOnDemandRate }),
		s("pricing_purchase_option", func(l *CUR2Line) string { return l.PricingPurchaseOption }),
		s("pricing_rate_code", func(l *CUR2Line) string { return l.PricingRateCode }),
		s("pricing_term", func(l *CUR2Line) string { return l.PricingTerm }),
		s("pricing_unit", func(l *CUR2Line) string { return l.PricingUnit }),
		m("product", func(l *CUR2Line) []MapEntry { return l.Product }),
		s("product_instance_type", func(l *CUR2Line) string { return l.ProductInstanceType }),
		s("product_product_family", func(l *CUR2Line) string { return l.ProductProductFamily }),
		s("product_region_code", func(l *CUR2Line) string { return l.ProductRegionCode }),
		s("product_servicecode", func(l *CUR2Line) string { return l.ProductServicecode }),
		s("product_sku", func(l *CUR2Line) string { return l.ProductSku }),
		s("product_usagetype", func(l *CUR2Line) string { return l.ProductUsagetype }),
		o("reservation_effective_cost", func(l *CUR2Line) *float64 { return l.ReservationEffectiveCost }),
		s("reservation_reservation_a_r_n", func(l *CUR2Line) string { return l.ReservationReservationARN }),
		o("reservation_total_reserved_units", func(l *CUR2Line) *float64 { return l.ReservationTotalReservedUnits }),
		o("reservation_unused_amortized_upfront_fee_for_billing_period", func(l *CUR2Line) *float64 {
			return l.ReservationUnusedAmortizedUpfrontFeeForBillingPeriod
		}),
		o("reservation_unused_recurring_fee", func(l *CUR2Line) *float64 { return l.ReservationUnusedRecurringFee }),
		m("resource_tags", func(l *CUR2Line) []MapEntry { return l.ResourceTags }),
		s("savings_plan_savings_plan_a_r_n", func(l *CUR2Line) string { return l.SavingsPlanSavingsPlanARN }),
		o("savings_plan_savings_plan_effective_cost", func(l *CUR2Line) *float64 { return l.SavingsPlanSavingsPlanEffectiveCost }),
		o("savings_plan_total_commitment_to_date", func(l *CUR2Line) *float64 { return l.SavingsPlanTotalCommitmentToDate }),
		o("savings_plan_used_commitment", func(l *CUR2Line) *float64 { return l.SavingsPlanUsedCommitment }),
	}
}

// CUR2Schema returns the Arrow schema the CUR2Writer writes: the CUR 2.0
// column names and types (strings, doubles, UTC millisecond timestamps and
// map<string,string> for resource_tags, product and cost_category).
func CUR2Schema() *arrow.Schema {
	cols := cur2Columns()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// CUR2Writer writes CUR 2.0 line items as a Parquet file, one row group per
// RowGroupRows lines. It is not safe for concurrent use.
type CUR2Writer struct {
	cols    []cur2Column
	bld     *array.RecordBuilder
	fw      *pqarrow.FileWriter
	rgRows  int
	pending int
	closed  bool
}

func dataPageVersion(v2 bool) parquet.DataPageVersion {
	if v2 {
		return parquet.DataPageV2
	}
	return parquet.DataPageV1
}

// NewCUR2Writer starts a CUR 2.0 Parquet file on w.
func NewCUR2Writer(w io.Writer, opts CUR2WriterOpts) (*CUR2Writer, error) {
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 122_880
	}
	if opts.Compression == compress.Codecs.Uncompressed {
		opts.Compression = compress.Codecs.Snappy
	}
	if opts.DictionaryPageLimit <= 0 {
		opts.DictionaryPageLimit = 8 << 20
	}
	mem := opts.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	schema := CUR2Schema()
	props := parquet.NewWriterProperties(
		parquet.WithAllocator(mem),
		parquet.WithCompression(opts.Compression),
		parquet.WithDictionaryDefault(!opts.Plain),
		parquet.WithDictionaryPageSizeLimit(opts.DictionaryPageLimit),
		parquet.WithDataPageVersion(dataPageVersion(opts.DataPageV2)),
		parquet.WithDataPageSize(cmp.Or(opts.PageSize, 1<<20)),
		parquet.WithMaxRowGroupLength(int64(opts.RowGroupRows)),
		parquet.WithCreatedBy("valdrix"),
		parquet.WithStats(!opts.NoStatistics),
	)
	fw, err := pqarrow.NewFileWriter(schema, writerOnly{w}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, fmt.Errorf("start CUR 2.0 parquet file: %w", err)
	}
	return &CUR2Writer{cols: cur2Columns(), bld: array.NewRecordBuilder(mem, schema), fw: fw, rgRows: opts.RowGroupRows}, nil
}

// Write appends one line.
func (w *CUR2Writer) Write(l CUR2Line) error {
	if w.closed {
		return fmt.Errorf("write CUR 2.0 line: writer is closed")
	}
	for i := range w.cols {
		c := &w.cols[i]
		fb := w.bld.Field(i)
		switch {
		case c.str != nil:
			fb.(*array.StringBuilder).Append(c.str(&l))
		case c.f64 != nil:
			fb.(*array.Float64Builder).Append(c.f64(&l))
		case c.opt != nil:
			if v := c.opt(&l); v != nil {
				fb.(*array.Float64Builder).Append(*v)
			} else {
				fb.AppendNull()
			}
		case c.ts != nil:
			tb := fb.(*array.TimestampBuilder)
			if t := c.ts(&l); t.IsZero() {
				tb.AppendNull()
			} else {
				tb.Append(arrow.Timestamp(t.UnixMilli()))
			}
		case c.kv != nil:
			mb := fb.(*array.MapBuilder)
			mb.Append(true)
			kb, ib := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.StringBuilder)
			for _, e := range c.kv(&l) {
				kb.Append(e.Key)
				ib.Append(e.Value)
			}
		}
	}
	w.pending++
	if w.pending >= w.rgRows {
		return w.flush()
	}
	return nil
}

func (w *CUR2Writer) flush() error {
	if w.pending == 0 {
		return nil
	}
	rec := w.bld.NewRecordBatch()
	defer rec.Release()
	w.pending = 0
	if err := w.fw.Write(rec); err != nil {
		return fmt.Errorf("write CUR 2.0 row group: %w", err)
	}
	return nil
}

// Close writes the last row group and the footer. It does not close the
// underlying writer.
func (w *CUR2Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.bld.Release()
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.fw.Close(); err != nil {
		return fmt.Errorf("finish CUR 2.0 parquet file: %w", err)
	}
	return nil
}

// writerOnly hides a Close method: the Parquet writer closes its sink, and
// the caller owns w.
type writerOnly struct{ io.Writer }
