package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Reason says why a job is stuck.
type Reason string

// Reasons.
const (
	// ReasonOverdue: waiting (available, scheduled or retryable) more than
	// Config.StuckAfter past its scheduled time — no worker takes it.
	ReasonOverdue Reason = "overdue"
	// ReasonPastDeadline: running past its start plus its kind's timeout
	// plus Config.StuckMargin — its worker ignores cancellation or died
	// (River's rescuer retries it after Config.RescueAfter).
	ReasonPastDeadline Reason = "past_deadline"
)

// Alert records a stuck job. Alerts are operational records, not tenant
// data: they name the job, never its arguments or tenant.
type Alert struct {
	ID          string     `json:"id"`
	JobID       int64      `json:"job_id"`
	Kind        string     `json:"kind"`
	Queue       string     `json:"queue"`
	Reason      Reason     `json:"reason"`
	JobState    State      `json:"job_state"`
	Attempt     int        `json:"attempt"`
	ScheduledAt time.Time  `json:"scheduled_at"`
	AttemptedAt *time.Time `json:"attempted_at,omitempty"`
	// Deadline is when a running job should have ended (past_deadline).
	Deadline    *time.Time `json:"deadline,omitempty"`
	FirstSeenAt time.Time  `json:"first_seen_at"`
	LastSeenAt  time.Time  `json:"last_seen_at"`
	// ResolvedAt is when the detector first found the job no longer stuck.
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// AlertFilter selects alerts.
type AlertFilter struct {
	OpenOnly bool
	Limit    int // default 100
}

// AlertCount is the number of open alerts of a kind and reason.
type AlertCount struct {
	Kind   string
	Reason Reason
	Count  int
}

// AlertStore keeps stuck-job alerts (implemented by store.DB).
type AlertStore interface {
	// SyncJobAlerts records the jobs found stuck at a check: a job not yet
	// alerted (for this reason and attempt) opens an alert, a known one is
	// seen again, and open alerts of jobs no longer stuck are resolved. It
	// returns the alerts it opened (or re-opened).
	SyncJobAlerts(ctx context.Context, at time.Time, stuck []Alert) ([]Alert, error)
	// ListJobAlerts returns alerts, newest first.
	ListJobAlerts(ctx context.Context, f AlertFilter) ([]Alert, error)
	// OpenJobAlertCounts counts open alerts by kind and reason.
	OpenJobAlertCounts(ctx context.Context) ([]AlertCount, error)
}

// maxStuckScan bounds the jobs one check examines per reason.
const maxStuckScan = 10_000

// DetectStuck checks the queue once and returns the stuck jobs. It only
// reads jobs: it never changes, fails or deletes one (River's rescuer
// retries jobs whose worker died). A job scheduled for the future is never
// stuck. Each newly stuck job is logged as an error, counted and stored as
// an alert; alerts of jobs no longer stuck are resolved. The leader runs it
// every Config.StuckCheckEvery.
func (rt *Runtime) DetectStuck(ctx context.Context) ([]Alert, error) {
	now := rt.clock.Now()
	var found []Alert

	// Waiting jobs, oldest scheduled first, until one is not yet overdue.
	cutoff := now.Add(-rt.cfg.StuckAfter)
	waiting := river.NewJobListParams().
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByScheduledAt, river.SortOrderAsc)
	err := rt.scanJobs(ctx, waiting, func(j *rivertype.JobRow) bool {
		if !j.ScheduledAt.Before(cutoff) {
			return false
		}
		found = append(found, alertOf(j, ReasonOverdue, nil))
		return true
	})
	if err != nil {
		return nil, err
	}

	// Running jobs, oldest attempt first, until none can be past deadline:
	// every kind's timeout is at least the shortest registered one.
	shortest := rt.shortestTimeout()
	running := river.NewJobListParams().
		States(rivertype.JobStateRunning).
		OrderBy(river.JobListOrderByTime, river.SortOrderAsc)
	err = rt.scanJobs(ctx, running, func(j *rivertype.JobRow) bool {
		if j.AttemptedAt == nil {
			return true
		}
		if !j.AttemptedAt.Add(shortest + rt.cfg.StuckMargin).Before(now) {
			return false
		}
		deadline := j.AttemptedAt.Add(rt.timeoutOf(j.Kind) + rt.cfg.StuckMargin).UTC()
		if deadline.Before(now) {
			found = append(found, alertOf(j, ReasonPastDeadline, &deadline))
		}
		return true
	})
	if err != nil {
		return nil, err
	}

	if rt.cfg.Alerts == nil {
		for _, a := range found {
			rt.reportStuck(ctx, a)
		}
		return found, nil
	}
	opened, err := rt.cfg.Alerts.SyncJobAlerts(ctx, now, found)
	if err != nil {
		return found, fmt.Errorf("store stuck-job alerts: %w", err)
	}
	for _, a := range opened {
		rt.reportStuck(ctx, a)
	}
	return found, nil
}

func (rt *Runtime) reportStuck(ctx context.Context, a Alert) {
	rt.metrics.stuckAlerts.WithLabelValues(a.Kind, string(a.Reason)).Inc()
	rt.log.ErrorContext(ctx, "stuck job", "job_id", a.JobID, "job_kind", a.Kind, "queue", a.Queue, "reason", string(a.Reason),
		"job_state", string(a.JobState), "attempt", a.Attempt, "scheduled_at", a.ScheduledAt, "deadline", a.Deadline)
}

// scanJobs pages through jobs in order until visit returns false.
func (rt *Runtime) scanJobs(ctx context.Context, p *river.JobListParams, visit func(*rivertype.JobRow) bool) error {
	const page = 500
	p = p.First(page)
	for seen := 0; seen < maxStuckScan; {
		res, err := rt.client.JobList(ctx, p)
		if err != nil {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot check for stuck jobs: the database is unavailable.")
		}
		for _, j := range res.Jobs {
			seen++
			if !visit(j) {
				return nil
			}
		}
		if len(res.Jobs) < page {
			return nil
		}
		p = p.After(res.LastCursor)
	}
	rt.log.WarnContext(ctx, "stuck-job check stopped early", "examined", maxStuckScan)
	return nil
}

func (rt *Runtime) shortestTimeout() time.Duration {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	shortest := rt.defaultTimeout()
	for _, k := range rt.kinds {
		shortest = min(shortest, k.timeout)
	}
	for _, d := range rt.cfg.Timeouts {
		shortest = min(shortest, d)
	}
	return shortest
}

func alertOf(j *rivertype.JobRow, r Reason, deadline *time.Time) Alert {
	return Alert{
		JobID: j.ID, Kind: j.Kind, Queue: j.Queue, Reason: r, JobState: State(j.State), Attempt: j.Attempt,
		ScheduledAt: j.ScheduledAt.UTC(), AttemptedAt: utc(j.AttemptedAt), Deadline: deadline,
	}
}

// Alerts lists stored stuck-job alerts, newest first.
func (rt *Runtime) Alerts(ctx context.Context, f AlertFilter) ([]Alert, error) {
	if rt.cfg.Alerts == nil {
		return nil, valdrix.Errorf(valdrix.EUNAVAILABLE, "No alert store is configured.")
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return nil, valdrix.FieldError("limit", "must be 1–1000")
	}
	return rt.cfg.Alerts.ListJobAlerts(ctx, f)
}
