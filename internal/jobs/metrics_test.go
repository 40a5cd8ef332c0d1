package jobs_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// documentedMetrics returns the metric names of each section of
// docs/metrics.md.
func documentedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/metrics.md")
	require.NoError(t, err)
	out := map[string][]string{}
	section := ""
	for line := range strings.SplitSeq(string(doc), "\n") {
		if s, ok := strings.CutPrefix(line, "## "); ok {
			section = s
			continue
		}
		if rest, ok := strings.CutPrefix(line, "| `valdrix_"); ok {
			name, _, _ := strings.Cut(rest, "`")
			out[section] = append(out[section], "valdrix_"+name)
		}
	}
	return out
}

type slowArgs struct{}

func (slowArgs) Kind() string { return "test.slow" }

// TestEveryDocumentedJobMetricIsEmitted exercises the runtime — jobs that
// complete, fail, time out, are rescued and get stuck, a duplicate enqueue,
// the pipeline's instruments — then scrapes, and checks the Jobs and Scan
// pipeline sections of docs/metrics.md against what is emitted, both ways.
func TestEveryDocumentedJobMetricIsEmitted(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.SQLite)
	var shift atomic.Int64 // the detector's clock runs ahead by this much
	cfg := config(db, true)
	cfg.RescueAfter = 2 * time.Second
	cfg.StuckAfter = 30 * time.Minute
	cfg.Clock = valdrix.ClockFunc(func() time.Time { return time.Now().Add(time.Duration(shift.Load())) })
	var (
		failed atomic.Bool
		orphan int64
		events *watcher
	)
	b := newBundle(t, db, cfg, func(rt *jobs.Runtime) {
		must(t, rt, jobs.Kind[sysArgs]{
			Timeout: 500 * time.Millisecond, Backoff: func(int) time.Duration { return time.Millisecond },
			Work: func(_ context.Context, j *jobs.Job[sysArgs]) error {
				if j.Args.N == 1 && !failed.Swap(true) {
					return errBoom
				}
				return nil
			},
		})
		must(t, rt, jobs.Kind[slowArgs]{
			Timeout: 100 * time.Millisecond, MaxAttempts: 1,
			Work: func(ctx context.Context, _ *jobs.Job[slowArgs]) error { <-ctx.Done(); return ctx.Err() },
		})
		// A job whose worker died an hour ago, there before the leader's
		// rescuer first looks.
		events = watch(t, rt)
		var err error
		orphan, err = jobs.InsertRunningForTest(context.Background(), rt, sysArgs{N: 2}, time.Now().Add(-time.Hour))
		require.NoError(t, err)
	})
	ctx := context.Background()

	ok, err := b.rt.Enqueue(ctx, sysArgs{N: 1}, jobs.EnqueueOpts{Key: "once"})
	require.NoError(t, err)
	dup, err := b.rt.Enqueue(ctx, sysArgs{N: 1}, jobs.EnqueueOpts{Key: "once"})
	require.NoError(t, err)
	require.True(t, dup.Duplicate)
	slow, err := b.rt.Enqueue(ctx, slowArgs{}, jobs.EnqueueOpts{})
	require.NoError(t, err)
	await(t, events, ok.ID, jobs.EventCompleted)
	await(t, events, slow.ID, jobs.EventFailed)
	await(t, events, orphan, jobs.EventCompleted)

	// A job due in an hour is overdue for a detector two hours ahead.
	_, err = b.rt.Enqueue(ctx, sysArgs{N: 3}, jobs.EnqueueOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	shift.Store(int64(2 * time.Hour))
	found, err := b.rt.DetectStuck(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, found)
	shift.Store(0)

	p := b.rt.Pipeline()
	p.ObserveScan("aws", "ok", 3*time.Second)
	p.AddFindings("open", 7)

	mfs, err := b.reg.Gather()
	require.NoError(t, err)
	emitted := map[string]bool{}
	for _, mf := range mfs {
		if len(mf.GetMetric()) > 0 {
			emitted[mf.GetName()] = true
		}
	}
	docs := documentedMetrics(t)
	listed := map[string]bool{}
	for _, names := range docs {
		for _, n := range names {
			listed[n] = true
		}
	}
	mine := append(docs["Jobs"], docs["Scan pipeline"]...)
	require.NotEmpty(t, mine)
	for _, name := range mine {
		require.True(t, emitted[name], "docs/metrics.md lists %s but the job runtime did not emit it", name)
	}
	for name := range emitted {
		require.True(t, listed[name], "%s is emitted but not listed in docs/metrics.md", name)
	}
	for _, want := range []struct {
		name   string
		labels map[string]string
	}{
		{"valdrix_job_failures_total", map[string]string{"kind": "test.sys", "reason": "error"}},
		{"valdrix_job_failures_total", map[string]string{"kind": "test.slow", "reason": "timeout"}},
		{"valdrix_jobs_rescued_total", map[string]string{"kind": "test.sys"}},
		{"valdrix_jobs_enqueued_total", map[string]string{"kind": "test.sys", "result": "duplicate"}},
		{"valdrix_job_stuck_alerts_total", map[string]string{"kind": "test.sys", "reason": "overdue"}},
		{"valdrix_jobs_stuck", map[string]string{"kind": "test.sys", "reason": "overdue"}},
	} {
		v, found := metric(t, b.reg, want.name, want.labels)
		require.True(t, found, "%s%v", want.name, want.labels)
		require.Equal(t, 1.0, v, "%s%v", want.name, want.labels)
	}
}

