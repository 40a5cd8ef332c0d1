package cloudsim

import (
	"io"
	"sort"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ParquetFormat writes billing lines as CUR 2.0 Parquet (snappy), the format
// AWS Data Exports deliver, through the ingestion package's CUR 2.0 writer.
// It is ExportCUR2's default.
type ParquetFormat struct {
	// RowGroupRows overrides the writer's row-group size (tests use small ones).
	RowGroupRows int
}

// Ext implements ExportFormat.
func (ParquetFormat) Ext() string { return ".snappy.parquet" }

// NewFile implements ExportFormat.
func (p ParquetFormat) NewFile(w io.Writer) (ExportFile, error) {
	cw, err := ingestion.NewCUR2Writer(nopWriteCloser{w}, ingestion.CUR2WriterOpts{RowGroupRows: p.RowGroupRows})
	if err != nil {
		return nil, err
	}
	return &parquetFile{w: cw}, nil
}

// nopWriteCloser keeps the Parquet writer from closing the buffer it writes to.
type nopWriteCloser struct{ io.Writer }

type parquetFile struct {
	w *ingestion.CUR2Writer
}

func float(d valdrix.Decimal) float64 { return d.Float64() }

func optional(d valdrix.Decimal, present bool) *float64 {
	if !present {
		return nil
	}
	f := d.Float64()
	return &f
}

func (f *parquetFile) Write(l *BillingLine) error {
	line := ingestion.CUR2Line{
		BillBillType:                "Anniversary",
		BillBillingEntity:           "AWS",
		BillBillingPeriodStartDate:  l.BillingPeriod.Start().Time(),
		BillBillingPeriodEndDate:    l.BillingPeriod.End().Time(),
		BillInvoicingEntity:         "Amazon Web Services, Inc.",
		BillPayerAccountID:          l.PayerAccountID,
		BillPayerAccountName:        l.PayerAccountName,
		LineItemAvailabilityZone:    l.AvailabilityZone,
		LineItemCurrencyCode:        "USD",
		LineItemLegalEntity:         "Amazon Web Services, Inc.",
		LineItemLineItemDescription: l.Description,
		LineItemLineItemType:        l.LineItemType,
		LineItemOperation:           l.Operation,
		LineItemProductCode:         l.ProductCode,
		LineItemResourceID:          l.ResourceID,
		LineItemUsageAccountID:      l.UsageAccountID,
		LineItemUsageAccountName:    l.UsageAccountName,
		LineItemUsageType:           l.UsageType,
		LineItemUsageStartDate:      l.Start,
		LineItemUsageEndDate:        l.End,
		LineItemUsageAmount:         float(l.UsageAmount),
		LineItemUnblendedRate:       float(l.UnblendedRate),
		LineItemUnblendedCost:       float(l.UnblendedCost),
		LineItemBlendedCost:         float(l.UnblendedCost),
		PricingPublicOnDemandCost:   float(l.PublicOnDemandCost),
		PricingPublicOnDemandRate:   float(l.PublicOnDemandRate),
		PricingPurchaseOption:       l.PurchaseOption,
		PricingTerm:                 l.PricingTerm,
		PricingUnit:                 l.PricingUnit,
		ProductInstanceType:         l.InstanceType,
		ProductProductFamily:        l.ProductFamily,
		ProductRegionCode:           l.Region,
		ProductServicecode:          l.ProductCode,
		ProductUsagetype:            l.UsageType,
		ReservationReservationARN:   l.ReservationARN,
	}
	if l.VCPU > 0 {
		line.Product = []ingestion.MapEntry{{Key: "vcpu", Value: valdrix.NewDecimal(int64(l.VCPU), 0).String()}}
	}
	if l.ReservationARN != "" {
		line.ReservationEffectiveCost = optional(l.ReservationEffectiveCost, true)
		line.ReservationUnusedRecurringFee = optional(l.ReservationUnusedRecurringFee, l.LineItemType == "RIFee")
	}
	keys := make([]string, 0, len(l.Tags))
	for k := range l.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line.ResourceTags = append(line.ResourceTags, ingestion.MapEntry{Key: k, Value: l.Tags[k]})
	}
	return f.w.Write(line)
}

func (f *parquetFile) Close() error { return f.w.Close() }
