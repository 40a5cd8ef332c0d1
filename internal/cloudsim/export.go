package cloudsim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// ExportFormat writes billing export data files. The CUR 2.0 Parquet writer
// of the ingestion package plugs in here (ParquetFormat, the default);
// CSVFormat writes the same columns as CSV.
type ExportFormat interface {
	// NewFile starts a data file on w.
	NewFile(w io.Writer) (ExportFile, error)
	// Ext is the data file name suffix (".snappy.parquet", ".csv").
	Ext() string
}

// ExportFile is one data file being written.
type ExportFile interface {
	Write(l *BillingLine) error
	Close() error
}

// CUR2Export configures a CUR 2.0 data export into the simulator's S3.
type CUR2Export struct {
	AccountID  string // the account owning the bucket and whose lines are exported (default: the payer, with every account)
	Bucket     string // created if missing
	Prefix     string // e.g. "cur2"
	ExportName string // default "valdrix"
	// Start and End bound the exported usage (defaults as BillingConfig).
	Start, End  time.Time
	Granularity time.Duration // time.Hour or 24h (default)
	Format      ExportFormat  // default ParquetFormat (CUR 2.0 Parquet, as AWS delivers)
	// LinesPerFile splits data files (default 1,000,000).
	LinesPerFile int
}

// ExportCUR2 writes the estate's billing lines as CUR 2.0 deliveries, one
// per billing period: data files under
// <prefix>/<name>/data/BILLING_PERIOD=YYYY-MM/ and a manifest at
// <prefix>/<name>/metadata/BILLING_PERIOD=YYYY-MM/<name>-Manifest.json.
// It returns the periods written.
func (s *Sim) ExportCUR2(ctx context.Context, x CUR2Export) ([]valdrix.Month, error) {
	e := s.estate
	x.AccountID = cmp.Or(x.AccountID, e.AWSPayerAccount)
	var accounts []string
	if x.AccountID != e.AWSPayerAccount {
		accounts = []string{x.AccountID} // a member account's own export
	}
	x.ExportName = cmp.Or(x.ExportName, "valdrix")
	x.LinesPerFile = cmp.Or(x.LinesPerFile, 1_000_000)
	if x.Format == nil {
		x.Format = ParquetFormat{}
	}
	if x.Bucket == "" {
		return nil, valdrix.FieldError("bucket", "is required")
	}
	if err := s.CreateBucket(x.AccountID, x.Bucket); err != nil {
		return nil, err
	}
	cfg := BillingConfig{Provider: valdrix.AWS, Start: x.Start, End: x.End, Granularity: x.Granularity, Accounts: accounts}.withDefaults(e.Now)
	base := x.ExportName
	if x.Prefix != "" {
		base = x.Prefix + "/" + x.ExportName
	}
	var months []valdrix.Month
	for m := valdrix.MonthOf(cfg.Start); m.Start().Time().Before(cfg.End); m++ {
		if err := ctx.Err(); err != nil {
			return months, err
		}
		from, to := maxT(cfg.Start, m.Start().Time()), minT(cfg.End, m.End().Time())
		if err := s.exportMonth(x, cfg, base, m, from, to); err != nil {
			return months, err
		}
		months = append(months, m)
	}
	return months, nil
}

