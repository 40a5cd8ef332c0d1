package cloud

import (
	"context"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// CostSource reads a connection's billing export: it lists the billing
// periods available and copies one period's manifest and data files to local
// files for the ingestion readers.
type CostSource interface {
	ListBillingPeriods(ctx context.Context, conn Connection) ([]BillingPeriod, error)
	// FetchBillingPeriod downloads the period's manifest and every data file
	// it names into dir (which must exist) and returns their local paths.
	FetchBillingPeriod(ctx context.Context, conn Connection, period valdrix.Month, dir string) (BillingFiles, error)
}

// Billing export formats.
const (
	FormatCUR2  = "cur2"  // AWS CUR 2.0 Data Export, Parquet
	FormatFOCUS = "focus" // FOCUS 1.x
	FormatAzure = "azure" // Azure Cost Management export (ActualCost or AmortizedCost), CSV or Parquet
	FormatGCP   = "gcp"   // GCP Cloud Billing export rows from BigQuery, as newline-delimited JSON
)

// BillingPeriod is one period of an export.
type BillingPeriod struct {
	Period       valdrix.Month
	Format       string
	ExportName   string
	ManifestKey  string // object key of the period's manifest
	LastModified time.Time
	FileCount    int
}

// BillingFiles are a period's files, downloaded.
type BillingFiles struct {
	BillingPeriod
	Manifest  string   // local path of the manifest
	DataFiles []string // local paths, in manifest order
}
