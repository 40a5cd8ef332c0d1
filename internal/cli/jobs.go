package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type jobsCmd struct {
	List   jobsListCmd   `cmd:"" help:"List jobs of every tenant, newest first."`
	Show   jobsShowCmd   `cmd:"" help:"Show a job, with its arguments and errors."`
	Cancel jobsCancelCmd `cmd:"" help:"Cancel a job: a waiting one at once, a running one through its context; it is not retried."`
	Retry  jobsRetryCmd  `cmd:"" help:"Run a failed, cancelled or finished job again now (or a waiting one without waiting)."`
	Alerts jobsAlertsCmd `cmd:"" help:"List stuck-job alerts (jobs waiting or running far too long)."`
	Plan   jobsPlanCmd   `cmd:"" help:"Run a daily spread's planner now from this process (--due-now: run today's jobs now)."`
}

type jobsPlanCmd struct {
	output
	Spread string `name:"spread" default:"daily_scans" help:"The daily spread to plan."`
	DueNow bool   `name:"due-now" help:"Enqueue each item's job for today to run now instead of at its slot, with the same unique key (<item>/<day>), so the regular planner never adds a second one; today's jobs planned for later are brought forward. For catching up after an outage."`
}

func (c jobsPlanCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	res, err := core.Jobs.PlanWith(rc, c.Spread, jobs.PlanOpts{DueNow: c.DueNow})
	if err != nil {
		if valdrix.ErrorCode(err) == valdrix.ENOTFOUND {
			return valdrix.FieldError("spread", "no daily spread named %q (spreads: %s)", c.Spread, strings.Join(core.Jobs.Spreads(), ", "))
		}
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, res)
	}
	when := "at their slots"
	if res.DueNow {
		when = "to run now"
	}
	fmt.Fprintf(rc.env.Stdout, "%s: %d items, %d jobs enqueued %s, %d duplicates", res.Spread, res.Items, res.Enqueued, when, res.Duplicates)
	if res.DueNow {
		fmt.Fprintf(rc.env.Stdout, " (%d brought forward to now)", res.BroughtForward)
	}
	fmt.Fprintln(rc.env.Stdout)
	return nil
}

type jobsListCmd struct {
	output
	Tenant string   `name:"tenant" help:"Only this tenant's jobs."`
	Kind   []string `name:"kind" help:"Only jobs of these kinds (comma-separated)."`
	State  []string `name:"state" help:"Only jobs in these states: available, scheduled, running, retryable, completed, cancelled, discarded, pending."`
	Limit  int      `name:"limit" default:"50" help:"Jobs per page (1–500)."`
	Cursor string   `name:"cursor" help:"Page after this cursor (printed after a full page)."`
}

func (c jobsListCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	f := jobs.ListFilter{Tenant: valdrix.TenantID(c.Tenant), Kinds: c.Kind, Limit: c.Limit, Cursor: c.Cursor}
	for _, s := range c.State {
		f.States = append(f.States, jobs.State(s))
	}
	list, next, err := core.Jobs.List(rc, f)
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, map[string]any{"items": nonNil(list), "next_cursor": next})
	}
	rows := make([][]string, len(list))
	for i, j := range list {
		rows[i] = []string{strconv.FormatInt(j.ID, 10), j.Kind, string(j.State), fmt.Sprintf("%d/%d", j.Attempt, j.MaxAttempts),
			string(j.Tenant), j.Key, stamp(&j.ScheduledAt), stamp(j.AttemptedAt), stamp(j.FinalizedAt), lastError(j)}
	}
	if err := writeTable(rc.env.Stdout, []string{"ID", "KIND", "STATE", "ATTEMPT", "TENANT", "KEY", "SCHEDULED", "ATTEMPTED", "FINISHED", "LAST ERROR"}, rows); err != nil {
		return err
	}
	if next != "" {
		fmt.Fprintf(rc.env.Stdout, "more: --cursor %s\n", next)
	}
	return nil
}

type jobID struct {
	ID int64 `arg:"" help:"The job's id."`
}

type jobsShowCmd struct {
	output
	jobID
}

func (c jobsShowCmd) Run(rc *runCtx) error {
	return rc.jobAction(c.output, func(rt *jobs.Runtime) (jobs.Info, error) { return rt.Get(rc, "", c.ID) })
}

type jobsCancelCmd struct {
	output
	jobID
}

func (c jobsCancelCmd) Run(rc *runCtx) error {
	return rc.jobAction(c.output, func(rt *jobs.Runtime) (jobs.Info, error) { return rt.Cancel(rc, c.ID) })
}

type jobsRetryCmd struct {
	output
	jobID
}

func (c jobsRetryCmd) Run(rc *runCtx) error {
	return rc.jobAction(c.output, func(rt *jobs.Runtime) (jobs.Info, error) { return rt.Retry(rc, c.ID) })
}

// jobAction runs fn on the job runtime and prints the job it returns.
func (rc *runCtx) jobAction(o output, fn func(rt *jobs.Runtime) (jobs.Info, error)) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	j, err := fn(core.Jobs)
	if err != nil {
		return err
	}
	if o.json() {
		return writeJSON(rc.env.Stdout, j)
	}
	rows := [][]string{
		{"id", strconv.FormatInt(j.ID, 10)}, {"kind", j.Kind}, {"state", string(j.State)}, {"queue", j.Queue},
		{"tenant", string(j.Tenant)}, {"unique key", j.Key}, {"periodic", j.Periodic}, {"args", string(j.Args)},
		{"attempt", fmt.Sprintf("%d of %d", j.Attempt, j.MaxAttempts)},
		{"created", stamp(&j.CreatedAt)}, {"scheduled", stamp(&j.ScheduledAt)}, {"attempted", stamp(j.AttemptedAt)}, {"finished", stamp(j.FinalizedAt)},
	}
	for _, e := range j.Errors {
		rows = append(rows, []string{fmt.Sprintf("error (attempt %d)", e.Attempt), stamp(&e.At) + "  " + oneLine(e.Error)})
	}
	return writeTable(rc.env.Stdout, []string{"FIELD", "VALUE"}, rows)
}

type jobsAlertsCmd struct {
	output
	All   bool `name:"all" help:"Include resolved alerts."`
	Limit int  `name:"limit" default:"100" help:"Alerts to show (1–1000)."`
}

func (c jobsAlertsCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	alerts, err := core.Jobs.Alerts(rc, jobs.AlertFilter{OpenOnly: !c.All, Limit: c.Limit})
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, nonNil(alerts))
	}
	rows := make([][]string, len(alerts))
	for i, a := range alerts {
		rows[i] = []string{strconv.FormatInt(a.JobID, 10), a.Kind, string(a.Reason), string(a.JobState), strconv.Itoa(a.Attempt),
			stamp(&a.ScheduledAt), stamp(a.Deadline), stamp(&a.FirstSeenAt), stamp(&a.LastSeenAt), stamp(a.ResolvedAt)}
	}
	return writeTable(rc.env.Stdout, []string{"JOB", "KIND", "REASON", "STATE", "ATTEMPT", "SCHEDULED", "DEADLINE", "FIRST SEEN", "LAST SEEN", "RESOLVED"}, rows)
}

func stamp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func lastError(j jobs.Info) string {
	if len(j.Errors) == 0 {
		return ""
	}
	e := []rune(oneLine(j.Errors[len(j.Errors)-1].Error))
	if len(e) > 60 {
		return string(e[:57]) + "..."
	}
	return string(e)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
