package cli

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type demoCmd struct {
	Seed      int64         `name:"seed" default:"1" help:"The simulated estate's seed (the same seed gives the same estate)."`
	Resources int           `name:"resources" default:"300" help:"Number of simulated resources over AWS, Azure and GCP."`
	Dir       string        `name:"dir" type:"path" help:"Keep the demo's database and keys here (default: a temporary directory, removed on exit)."`
	Addr      string        `name:"addr" default:"127.0.0.1:8080" help:"Address to serve on; when it is taken a free port is used."`
	Email     string        `name:"email" default:"demo@valdrix.dev" help:"The demo admin's login."`
	NoServe   bool          `name:"no-serve" help:"Print the summary and exit instead of serving."`
	Timeout   time.Duration `name:"timeout" default:"5m" help:"Give up if the scans have not finished after this long."`
	output
}

// demoSummary is what the demo reports once its scans are done.
type demoSummary struct {
	URL          string               `json:"url,omitempty"`
	Email        string               `json:"email"`
	Password     string               `json:"password"`
	APIKey       string               `json:"api_key"`
	TenantID     valdrix.TenantID     `json:"tenant_id"`
	DataDir      string               `json:"data_dir"`
	Connections  int                  `json:"connections"`
	Resources    int64                `json:"resources"`
	ScansFailed  int                  `json:"scans_failed"`
	Summary      optimization.Summary `json:"findings"`
	GroundTruth  truthReport          `json:"ground_truth"`
	Seconds      float64              `json:"seconds"`
	TopFindings  []demoFinding        `json:"top_findings"`
	ProvidersRun []string             `json:"providers"`
}

type demoFinding struct {
	Title          string `json:"title"`
	Resource       string `json:"resource"`
	MonthlySavings string `json:"monthly_savings"`
}

