package reporting

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// focusColumn is one column of the FOCUS 1.2 export: its name, whether it
// is a metric (exact decimal) or a timestamp, and how to read it from a
// ledger row. Metrics return false when the row lacks them (written as null).
type focusColumn struct {
	name   string
	kind   byte // 's' string, 'd' decimal, 't' timestamp
	str    func(r *ingestion.LedgerRow) string
	dec    func(r *ingestion.LedgerRow) (valdrix.Decimal, bool)
	tstamp func(r *ingestion.LedgerRow) time.Time
}

func s(name string, f func(r *ingestion.LedgerRow) string) focusColumn {
	return focusColumn{name: name, kind: 's', str: f}
}

func d(name string, f func(r *ingestion.LedgerRow) (valdrix.Decimal, bool)) focusColumn {
	return focusColumn{name: name, kind: 'd', dec: f}
}

func ts(name string, f func(r *ingestion.LedgerRow) time.Time) focusColumn {
	return focusColumn{name: name, kind: 't', tstamp: f}
}

func always(v valdrix.Decimal) (valdrix.Decimal, bool) { return v, true }

func providerName(p valdrix.Provider) string {
	switch p {
	case valdrix.AWS:
		return "AWS"
	case valdrix.Azure:
		return "Microsoft"
	case valdrix.GCP:
		return "Google Cloud"
	}
	return string(p)
}

// focusColumns maps ledger rows to FOCUS 1.2 columns (names from the FOCUS
// 1.2 specification) plus x_ columns for Valdrix's extensions. A ledger row is
// a daily roll-up, so ChargePeriod spans its day.
var focusColumns = []focusColumn{
	d("BilledCost", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) { return always(r.BilledCost) }),
	s("BillingAccountId", func(r *ingestion.LedgerRow) string { return r.BillingAccountID }),
	s("BillingAccountName", func(r *ingestion.LedgerRow) string { return r.BillingAccountName }),
	s("BillingCurrency", func(r *ingestion.LedgerRow) string { return r.BillingCurrency }),
	ts("BillingPeriodStart", func(r *ingestion.LedgerRow) time.Time { return r.BillingPeriod.Start().Time() }),
	ts("BillingPeriodEnd", func(r *ingestion.LedgerRow) time.Time { return r.BillingPeriod.End().Time() }),
	s("ChargeCategory", func(r *ingestion.LedgerRow) string { return r.ChargeCategory }),
	s("ChargeClass", func(r *ingestion.LedgerRow) string { return r.ChargeClass }),
	s("ChargeFrequency", func(r *ingestion.LedgerRow) string { return r.ChargeFrequency }),
	ts("ChargePeriodStart", func(r *ingestion.LedgerRow) time.Time { return r.ChargeDay.Time() }),
	ts("ChargePeriodEnd", func(r *ingestion.LedgerRow) time.Time { return r.ChargeDay.AddDays(1).Time() }),
	d("ConsumedQuantity", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) {
		return r.ConsumedQuantity, r.Missing.Has(ingestion.MissingConsumedQuantity)
	}),
	s("ConsumedUnit", func(r *ingestion.LedgerRow) string { return r.ConsumedUnit }),
	d("ContractedCost", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) {
		return r.ContractedCost, r.Missing.Has(ingestion.MissingContractedCost)
	}),
	d("EffectiveCost", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) { return always(r.EffectiveCost) }),
	s("InvoiceIssuerName", func(r *ingestion.LedgerRow) string { return providerName(r.Provider) }),
	d("ListCost", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) {
		return r.ListCost, r.Missing.Has(ingestion.MissingListCost)
	}),
	s("PricingCategory", func(r *ingestion.LedgerRow) string { return r.PricingCategory }),
	d("PricingQuantity", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) {
		return r.PricingQuantity, r.Missing.Has(ingestion.MissingPricingQuantity)
	}),
	s("PricingUnit", func(r *ingestion.LedgerRow) string { return r.PricingUnit }),
	s("ProviderName", func(r *ingestion.LedgerRow) string { return providerName(r.Provider) }),
	s("PublisherName", func(r *ingestion.LedgerRow) string { return providerName(r.Provider) }),
	s("RegionId", func(r *ingestion.LedgerRow) string { return r.RegionID }),
	s("AvailabilityZone", func(r *ingestion.LedgerRow) string { return r.AvailabilityZone }),
	s("ResourceId", func(r *ingestion.LedgerRow) string { return r.ResourceID }),
	s("ResourceName", func(r *ingestion.LedgerRow) string { return r.ResourceName }),
	s("ResourceType", func(r *ingestion.LedgerRow) string { return r.ResourceType }),
	s("ServiceCategory", func(r *ingestion.LedgerRow) string { return r.ServiceCategory }),
	s("ServiceName", func(r *ingestion.LedgerRow) string { return r.ServiceName }),
	s("SkuId", func(r *ingestion.LedgerRow) string { return r.SkuID }),
	s("SubAccountId", func(r *ingestion.LedgerRow) string { return r.SubAccountID }),
	s("SubAccountName", func(r *ingestion.LedgerRow) string { return r.SubAccountName }),
	s("CommitmentDiscountId", func(r *ingestion.LedgerRow) string { return r.CommitmentDiscountID }),
	s("CommitmentDiscountStatus", func(r *ingestion.LedgerRow) string { return r.CommitmentDiscountStatus }),
	s("CommitmentDiscountType", func(r *ingestion.LedgerRow) string { return r.CommitmentDiscountType }),
	s("CapacityReservationId", func(r *ingestion.LedgerRow) string { return r.CapacityReservationID }),
	s("CapacityReservationStatus", func(r *ingestion.LedgerRow) string { return r.CapacityReservationStatus }),
	s("Tags", func(r *ingestion.LedgerRow) string { return r.Tags }),
	s("x_UsageType", func(r *ingestion.LedgerRow) string { return r.UsageType }),
	s("x_Operation", func(r *ingestion.LedgerRow) string { return r.Operation }),
	s("x_InstanceType", func(r *ingestion.LedgerRow) string { return r.InstanceType }),
	d("x_VCPUs", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) {
		return r.VCPUs, r.Missing.Has(ingestion.MissingVCPUs)
	}),
	d("x_LineCount", func(r *ingestion.LedgerRow) (valdrix.Decimal, bool) { return valdrix.NewDecimal(r.LineCount, 0), true }),
	s("x_Extensions", func(r *ingestion.LedgerRow) string { return r.Extensions }),
}

