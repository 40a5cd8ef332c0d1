package scan_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestScanJob runs a scan through the job runtime: asking twice gives one
// job, the job imports and discovers, and the scan record shows its stages.
func TestScanJob(t *testing.T) {
	t.Parallel()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, open)
			jc := jobs.Config{CurrentTx: b.db.Tx, Alerts: b.db, Logger: slog.New(slog.DiscardHandler), Work: true, MaxWorkers: 2, TestMode: true,
				RescueAfter: time.Hour, StuckAfter: time.Hour}
			if pool := b.db.Pool(); pool != nil {
				jc.Postgres = pool
			} else {
				jc.SQLite, jc.SQLiteRead = b.db.SQLite().Write, b.db.SQLite().Read
			}
			rt, err := jobs.New(jc)
			require.NoError(t, err)
			require.NoError(t, b.runner.RegisterJobs(rt, b.db))
			events, stop := rt.Subscribe()
			defer stop()
			require.NoError(t, rt.Start(ctx))
			t.Cleanup(func() { _ = rt.Stop(context.Background()) })

			now := b.sim.Estate().Now
			// A discovery whose process was killed two hours ago.
			dead := inventory.Scan{ID: valdrix.NewID(), TenantID: b.tenant, ConnectionID: b.conn.ID, Kind: "discover",
				Status: inventory.ScanRunning, StartedAt: now.Add(-2 * time.Hour)}
			require.NoError(t, b.db.CreateScan(ctx, dead))
			first, err := scan.Enqueue(ctx, rt, b.tenant, b.conn.ID, now)
			require.NoError(t, err)
			second, err := scan.Enqueue(ctx, rt, b.tenant, b.conn.ID, now)
			require.NoError(t, err)
			require.Equal(t, first.ID, second.ID, "asking twice gives one job")

			deadline := time.After(2 * time.Minute)
			for done := false; !done; {
				select {
				case e := <-events:
					if e.Job.ID == first.ID {
						require.Equal(t, jobs.EventCompleted, e.Kind, "%+v", e.Job.Errors)
						done = true
					}
				case <-deadline:
					t.Fatal("the scan job did not finish")
				}
			}
			scans, _, err := b.inv.ListScans(ctx, governance.SystemActor("t"), b.tenant, b.conn.ID, governance.Page{Limit: 10})
			require.NoError(t, err)
			var run *inventory.Scan
			for i := range scans {
				if scans[i].Kind == "scan" {
					run = &scans[i]
				}
			}
			require.NotNil(t, run, "the scan is recorded")
			gotDead, err := b.db.GetScan(ctx, b.tenant, dead.ID)
			require.NoError(t, err)
			require.Equal(t, inventory.ScanFailed, gotDead.Status, "a scan left running by a dead process is marked")
			require.Equal(t, inventory.ScanInterrupted, gotDead.Error)
			require.Equal(t, inventory.ScanSucceeded, run.Status, run.Error)
			names := []string{}
			for _, st := range run.Stages {
				names = append(names, st.Name+"="+st.Status)
			}
			require.Equal(t, []string{"ingest=ok", "discover=ok", "detect=ok"}, names)
			found, _, err := b.opt.ListFindings(ctx, sys, b.tenant, optimization.Filter{}, governance.Page{Limit: 5})
			require.NoError(t, err)
			require.NotEmpty(t, found, "the scan job's detection stored findings")
		})
	}
}
