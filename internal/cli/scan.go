package cli

import (
	"fmt"
	"os"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type scanCmd struct {
	Tenant     string `name:"tenant" help:"Tenant id (with --connection)."`
	Connection string `name:"connection" help:"Connection id: scan this connection of --tenant."`
	Async      bool   `name:"async" help:"Enqueue the scan for the workers and return its job id."`
	Sim        bool   `name:"sim" help:"One shot, no server, nothing kept: scan a simulated AWS, Azure and GCP estate in a temporary database and print its findings."`
	Seed       int64  `name:"seed" default:"1" help:"With --sim: the estate's seed (the same seed gives the same estate)."`
	Resources  int    `name:"resources" default:"300" help:"With --sim: the number of simulated resources."`
	findingFormat
}

func (c scanCmd) Run(rc *runCtx) error {
	if c.Sim {
		if c.Tenant != "" || c.Connection != "" || c.Async {
			return valdrix.FieldError("--sim", "scans its own simulated estate: leave out --tenant, --connection and --async")
		}
		return c.runSim(rc)
	}
	if c.Tenant == "" || c.Connection == "" {
		return valdrix.FieldError("--connection", "give --tenant and --connection, or --sim")
	}
	tenant, err := tenantFlag{Tenant: c.Tenant}.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	if c.Async {
		res, err := scan.Enqueue(rc, core.Jobs, tenant, c.Connection, core.Clock.Now())
		if err != nil {
			return err
		}
		if c.Output == "json" {
			return writeJSON(rc.env.Stdout, res)
		}
		note := ""
		if res.Duplicate {
			note = " (already queued)"
		}
		fmt.Fprintf(rc.env.Stdout, "job %d %s%s\n", res.ID, res.State, note)
		return nil
	}
	fmt.Fprintln(rc.env.Stderr, "scanning…")
	run, err := core.Scan.Run(rc, cliActor, tenant, c.Connection)
	if run.ID == "" {
		return err
	}
	if c.Output == "table" {
		printRun(rc, run)
		fmt.Fprintln(rc.env.Stdout)
	} else {
		printStages(rc, run)
	}
	recs, sum, ferr := collectFindings(rc, core, tenant, optimization.Filter{Connection: c.Connection,
		Statuses: []optimization.Status{optimization.StatusOpen}, Sort: optimization.SortSavings, Desc: true}, 0)
	if ferr != nil {
		return ferr
	}
	if perr := printFindings(rc.env.Stdout, c.Output, recs, sum, nil); perr != nil {
		return perr
	}
	return err
}

// runSim scans a simulated estate end to end in a temporary database.
func (c scanCmd) runSim(rc *runCtx) error {
	dir, err := os.MkdirTemp("", "valdrix-scan-sim-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir) //nolint:errcheck // best effort
	env, err := startSimEnv(rc, app.SimConfig{Seed: c.Seed, Resources: c.Resources}, dir, false, true)
	if err != nil {
		return err
	}
	defer env.close() //nolint:errcheck
	for i, conn := range env.conns {
		fmt.Fprintf(rc.env.Stderr, "[%d/%d] scanning %s…\n", i+1, len(env.conns), conn.Name)
		run, err := env.core.Scan.Run(rc, cliActor, env.tenant, conn.ID)
		if err != nil {
			return fmt.Errorf("scan of %s: %w", conn.Name, err)
		}
		if run.Status != inventory.ScanSucceeded {
			fmt.Fprintf(rc.env.Stderr, "  %s: %s\n", run.Status, run.Error)
		}
	}
	recs, sum, err := collectFindings(rc, env.core, env.tenant, optimization.Filter{
		Statuses: []optimization.Status{optimization.StatusOpen}, Sort: optimization.SortSavings, Desc: true}, 0)
	if err != nil {
		return err
	}
	truth := env.compare(recs)
	return printFindings(rc.env.Stdout, c.Output, recs, sum, &truth)
}

func printRun(rc *runCtx, run inventory.Scan) {
	rows := make([][]string, len(run.Stages))
	for i, st := range run.Stages {
		rows[i] = []string{st.Name, st.Status, orDash(st.Detail), orDash(st.Error)}
	}
	_ = writeTable(rc.env.Stdout, []string{"STAGE", "STATUS", "DETAIL", "ERROR"}, rows)
	fmt.Fprintf(rc.env.Stdout, "\nscan %s: %s\n", run.ID, run.Status)
}

// printStages reports a scan's stages on stderr (stdout carries the data).
func printStages(rc *runCtx, run inventory.Scan) {
	for _, st := range run.Stages {
		fmt.Fprintf(rc.env.Stderr, "%s: %s %s %s\n", st.Name, st.Status, st.Detail, st.Error)
	}
	fmt.Fprintf(rc.env.Stderr, "scan %s: %s\n", run.ID, run.Status)
}
