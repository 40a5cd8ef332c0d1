package cli_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestAcceptanceChaos is the chaos run of scripts/acceptance/jobs.sh: the
// simulated estate's scans, enqueued through the daily planner (jobs plan
// --due-now), run by the job system while the simulator throttles EC2 and
// has a region down. Every scan job must complete with partial results and
// recorded errors, none past its timeout. It runs only with
// VALDRIX_ACCEPTANCE=1 (it takes about a minute); on PostgreSQL when
// VALDRIX_TEST_PG_DSN is set, else SQLite.
func TestAcceptanceChaos(t *testing.T) {
	if os.Getenv("VALDRIX_ACCEPTANCE") != "1" {
		t.Skip("acceptance run: set VALDRIX_ACCEPTANCE=1 (scripts/acceptance/jobs.sh chaos)")
	}
	ctx := context.Background()
	sim, err := app.StartSimulation(ctx, app.SimConfig{Seed: 7, Resources: 400}, time.Now())
	require.NoError(t, err)
	defer sim.Close() //nolint:errcheck
	const jobTimeout = time.Minute
	cfg := app.Config{DataDir: t.TempDir(), AutoMigrate: true, MaxDBConns: 8, HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second,
		SessionTTL: time.Hour, LogLevel: "info", LogFormat: "text", ScanTimeout: 20 * time.Second, JobWorkers: 10,
		JobTimeouts:    []string{"valdrix.scan=1m", "valdrix.ingest=1m", "valdrix.discover=1m", "valdrix.detect=1m"},
		JobRescueAfter: 2 * jobTimeout, JobStuckAfter: time.Hour, CloudAPIDailyBudget: 3000}
	db := "sqlite"
	if os.Getenv("VALDRIX_TEST_PG_DSN") != "" {
		db = "postgres"
		urls := storetest.NewPGDatabase(t)
		cfg.DatabaseURL, cfg.MigrateDatabaseURL = urls.App, urls.Owner
	}
	sim.Apply(&cfg)
	core, err := app.OpenCore(ctx, cfg, slog.New(slog.DiscardHandler), app.Options{Work: true})
	require.NoError(t, err)
	defer core.Close() //nolint:errcheck
	actor := governance.SystemActor("acceptance")
	tenant, err := core.Governance.CreateTenant(ctx, actor, "Chaos")
	require.NoError(t, err)
	conns, err := sim.Connect(ctx, core, actor, tenant.ID)
	require.NoError(t, err)

	// Faults after connecting (the connection tests would fail otherwise):
	// EC2 throttles its next 300 requests (the SDK retries, some give up),
	// and one region of each cloud is down.
	faults := sim.Sim.Faults()
	throttle := faults.Add(cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "ec2", Times: 300})
	var down []int
	for _, region := range []string{"us-west-2", "eu-west-1", "westeurope", "europe-west1"} {
		down = append(down, faults.Add(cloudsim.Fault{Kind: cloudsim.FaultDown, Region: region}))
	}
	require.NoError(t, core.Jobs.Start(ctx))

	start := time.Now()
	today := valdrix.DateOf(core.Clock.Now()).String()
	plan, err := core.Jobs.PlanWith(ctx, "daily_scans", jobs.PlanOpts{DueNow: true})
	require.NoError(t, err)
	require.Equal(t, len(conns), plan.Enqueued+plan.BroughtForward, "%+v", plan)

	// Poll (deadline: the jobs' timeout plus margin) until every scan job
	// is finalized.
	var scans []jobs.Info
	deadline := time.Now().Add(jobTimeout + 30*time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		all, _, err := core.Jobs.List(ctx, jobs.ListFilter{Kinds: []string{"valdrix.scan"}, Limit: 500})
		require.NoError(t, err)
		// Today's scans: the planner has also planned tomorrow's.
		scans = scans[:0]
		for _, j := range all {
			if strings.HasSuffix(j.Key, "/"+today) {
				scans = append(scans, j)
			}
		}
		done := 0
		for _, j := range scans {
			if j.FinalizedAt != nil {
				done++
			}
		}
		if done == len(conns) && len(scans) == len(conns) {
			break
		}
		if !time.Now().Before(deadline) {
			for _, j := range scans {
				t.Logf("job %d %s state %s attempt %d errors %v", j.ID, j.Key, j.State, j.Attempt, j.Errors)
			}
			for _, c := range conns {
				runs, _, _ := core.Inventory.ListScans(ctx, actor, tenant.ID, c.ID, governance.Page{Limit: 3})
				for _, r := range runs {
					t.Logf("%s: %s %s %s stages %+v", c.Name, r.Kind, r.Status, r.Error, r.Stages)
				}
			}
			t.Fatalf("scans still unfinished after %s: %d of %d", time.Since(start), done, len(scans))
		}
		<-tick.C
	}
	wall := time.Since(start)
	var longest time.Duration
	for _, j := range scans {
		require.Equal(t, jobs.StateCompleted, j.State, "scan job %d (%s): %v", j.ID, j.Key, j.Errors)
		require.NotNil(t, j.AttemptedAt)
		took := j.FinalizedAt.Sub(*j.AttemptedAt)
		require.Less(t, took, jobTimeout, "scan job %d ran past its timeout", j.ID)
		longest = max(longest, took)
	}
	partial, withErrors, stageErrors := 0, 0, map[string]int{}
	for _, c := range conns {
		runs, _, err := core.Inventory.ListScans(ctx, actor, tenant.ID, c.ID, governance.Page{Limit: 10})
		require.NoError(t, err)
		var run *struct{ status, err string }
		for _, r := range runs {
			if r.Kind == "scan" {
				run = &struct{ status, err string }{string(r.Status), r.Error}
				for _, st := range r.Stages {
					if st.Error != "" {
						stageErrors[st.Name]++
					}
				}
				break
			}
		}
		require.NotNil(t, run, "connection %s has a scan record", c.Name)
		require.NotEqual(t, "running", run.status, "connection %s: no scan is left running", c.Name)
		if run.status == "partial" {
			partial++
		}
		if run.err != "" {
			withErrors++
		} else {
			// Cloud Asset Inventory is global: a GCP region that is down
			// does not touch it.
			require.Equal(t, valdrix.GCP, c.Provider, "connection %s met the faults but recorded no error", c.Name)
		}
	}
	hits := faults.Hits(throttle)
	for _, id := range down {
		hits += faults.Hits(id)
	}
	t.Logf("acceptance chaos (%s): %d connections, %d resources; %d scan jobs completed in %s (longest %s, timeout %s)",
		db, len(conns), len(sim.Sim.Estate().Resources), len(scans), wall.Round(time.Millisecond), longest.Round(time.Millisecond), jobTimeout)
	t.Logf("figure: scans partial %d of %d, with recorded errors %d; stage errors %v; faults hit %d times (EC2 throttled %d)",
		partial, len(conns), withErrors, stageErrors, hits, faults.Hits(throttle))
	require.Positive(t, hits, "the faults were hit")
	require.Positive(t, withErrors, "the scans recorded the faults they met")
}