// TestJobSpans: a job's attempt is a span named by its kind, a child of the
// span that enqueued it, marked as an error when the attempt fails.
func TestJobSpans(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	db := openDB(t, store.SQLite)
	cfg := config(db, true)
	cfg.Tracer = tp
	var events *watcher
	b := newBundle(t, db, cfg, func(rt *jobs.Runtime) {
		must(t, rt, jobs.Kind[sysArgs]{MaxAttempts: 1, Work: func(_ context.Context, j *jobs.Job[sysArgs]) error {
			if j.Args.N == 1 {
				return errBoom
			}
			return nil
		}})
		events = watch(t, rt)
	})
	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	okJob, err := b.rt.Enqueue(ctx, sysArgs{N: 0}, jobs.EnqueueOpts{})
	require.NoError(t, err)
	badJob, err := b.rt.Enqueue(ctx, sysArgs{N: 1}, jobs.EnqueueOpts{})
	require.NoError(t, err)
	parent.End()
	await(t, events, okJob.ID, jobs.EventCompleted)
	await(t, events, badJob.ID, jobs.EventFailed)

	byJob := map[int64]sdktrace.ReadOnlySpan{}
	eventually(t, "both job spans ended", func() bool {
		for _, s := range rec.Ended() {
			for _, a := range s.Attributes() {
				if a.Key == "valdrix.job.id" {
					byJob[a.Value.AsInt64()] = s
				}
			}
		}
		return byJob[okJob.ID] != nil && byJob[badJob.ID] != nil
	})
	for _, id := range []int64{okJob.ID, badJob.ID} {
		s := byJob[id]
		require.Equal(t, "job test.sys", s.Name())
		require.Equal(t, parent.SpanContext().TraceID(), s.SpanContext().TraceID(), "the job continues the enqueuer's trace")
		require.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID())
	}
	require.Equal(t, codes.Error, byJob[badJob.ID].Status().Code)
	require.Equal(t, codes.Unset, byJob[okJob.ID].Status().Code)
}

// TestDashboardUsesDocumentedMetrics keeps deploy/grafana/valdrix.json
// valid and its queries on metrics that exist.
func TestDashboardUsesDocumentedMetrics(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../deploy/grafana/valdrix.json")
	require.NoError(t, err)
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	require.Equal(t, "Valdrix", dash.Title)
	listed := map[string]bool{}
	for _, names := range documentedMetrics(t) {
		for _, n := range names {
			listed[n] = true
		}
	}
	used := map[string]bool{}
	name := regexp.MustCompile(`valdrix_[a-z_]+`)
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				m = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
				require.True(t, listed[m], "panel %q queries %s, which docs/metrics.md does not list", p.Title, m)
				used[m] = true
			}
		}
	}
	for m := range listed {
		require.True(t, used[m], "the dashboard shows no panel for %s", m)
	}
}