// FocusColumns lists the export's column names in order.
func FocusColumns() []string {
	out := make([]string, len(focusColumns))
	for i, c := range focusColumns {
		out[i] = c.name
	}
	return out
}

// FocusWriter writes ledger rows as FOCUS 1.2.
type FocusWriter interface {
	Write(r *ingestion.LedgerRow) error
	Close() error
}

// NewFocusCSV writes FOCUS CSV: decimals exact, missing metrics empty,
// timestamps RFC 3339 in UTC.
func NewFocusCSV(w io.Writer) (FocusWriter, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(FocusColumns()); err != nil {
		return nil, err
	}
	return &focusCSV{w: cw, rec: make([]string, len(focusColumns))}, nil
}

type focusCSV struct {
	w   *csv.Writer
	rec []string
}

func (f *focusCSV) Write(r *ingestion.LedgerRow) error {
	for i, c := range focusColumns {
		switch c.kind {
		case 's':
			f.rec[i] = c.str(r)
		case 'd':
			f.rec[i] = ""
			if v, ok := c.dec(r); ok {
				f.rec[i] = v.String()
			}
		case 't':
			f.rec[i] = c.tstamp(r).Format(time.RFC3339)
		}
	}
	return f.w.Write(f.rec)
}

func (f *focusCSV) Close() error {
	f.w.Flush()
	return f.w.Error()
}

// NewFocusParquet writes FOCUS Parquet (snappy): metrics as decimal(38,9),
// timestamps in microseconds UTC, the rest as strings (empty → null).
func NewFocusParquet(w io.Writer) (FocusWriter, error) {
	fields := make([]arrow.Field, len(focusColumns))
	for i, c := range focusColumns {
		var t arrow.DataType = arrow.BinaryTypes.String
		switch c.kind {
		case 'd':
			t = &arrow.Decimal128Type{Precision: 38, Scale: valdrix.DecimalPlaces}
		case 't':
			t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		}
		fields[i] = arrow.Field{Name: c.name, Type: t, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	fw, err := pqarrow.NewFileWriter(schema, w,
		parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(128*1024)),
		pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, fmt.Errorf("focus parquet: %w", err)
	}
	return &focusParquet{fw: fw, b: array.NewRecordBuilder(memory.DefaultAllocator, schema)}, nil
}

type focusParquet struct {
	fw *pqarrow.FileWriter
	b  *array.RecordBuilder
	n  int
}

func (f *focusParquet) Write(r *ingestion.LedgerRow) error {
	for i, c := range focusColumns {
		switch c.kind {
		case 's':
			sb := f.b.Field(i).(*array.StringBuilder)
			if v := c.str(r); v == "" {
				sb.AppendNull()
			} else {
				sb.Append(v)
			}
		case 'd':
			db := f.b.Field(i).(*array.Decimal128Builder)
			if v, ok := c.dec(r); ok {
				db.Append(decimal128.FromI64(int64(v)))
			} else {
				db.AppendNull()
			}
		case 't':
			f.b.Field(i).(*array.TimestampBuilder).Append(arrow.Timestamp(c.tstamp(r).UnixMicro()))
		}
	}
	f.n++
	if f.n == 64*1024 {
		return f.flush()
	}
	return nil
}

func (f *focusParquet) flush() error {
	if f.n == 0 {
		return nil
	}
	rec := f.b.NewRecordBatch()
	defer rec.Release()
	f.n = 0
	return f.fw.Write(rec)
}

func (f *focusParquet) Close() error {
	err := f.flush()
	f.b.Release()
	return errors.Join(err, f.fw.Close())
}
