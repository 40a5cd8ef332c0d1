package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// metrics are the runtime's Prometheus instruments (docs/metrics.md).
type metrics struct {
	wait        *prometheus.HistogramVec
	duration    *prometheus.HistogramVec
	failures    *prometheus.CounterVec
	rescued     *prometheus.CounterVec
	enqueued    *prometheus.CounterVec
	stuckAlerts *prometheus.CounterVec
	pipeline    *Pipeline
}

// jobBuckets span 50ms to a day: waits and runs of jobs and scans.
func jobBuckets() []float64 {
	return []float64{0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600}
}

func newMetrics(rt *Runtime, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "valdrix_job_wait_seconds", Help: "Time from a job's scheduled time to the start of an attempt, by kind.", Buckets: jobBuckets(),
		}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "valdrix_job_duration_seconds", Help: "Run time of job attempts by kind and outcome (completed, failed, cancelled, snoozed, interrupted).", Buckets: jobBuckets(),
		}, []string{"kind", "outcome"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_job_failures_total", Help: "Failed job attempts by kind and reason (error, timeout, panic).",
		}, []string{"kind", "reason"}),
		rescued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_jobs_rescued_total", Help: "Jobs run again after River's rescuer found their worker dead, by kind.",
		}, []string{"kind"}),
		enqueued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_jobs_enqueued_total", Help: "Enqueue calls by kind and result (inserted, duplicate).",
		}, []string{"kind", "result"}),
		stuckAlerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_job_stuck_alerts_total", Help: "Stuck-job alerts opened by kind and reason (overdue, past_deadline).",
		}, []string{"kind", "reason"}),
		pipeline: newPipeline(),
	}
	if reg == nil {
		return m, nil
	}
	cs := []prometheus.Collector{m.wait, m.duration, m.failures, m.rescued, m.enqueued, m.stuckAlerts,
		newQueueCollector(rt), m.pipeline.scan, m.pipeline.findings}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register job metrics: %w", err)
		}
	}
	return m, nil
}

// Pipeline holds the scan pipeline's metrics, declared here for the
// ingest, discover and detect jobs to feed.
type Pipeline struct {
	scan     *prometheus.HistogramVec
	findings *prometheus.CounterVec
}

func newPipeline() *Pipeline {
	return &Pipeline{
		scan: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "valdrix_scan_duration_seconds", Help: "Duration of a connection's scan by provider and outcome (ok, partial, failed).", Buckets: jobBuckets(),
		}, []string{"provider", "outcome"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_findings_total", Help: "Findings changed by scans: new, reopened, resolved.",
		}, []string{"status"}),
	}
}

// Pipeline returns the scan pipeline's metrics.
func (rt *Runtime) Pipeline() *Pipeline { return rt.metrics.pipeline }

// ObserveScan records a scan's duration.
func (p *Pipeline) ObserveScan(provider, outcome string, d time.Duration) {
	p.scan.WithLabelValues(provider, outcome).Observe(d.Seconds())
}

// AddFindings counts findings written with a status.
func (p *Pipeline) AddFindings(status string, n int) {
	p.findings.WithLabelValues(status).Add(float64(n))
}

// queueCollector reports the queue depth and the open stuck-job alerts,
// counted in the database at scrape time (cached briefly, so that several
// scrapers cost one query).
type queueCollector struct {
	rt    *Runtime
	queue *prometheus.Desc
	stuck *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	cached []prometheus.Metric
}