func (c demoCmd) Run(rc *runCtx) error {
	start := time.Now()
	dir, temp := c.Dir, c.Dir == ""
	if temp {
		d, err := os.MkdirTemp("", "valdrix-demo-*")
		if err != nil {
			return err
		}
		dir = d
		defer os.RemoveAll(dir) //nolint:errcheck // best effort
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	rc.cfg.HTTPAddr = c.Addr
	if rc.cfg.LogLevel == "info" {
		rc.cfg.LogLevel = "warn" // the demo prints its own progress
	}
	env, err := startSimEnv(rc, app.SimConfig{Seed: c.Seed, Resources: c.Resources}, dir, true, temp)
	if err != nil {
		return err
	}
	defer env.close() //nolint:errcheck
	core := env.core

	password := randomPassword()
	u, err := core.Governance.CreateUser(rc, cliActor, c.Email, "Demo admin", password)
	if err != nil {
		return err
	}
	if _, err := core.Governance.AddMember(rc, cliActor, env.tenant, u.ID, valdrix.RoleOwner); err != nil {
		return err
	}
	_, key, err := core.Governance.CreateAPIKey(rc, cliActor, env.tenant, "demo", valdrix.RoleAdmin, nil)
	if err != nil {
		return err
	}

	// Serve (which starts the workers), or only work jobs.
	ctx, cancel := context.WithCancel(rc)
	defer cancel()
	events, stop := core.Jobs.Subscribe()
	defer stop()
	var a *app.App
	served := make(chan error, 1)
	if c.NoServe {
		if err := core.Jobs.Start(ctx); err != nil {
			return err
		}
	} else {
		if a, err = app.New(ctx, core, rc.build); err != nil {
			return err
		}
		if _, err := a.Listen(); err != nil {
			// The usual port is taken: any free one will do for a demo.
			core.Config.HTTPAddr = "127.0.0.1:0"
			if _, err := a.Listen(); err != nil {
				return err
			}
		}
		go func() { served <- a.Run(ctx) }()
	}

	// The whole pipeline runs through the job system: one scan job per
	// connection (import, discover, detect), waited for.
	pending := map[int64]string{}
	for _, conn := range env.conns {
		res, err := scan.Enqueue(ctx, core.Jobs, env.tenant, conn.ID, core.Clock.Now())
		if err != nil {
			return err
		}
		pending[res.ID] = conn.Name
	}
	fmt.Fprintf(rc.env.Stderr, "scanning %d connections through the job system…\n", len(pending))
	failed, err := awaitJobs(ctx, rc.env.Stderr, events, pending, c.Timeout, served)
	if err != nil {
		return err
	}

	sum := demoSummary{Email: c.Email, Password: password, APIKey: key, TenantID: env.tenant, Connections: len(env.conns), ScansFailed: failed}
	if !temp {
		sum.DataDir = dir
	}
	if err := fillDemoSummary(rc, env, &sum); err != nil {
		return err
	}
	sum.Seconds = time.Since(start).Seconds()
	if a != nil {
		sum.URL = a.URL()
	}
	if c.json() {
		if err := writeJSON(rc.env.Stdout, sum); err != nil {
			return err
		}
	} else {
		printDemo(rc.env.Stdout, sum, temp)
	}
	if c.NoServe {
		return nil
	}
	if rc.env.Ready != nil {
		rc.env.Ready(a.URL())
	}
	return <-served
}

// awaitJobs waits for every pending job to end, printing each, and returns
// how many did not complete.
func awaitJobs(ctx context.Context, w io.Writer, events <-chan jobs.Event, pending map[int64]string, timeout time.Duration, served <-chan error) (int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	failed := 0
	for len(pending) > 0 {
		select {
		case e, ok := <-events:
			if !ok {
				return failed, errors.New("the job runtime stopped")
			}
			name, mine := pending[e.Job.ID]
			if !mine || (e.Kind == jobs.EventFailed && e.Job.State != jobs.StateDiscarded) || e.Kind == jobs.EventSnoozed {
				continue // not ours, or it will be retried
			}
			delete(pending, e.Job.ID)
			if e.Kind != jobs.EventCompleted {
				failed++
				fmt.Fprintf(w, "  %s: %s %s\n", name, e.Kind, lastError(e.Job))
				continue
			}
			fmt.Fprintf(w, "  %s: done\n", name)
		case err := <-served:
			return failed, fmt.Errorf("the server stopped: %w", err)
		case <-deadline.C:
			return failed, valdrix.Errorf(valdrix.EUNAVAILABLE, "%d scans did not finish within %s", len(pending), timeout)
		case <-ctx.Done():
			return failed, ctx.Err()
		}
	}
	return failed, nil
}

func fillDemoSummary(rc *runCtx, env *simEnv, sum *demoSummary) error {
	core := env.core
	for _, conn := range env.conns {
		counts, err := core.Inventory.CountResources(rc, cliActor, env.tenant, conn.ID)
		if err != nil {
			return err
		}
		for _, c := range counts {
			sum.Resources += c.Count
		}
		if !slices.Contains(sum.ProvidersRun, string(conn.Provider)) {
			sum.ProvidersRun = append(sum.ProvidersRun, string(conn.Provider))
		}
	}
	recs, s, err := collectFindings(rc, core, env.tenant, optimization.Filter{
		Statuses: []optimization.Status{optimization.StatusOpen}, Sort: optimization.SortSavings, Desc: true}, 0)
	if err != nil {
		return err
	}
	sum.Summary, sum.GroundTruth = s, env.compare(recs)
	for _, r := range recs[:min(3, len(recs))] {
		sum.TopFindings = append(sum.TopFindings, demoFinding{Title: r.Title, Resource: cmpOr(r.ResourceName, r.ResourceID),
			MonthlySavings: moneyCell(r.MonthlySavings, true) + " " + r.MonthlySavings.Currency})
	}
	return nil
}

func printDemo(w io.Writer, s demoSummary, temp bool) {
	open := s.Summary.ByStatus[optimization.StatusOpen]
	money := "no priced savings"
	kg := "unknown"
	if len(s.Summary.Totals) > 0 {
		t := s.Summary.Totals[0]
		money = fmt.Sprintf("$%s/month of savings (on $%s/month of cost)", thousands(t.MonthlySavings.StringFixed(2)), thousands(t.MonthlyCost.StringFixed(2)))
		kg = t.KgCO2ePerMonth.StringFixed(1)
	}
	fmt.Fprintf(w, "\nValdrix demo ready in %.1f s.\n\n", s.Seconds)
	fmt.Fprintf(w, "Valdrix connected %d simulated accounts across %s, inventoried %d resources from their APIs, imported their billing exports "+
		"and found %d pieces of waste worth %s and %s kgCO2e/month, each priced from the resource's own billed cost. "+
		"It found %d of the simulator's %d seeded waste items (%d findings were not seeded); %d scans failed.\n",
		s.Connections, providerNames(s.ProvidersRun), s.Resources, open, money, kg,
		s.GroundTruth.Found, s.GroundTruth.Seeded, s.GroundTruth.Extra, s.ScansFailed)
	if len(s.TopFindings) > 0 {
		fmt.Fprintln(w, "\nLargest:")
		for _, f := range s.TopFindings {
			fmt.Fprintf(w, "  %-14s %s — %s\n", f.MonthlySavings, f.Title, f.Resource)
		}
	}
	fmt.Fprintln(w)
	if s.URL != "" {
		fmt.Fprintf(w, "API:      %s/api/v1/findings   (OpenAPI: %s/api/v1/openapi.json)\n", s.URL, s.URL)
		fmt.Fprintf(w, "Login:    %s / %s   (POST %s/api/v1/auth/login)\n", s.Email, s.Password, s.URL)
		fmt.Fprintf(w, "API key:  %s\n", s.APIKey)
		fmt.Fprintf(w, "Try:      curl -s -H 'Authorization: Bearer %s' '%s/api/v1/findings?limit=5'\n", s.APIKey, s.URL)
	}
	if temp {
		fmt.Fprintln(w, "The demo's data is temporary: it is removed when the demo stops (--dir keeps it).")
	} else {
		fmt.Fprintf(w, "Data: %s\n", s.DataDir)
	}
	if s.URL != "" {
		fmt.Fprintln(w, "Press Ctrl-C to stop.")
	}
}

// randomPassword returns a fresh demo password.
func randomPassword() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	return "demo-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// thousands groups the digits of a decimal's whole part: "5118.07" →
// "5,118.07".
func thousands(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	sign := ""
	if strings.HasPrefix(whole, "-") {
		sign, whole = "-", whole[1:]
	}
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		return sign + b.String() + "." + frac
	}
	return sign + b.String()
}

// providerNames lists providers as people write them: "AWS, Azure, GCP".
func providerNames(ps []string) string {
	names := map[string]string{"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = cmpOr(names[p], p)
	}
	return strings.Join(out, ", ")
}
