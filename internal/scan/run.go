package scan

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Detector finds waste for a connection from its ledger and inventory
// (optimization does); the scan's last stage.
type Detector interface {
	Detect(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string) (optimization.RunSummary, error)
}

// Metrics receives scan outcomes (the job runtime's pipeline metrics).
type Metrics interface {
	ObserveScan(provider, outcome string, d time.Duration)
	AddFindings(status string, n int)
}

// SetDetector installs the detection stage.
func (r *Runner) SetDetector(d Detector) { r.detector = d }

// SetMetrics installs the pipeline metrics.
func (r *Runner) SetMetrics(m Metrics) { r.metrics = m }

// Run scans a connection: import its billing export, discover its
// resources, detect waste. Each stage runs even if an earlier one failed
// (detection works on whatever the ledger and inventory hold), and the scan
// records every stage's outcome. A stage that fails makes the scan partial,
// not failed, unless all do.
func (r *Runner) Run(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string) (inventory.Scan, error) {
	c, err := r.inv.GetConnection(ctx, actor, tenant, connection)
	if err != nil {
		return inventory.Scan{}, err
	}
	if n, err := r.inv.InterruptStale(ctx, tenant, connection, r.clock.Now().Add(-r.stale)); err != nil {
		return inventory.Scan{}, err
	} else if n > 0 {
		r.log.WarnContext(ctx, "scans left running by a stopped process marked interrupted", "tenant_id", string(tenant),
			"connection_id", connection, "scans", n)
	}
	run, err := r.inv.BeginRun(ctx, tenant, connection)
	if err != nil {
		return inventory.Scan{}, err
	}
	start := r.clock.Now()
	stage := func(name string, fn func() (string, string, error)) {
		t0 := r.clock.Now()
		status, detail, err := fn()
		st := inventory.Stage{Name: name, Status: status, Detail: detail, Duration: r.clock.Now().Sub(t0)}
		if err != nil {
			st.Error = valdrix.ErrorMessage(err)
			if valdrix.ErrorCode(err) == valdrix.EINTERNAL {
				r.log.ErrorContext(ctx, "scan stage", "stage", name, "tenant_id", string(tenant), "connection_id", connection, "error", err)
			}
		}
		run.Stages = append(run.Stages, st)
	}

	stage("ingest", func() (string, string, error) {
		a, ok := r.adapters[c.Provider]
		if !ok || a.Costs == nil || !hasExport(c) {
			return "skipped", "the connection has no billing export configured", nil
		}
		imports, err := r.Ingest(ctx, actor, tenant, connection, IngestOpts{})
		var parts []string
		for _, imp := range imports {
			parts = append(parts, fmt.Sprintf("%s %s (%d rows)", imp.BillingPeriod, imp.Status, imp.RowsRead))
		}
		switch {
		case err != nil && len(imports) == 0:
			return "failed", "", err
		case err != nil:
			return "partial", strings.Join(parts, ", "), err
		}
		return "ok", strings.Join(parts, ", "), nil
	})
	stage("discover", func() (string, string, error) {
		sc, err := r.inv.Discover(ctx, actor, tenant, connection, cloud.DiscoverOpts{})
		run.Report, run.Resources = sc.Report, sc.Resources
		detail := fmt.Sprintf("%d resources (scan %s)", sc.Resources, sc.ID)
		switch sc.Status {
		case inventory.ScanSucceeded:
			return "ok", detail, nil
		case inventory.ScanPartial:
			return "partial", detail, errors.Join(err, errors.New(failedItems(sc.Report)))
		}
		return "failed", detail, err
	})
	stage("detect", func() (string, string, error) {
		if r.detector == nil {
			return "skipped", "no detector in this build", nil
		}
		sum, err := r.detector.Detect(ctx, actor, tenant, connection)
		if err != nil {
			return "failed", "", err
		}
		if r.metrics != nil {
			r.metrics.AddFindings("new", sum.New)
			r.metrics.AddFindings("reopened", sum.Reopened)
			r.metrics.AddFindings("resolved", sum.Resolved)
		}
		return "ok", fmt.Sprintf("%d open findings (%d new, %d reopened), %d resolved, %d undecided", sum.Open, sum.New, sum.Reopened, sum.Resolved, sum.Undecided), nil
	})

	run.Status = outcome(run.Stages)
	var errs []string
	for _, st := range run.Stages {
		if st.Error != "" {
			errs = append(errs, st.Name+": "+st.Error)
		}
	}
	run.Error = strings.Join(errs, "; ")
	if err := r.inv.EndRun(ctx, run); err != nil {
		return run, err
	}
	if r.metrics != nil {
		r.metrics.ObserveScan(string(c.Provider), map[inventory.ScanStatus]string{
			inventory.ScanSucceeded: "ok", inventory.ScanPartial: "partial", inventory.ScanFailed: "failed"}[run.Status], r.clock.Now().Sub(start))
	}
	if run.Status == inventory.ScanFailed {
		return run, valdrix.Errorf(valdrix.EUNAVAILABLE, "The scan failed: %s", run.Error)
	}
	return run, nil
}

func hasExport(c inventory.Connection) bool {
	switch {
	case c.AWS != nil:
		return c.AWS.ExportBucket != ""
	case c.Azure != nil:
		return c.Azure.StorageAccount != ""
	case c.GCP != nil:
		return c.GCP.BillingTable != ""
	}
	return false
}

func failedItems(rep cloud.DiscoveryReport) string {
	var parts []string
	for _, it := range rep.Failed() {
		p := fmt.Sprintf("%s/%s %s", it.Region, it.Service, it.Status)
		if it.MissingPermission != "" {
			p += " (missing " + it.MissingPermission + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// outcome is failed when every stage that ran failed, partial when some
// did, succeeded otherwise.
func outcome(stages []inventory.Stage) inventory.ScanStatus {
	ran, failed, partial := 0, 0, 0
	for _, st := range stages {
		switch st.Status {
		case "skipped":
			continue
		case "failed":
			failed++
		case "partial":
			partial++
		}
		ran++
	}
	switch {
	case ran > 0 && failed == ran:
		return inventory.ScanFailed
	case failed > 0 || partial > 0:
		return inventory.ScanPartial
	}
	return inventory.ScanSucceeded
}