func newQueueCollector(rt *Runtime) *queueCollector {
	return &queueCollector{
		rt: rt,
		queue: prometheus.NewDesc("valdrix_jobs", "Jobs not yet finished, by kind and state (available, scheduled, running, retryable, pending), counted at scrape time.",
			[]string{"kind", "state"}, nil),
		stuck: prometheus.NewDesc("valdrix_jobs_stuck", "Open stuck-job alerts by kind and reason (overdue, past_deadline).",
			[]string{"kind", "reason"}, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queue
	ch <- c.stuck
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.rt.clock.Now()
	if c.cached == nil || now.Sub(c.at) > 5*time.Second || now.Before(c.at) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ms, err := c.gauges(ctx)
		cancel()
		if err != nil {
			c.rt.log.Warn("job metrics not collected", "error", err)
			return
		}
		c.cached, c.at = ms, now
	}
	for _, m := range c.cached {
		ch <- m
	}
}

// gauges counts the queue and the open alerts. Every registered kind
// reports every state (0 when empty), so dashboards see 0, not a gap.
func (c *queueCollector) gauges(ctx context.Context) ([]prometheus.Metric, error) {
	rt := c.rt
	counts := map[[2]string]int{}
	for _, k := range rt.kindNames() {
		for _, s := range []State{StateAvailable, StateScheduled, StateRunning, StateRetryable, StatePending} {
			counts[[2]string{k, string(s)}] = 0
		}
	}
	const q = `SELECT kind, CAST(state AS TEXT), count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'running', 'retryable', 'pending') GROUP BY kind, state`
	add := func(kind, state string, n int) { counts[[2]string{kind, state}] += n }
	var err error
	if rt.cfg.Postgres != nil {
		err = pgCounts(ctx, rt, q, add)
	} else {
		err = liteCounts(ctx, rt, q, add)
	}
	if err != nil {
		return nil, err
	}
	var out []prometheus.Metric
	for k, n := range counts {
		out = append(out, prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(n), k[0], k[1]))
	}
	if rt.cfg.Alerts != nil {
		stuck := map[[2]string]int{}
		for _, k := range rt.kindNames() {
			stuck[[2]string{k, string(ReasonOverdue)}] = 0
			stuck[[2]string{k, string(ReasonPastDeadline)}] = 0
		}
		acs, err := rt.cfg.Alerts.OpenJobAlertCounts(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range acs {
			stuck[[2]string{a.Kind, string(a.Reason)}] += a.Count
		}
		for k, n := range stuck {
			out = append(out, prometheus.MustNewConstMetric(c.stuck, prometheus.GaugeValue, float64(n), k[0], k[1]))
		}
	}
	return out, nil
}

// countRows is what the counting query returns on either database.
type countRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

func pgCounts(ctx context.Context, rt *Runtime, q string, add func(kind, state string, n int)) error {
	rows, err := rt.cfg.Postgres.Query(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	return scanCounts(rows, add)
}

func liteCounts(ctx context.Context, rt *Runtime, q string, add func(kind, state string, n int)) error {
	db := rt.cfg.SQLiteRead
	if db == nil {
		db = rt.cfg.SQLite
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close() //nolint:errcheck // read-only
	return scanCounts(rows, add)
}

func scanCounts(rows countRows, add func(kind, state string, n int)) error {
	for rows.Next() {
		var (
			kind, state string
			n           int
		)
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return err
		}
		add(kind, state, n)
	}
	return rows.Err()
}

func (rt *Runtime) kindNames() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return sortedNames(rt.kinds)
}

// sortedNames returns a map's keys in order.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// observer is River middleware around every attempt: a span (a child of
// the enqueuer's trace), the wait and run-time histograms, failure and
// rescue counters, and a log line per failure.
type observer struct {
	river.MiddlewareDefaults
	rt *Runtime
}

// rescuedBy is the error River's rescuer records on a job it rescues.
const rescuedBy = "Stuck job rescued by JobRescuer"

func (o *observer) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) (err error) {
	rt := o.rt
	meta := metaOf(job)
	ctx = propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier(meta.Trace))
	attrs := []attribute.KeyValue{
		attribute.Int64("valdrix.job.id", job.ID), attribute.String("valdrix.job.kind", job.Kind),
		attribute.Int("valdrix.job.attempt", job.Attempt), attribute.String("valdrix.job.queue", job.Queue),
	}
	if meta.Tenant != "" {
		attrs = append(attrs, attribute.String("valdrix.tenant_id", string(meta.Tenant)))
	}
	ctx, span := rt.tracer.Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	defer span.End()

	start := rt.clock.Now()
	if job.AttemptedAt != nil {
		rt.metrics.wait.WithLabelValues(job.Kind).Observe(max(job.AttemptedAt.Sub(job.ScheduledAt), 0).Seconds())
	}
	if n := len(job.Errors); n > 0 && job.Errors[n-1].Error == rescuedBy && job.Errors[n-1].Attempt == job.Attempt-1 {
		rt.metrics.rescued.WithLabelValues(job.Kind).Inc()
		rt.log.WarnContext(ctx, "running a rescued job", "job_id", job.ID, "job_kind", job.Kind, "attempt", job.Attempt)
	}
	defer func() {
		if p := recover(); p != nil {
			o.finish(ctx, span, job, start, "failed", "panic", fmt.Errorf("panic: %v", p))
			panic(p)
		}
	}()
	err = doInner(ctx)
	outcome, reason := classify(ctx, err)
	o.finish(ctx, span, job, start, outcome, reason, err)
	return err
}

// classify names an attempt's outcome and, for failures, the reason.
func classify(ctx context.Context, err error) (outcome, reason string) {
	var (
		timeout *TimeoutError
		snooze  *rivertype.JobSnoozeError
	)
	switch {
	case err == nil:
		return "completed", ""
	case isCancel(err), errors.Is(context.Cause(ctx), rivertype.ErrJobCancelledRemotely):
		return "cancelled", ""
	case errors.As(err, &snooze):
		return "snoozed", ""
	case errors.As(err, &timeout):
		return "failed", "timeout"
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		return "interrupted", "" // the process is stopping; River requeues the job
	}
	return "failed", "error"
}

func (o *observer) finish(ctx context.Context, span trace.Span, job *rivertype.JobRow, start time.Time, outcome, reason string, err error) {
	rt := o.rt
	rt.metrics.duration.WithLabelValues(job.Kind, outcome).Observe(max(rt.clock.Now().Sub(start), 0).Seconds())
	span.SetAttributes(attribute.String("valdrix.job.outcome", outcome))
	if reason == "" {
		return
	}
	rt.metrics.failures.WithLabelValues(job.Kind, reason).Inc()
	span.RecordError(err)
	span.SetStatus(codes.Error, reason)
	last := job.Attempt >= job.MaxAttempts
	rt.log.WarnContext(ctx, "job attempt failed", "job_id", job.ID, "job_kind", job.Kind, "attempt", job.Attempt,
		"max_attempts", job.MaxAttempts, "reason", reason, "final", last, "error", err)
}