func (s *Sim) exportMonth(x CUR2Export, cfg BillingConfig, base string, m valdrix.Month, from, to time.Time) error {
	period := "BILLING_PERIOD=" + m.String()
	var files []string
	var buf bytes.Buffer
	var f ExportFile
	n, total := 0, 0
	flush := func() error {
		if f == nil {
			return nil
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("cloudsim: close export file: %w", err)
		}
		key := fmt.Sprintf("%s/data/%s/%s-%05d%s", base, period, x.ExportName, len(files)+1, x.Format.Ext())
		if err := s.PutObject(x.Bucket, key, buf.Bytes()); err != nil {
			return err
		}
		files = append(files, "s3://"+x.Bucket+"/"+key)
		buf.Reset()
		f, n = nil, 0
		return nil
	}
	cfg.Start, cfg.End = from, to
	err := s.estate.BillingLines(cfg, func(l *BillingLine) error {
		if f == nil {
			var err error
			if f, err = x.Format.NewFile(&buf); err != nil {
				return fmt.Errorf("cloudsim: start export file: %w", err)
			}
		}
		if err := f.Write(l); err != nil {
			return fmt.Errorf("cloudsim: write export line: %w", err)
		}
		n++
		total++
		if n >= x.LinesPerFile {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	manifest, _ := json.MarshalIndent(map[string]any{
		"version": "1.0", "exportName": x.ExportName,
		"exportArn":     fmt.Sprintf("arn:aws:bcm-data-exports:us-east-1:%s:export/%s-%s", x.AccountID, x.ExportName, hexID(newRand(x.ExportName), 8)),
		"executionId":   guid(newRand(x.ExportName + m.String())),
		"billingPeriod": map[string]string{"start": m.Start().Time().Format("2006-01-02T15:04:05.000Z"), "end": m.End().Time().Format("2006-01-02T15:04:05.000Z")},
		"dataFiles":     files, "totalRows": total, "bucket": x.Bucket, "prefix": x.Prefix,
	}, "", "  ")
	return s.PutObject(x.Bucket, fmt.Sprintf("%s/metadata/%s/%s-Manifest.json", base, period, x.ExportName), manifest)
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// CSVFormat writes billing lines as CSV with CUR 2.0 column names; tags are
// a JSON object in resource_tags. It stands in for Parquet until the
// ingestion package's CUR 2.0 writer is wired in.
type CSVFormat struct{}

// Ext implements ExportFormat.
func (CSVFormat) Ext() string { return ".csv" }

// CUR2Columns are the columns CSVFormat writes, in order.
var CUR2Columns = []string{
	"bill_payer_account_id", "bill_payer_account_name", "bill_billing_period_start_date", "line_item_usage_account_id",
	"line_item_usage_account_name", "line_item_line_item_type", "line_item_usage_start_date", "line_item_usage_end_date",
	"line_item_product_code", "line_item_usage_type", "line_item_operation", "line_item_resource_id", "product_region_code",
	"line_item_availability_zone", "line_item_usage_amount", "pricing_unit", "line_item_unblended_rate", "line_item_unblended_cost",
	"pricing_public_on_demand_rate", "pricing_public_on_demand_cost", "pricing_term", "pricing_purchase_option",
	"product_product_family", "product_instance_type", "product_vcpu", "reservation_reservation_a_r_n",
	"reservation_effective_cost", "reservation_unused_quantity", "reservation_unused_recurring_fee",
	"line_item_line_item_description", "line_item_currency_code", "resource_tags",
}

type csvFile struct{ w *csv.Writer }

// NewFile implements ExportFormat.
func (CSVFormat) NewFile(w io.Writer) (ExportFile, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(CUR2Columns); err != nil {
		return nil, fmt.Errorf("write header: %w", err)
	}
	return &csvFile{w: cw}, nil
}

func (f *csvFile) Write(l *BillingLine) error {
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	tags, _ := json.Marshal(l.Tags)
	vcpu := ""
	if l.VCPU > 0 {
		vcpu = fmt.Sprint(l.VCPU)
	}
	return f.w.Write([]string{
		l.PayerAccountID, l.PayerAccountName, ts(l.BillingPeriod.Start().Time()), l.UsageAccountID, l.UsageAccountName,
		l.LineItemType, ts(l.Start), ts(l.End), l.ProductCode, l.UsageType, l.Operation, l.ResourceID, l.Region,
		l.AvailabilityZone, l.UsageAmount.String(), l.PricingUnit, l.UnblendedRate.String(), l.UnblendedCost.String(),
		l.PublicOnDemandRate.String(), l.PublicOnDemandCost.String(), l.PricingTerm, l.PurchaseOption, l.ProductFamily,
		l.InstanceType, vcpu, l.ReservationARN, l.ReservationEffectiveCost.String(), l.ReservationUnusedQuantity.String(),
		l.ReservationUnusedRecurringFee.String(), l.Description, "USD", string(tags),
	})
}

func (f *csvFile) Close() error {
	f.w.Flush()
	return f.w.Error()
}
