package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestStuckDetector flags an overdue waiting job and a running job past its
// deadline, and nothing else — not a job scheduled for the future, not a
// job only recently due, not a running job within its deadline — stores an
// alert per stuck job, logs and counts it once, changes no job, and resolves
// alerts when jobs get unstuck.
func TestStuckDetector(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			// No workers: nothing runs, nothing is rescued; only the detector looks.
			b := newBundle(t, db, config(db, false), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs], Timeout: time.Minute})
			})
			ctx := context.Background()
			now := time.Now()
			enqueue := func(at time.Time) int64 {
				r, err := b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{ScheduledAt: at})
				require.NoError(t, err)
				return r.ID
			}
			overdue := enqueue(now.Add(-2 * time.Hour))
			enqueue(now.Add(-10 * time.Minute))                 // due, but not for long
			enqueue(now.Add(3 * time.Hour))                     // scheduled for the future
			enqueue(now.Add(-2 * time.Hour).Add(5 * time.Hour)) // future too
			deadRun, err := jobs.InsertRunningForTest(ctx, b.rt, sysArgs{}, now.Add(-2*time.Hour))
			require.NoError(t, err)
			_, err = jobs.InsertRunningForTest(ctx, b.rt, sysArgs{}, now.Add(-30*time.Second)) // within its timeout
			require.NoError(t, err)

			before, _, err := b.rt.List(ctx, jobs.ListFilter{})
			require.NoError(t, err)
			found, err := b.rt.DetectStuck(ctx)
			require.NoError(t, err)
			got := map[int64]jobs.Reason{}
			for _, a := range found {
				got[a.JobID] = a.Reason
			}
			require.Equal(t, map[int64]jobs.Reason{overdue: jobs.ReasonOverdue, deadRun: jobs.ReasonPastDeadline}, got)
			after, _, err := b.rt.List(ctx, jobs.ListFilter{})
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(before, after), "the detector changes no job")

			alerts, err := b.rt.Alerts(ctx, jobs.AlertFilter{OpenOnly: true})
			require.NoError(t, err)
			require.Len(t, alerts, 2)
			for _, a := range alerts {
				if a.Reason == jobs.ReasonPastDeadline {
					require.Equal(t, deadRun, a.JobID)
					require.NotNil(t, a.Deadline)
					require.WithinDuration(t, now.Add(-2*time.Hour).Add(time.Minute+5*time.Minute), *a.Deadline, time.Second,
						"started + the kind's timeout + the margin")
				}
			}
			require.Equal(t, 2, countLines(b.logs.String(), `"msg":"stuck job"`))
			require.Contains(t, b.logs.String(), `"level":"ERROR"`)
			v, _ := metric(t, b.reg, "valdrix_job_stuck_alerts_total", map[string]string{"kind": "test.sys"})
			require.Equal(t, 2.0, v)
			v, _ = metric(t, b.reg, "valdrix_jobs_stuck", map[string]string{"kind": "test.sys", "reason": "overdue"})
			require.Equal(t, 1.0, v)

			// Checking again finds the same jobs but opens, logs and counts nothing new.
			found, err = b.rt.DetectStuck(ctx)
			require.NoError(t, err)
			require.Len(t, found, 2)
			require.Equal(t, 2, countLines(b.logs.String(), `"msg":"stuck job"`))
			v, _ = metric(t, b.reg, "valdrix_job_stuck_alerts_total", map[string]string{"kind": "test.sys"})
			require.Equal(t, 2.0, v)

			// Once the overdue job is dealt with, its alert resolves.
			_, err = b.rt.Cancel(ctx, overdue)
			require.NoError(t, err)
			found, err = b.rt.DetectStuck(ctx)
			require.NoError(t, err)
			require.Len(t, found, 1)
			open, err := b.rt.Alerts(ctx, jobs.AlertFilter{OpenOnly: true})
			require.NoError(t, err)
			require.Len(t, open, 1)
			require.Equal(t, deadRun, open[0].JobID)
		})
	}
}

// TestStuckDetectorClock: a job due in the future is never flagged however
// long the detector's clock runs ahead of it — until it is actually overdue
// by the threshold.
func TestStuckDetectorClock(t *testing.T) {
	t.Parallel()
	db := openDB(t, "sqlite")
	var now time.Time
	cfg := config(db, false)
	cfg.Clock = valdrix.ClockFunc(func() time.Time { return now })
	cfg.StuckAfter = 30 * time.Minute
	b := newBundle(t, db, cfg, func(rt *jobs.Runtime) { must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]}) })
	ctx := context.Background()
	due := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	r, err := b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{ScheduledAt: due})
	require.NoError(t, err)
	tests := []struct {
		name  string
		now   time.Time
		stuck bool
	}{
		{name: "an hour before", now: due.Add(-time.Hour)},
		{name: "at its time", now: due},
		{name: "just under the threshold", now: due.Add(29 * time.Minute)},
		{name: "past the threshold", now: due.Add(31 * time.Minute), stuck: true},
	}
	for _, tt := range tests { // in order: the clock moves forward
		now = tt.now
		found, err := b.rt.DetectStuck(ctx)
		require.NoError(t, err, tt.name)
		if tt.stuck {
			require.Len(t, found, 1, tt.name)
			require.Equal(t, r.ID, found[0].JobID)
		} else {
			require.Empty(t, found, tt.name)
		}
	}
}
