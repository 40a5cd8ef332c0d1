package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Config configures a Runner.
type Config struct {
	Inventory *inventory.Service
	Importer  *ingestion.Importer
	Adapters  cloud.Set
	Clock     valdrix.Clock
	Logger    *slog.Logger
	// TempDir holds downloaded exports while they are imported (default
	// the OS temporary directory).
	TempDir string
	// StaleAfter is how long after its start a scan recorded as running
	// is known to be dead (its job's timeout has long passed): the next
	// scan of the connection marks it interrupted. Default one hour, the
	// job runtime's default rescue delay.
	StaleAfter time.Duration
}

// Runner runs the pipeline for one connection at a time.
type Runner struct {
	inv      *inventory.Service
	importer *ingestion.Importer
	adapters cloud.Set
	clock    valdrix.Clock
	log      *slog.Logger
	tmp      string
	detector Detector
	metrics  Metrics
	stale    time.Duration
}

// New returns a Runner.
func New(cfg Config) (*Runner, error) {
	if cfg.Inventory == nil || cfg.Importer == nil {
		return nil, errors.New("scan: Inventory and Importer are required")
	}
	return &Runner{
		inv: cfg.Inventory, importer: cfg.Importer, adapters: cfg.Adapters,
		clock: cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{}),
		log:   cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		tmp:   cfg.TempDir, stale: cmp.Or(cfg.StaleAfter, time.Hour),
	}, nil
}

// IngestOpts selects billing periods to import.
type IngestOpts struct {
	// Periods to import; empty means the current month and the previous
	// one (a provider restates the previous month after it closes).
	Periods []valdrix.Month
	// Progress receives the readers' progress.
	Progress ingestion.Progress
}

// Ingest imports the connection's billing export for the chosen periods.
// Each period is its own import: one failing does not stop the others, and
// an unchanged delivery is a no-op.
func (r *Runner) Ingest(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string, opts IngestOpts) ([]ingestion.Import, error) {
	c, err := r.inv.GetConnection(ctx, actor, tenant, connection)
	if err != nil {
		return nil, err
	}
	a, ok := r.adapters[c.Provider]
	if !ok || a.Costs == nil {
		return nil, valdrix.Errorf(valdrix.ENOTIMPLEMENTED, "This Valdrix build cannot read %s billing exports.", c.Provider)
	}
	cc, err := r.inv.CloudConnection(ctx, c)
	if err != nil {
		return nil, err
	}
	available, err := a.Costs.ListBillingPeriods(ctx, cc)
	if err != nil {
		return nil, err
	}
	want := opts.Periods
	if len(want) == 0 {
		now := valdrix.MonthOf(r.clock.Now())
		want = []valdrix.Month{now - 1, now}
	}
	var imports []ingestion.Import
	var errs []error
	for _, bp := range available {
		if !slices.Contains(want, bp.Period) {
			continue
		}
		imp, err := r.ingestPeriod(ctx, a.Costs, cc, bp, opts)
		if imp.ID != "" {
			imports = append(imports, imp)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("billing period %s: %w", bp.Period, err))
		}
	}
	if len(imports) == 0 && len(errs) == 0 {
		return nil, valdrix.Errorf(valdrix.ENOTFOUND, "The connection's export has none of the billing periods %v yet.", want)
	}
	return imports, errors.Join(errs...)
}

func (r *Runner) ingestPeriod(ctx context.Context, costs cloud.CostSource, cc cloud.Connection, bp cloud.BillingPeriod, opts IngestOpts) (ingestion.Import, error) {
	dir, err := os.MkdirTemp(r.tmp, "valdrix-export-*")
	if err != nil {
		return ingestion.Import{}, fmt.Errorf("make a download directory: %w", err)
	}
	defer os.RemoveAll(dir) //nolint:errcheck // best effort
	files, err := costs.FetchBillingPeriod(ctx, cc, bp.Period, dir)
	if err != nil {
		return ingestion.Import{}, err
	}
	pf := ingestion.PeriodFiles{Period: bp.Period, Format: ingestion.Format(files.Format)}
	if files.Manifest != "" {
		b, err := os.ReadFile(files.Manifest)
		if err != nil {
			return ingestion.Import{}, fmt.Errorf("read manifest: %w", err)
		}
		m, err := ingestion.ParseManifest(files.ManifestKey, b)
		if err != nil {
			return ingestion.Import{}, err
		}
		pf.Manifest = m
	}
	for _, f := range files.DataFiles {
		pf.Files = append(pf.Files, ingestion.LocalFile(f))
		if st, err := os.Stat(f); err == nil {
			pf.Bytes += st.Size()
		}
	}
	format := pf.Format
	if format == "" {
		format = ingestion.FormatAuto
	}
	return r.importer.Import(ctx, ingestion.ImportRequest{
		Tenant: cc.TenantID, Source: cc.ID, Files: pf, Format: format, Actor: "connection:" + cc.ID,
		Read: ingestion.ReadOptions{Progress: opts.Progress},
	})
}
