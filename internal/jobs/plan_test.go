package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// planItems are the items of the due-now tests: at noon, some have their
// slot still ahead today and some have passed it (checked below).
var planItems = []string{"conn-1", "conn-2", "conn-3", "conn-4", "conn-5", "conn-6", "conn-7", "conn-8"}

func planRuntime(t *testing.T, db *store.DB, now time.Time) *bundle {
	t.Helper()
	cfg := config(db, false)
	cfg.Clock = valdrix.ClockFunc(func() time.Time { return now })
	return newBundle(t, db, cfg, func(rt *jobs.Runtime) {
		must(t, rt, jobs.Kind[scanArgs]{Work: noop[scanArgs], Timeout: jobs.ScanTimeout})
		require.NoError(t, jobs.AddDailySpread(rt, jobs.DailySpread[scanArgs]{
			Name:  "daily_scan",
			Items: func(context.Context) ([]string, error) { return planItems, nil },
			Args:  func(key string, d valdrix.Date) scanArgs { return scanArgs{Connection: key, Day: d} },
		}))
	})
}

// scanJobs lists the test.scan jobs by unique key.
func scanJobs(t *testing.T, rt *jobs.Runtime) map[string]jobs.Info {
	t.Helper()
	list, _, err := rt.List(context.Background(), jobs.ListFilter{Kinds: []string{"test.scan"}, Limit: 500})
	require.NoError(t, err)
	out := map[string]jobs.Info{}
	for _, j := range list {
		_, dup := out[j.Key]
		require.False(t, dup, "two jobs with key %s", j.Key)
		out[j.Key] = j
	}
	return out
}

// TestPlanDueNow runs today's jobs now after the regular planner planned
// them at their slots (or, for slots already passed, tomorrow): one job per
// item for today, brought forward or added, and nothing more on a rerun.
func TestPlanDueNow(t *testing.T) {
	t.Parallel()
	// Noon of a day ahead of the real clock: every slot is in the database's
	// future, so the planner's jobs are "scheduled", not yet due.
	now := time.Now().UTC().Truncate(24 * time.Hour).Add(48*time.Hour + 12*time.Hour)
	today, tomorrow := valdrix.DateOf(now), valdrix.DateOf(now.Add(24*time.Hour))
	var ahead, passed []string
	for _, item := range planItems {
		if _, d := jobs.NextSlot(now, "daily_scan", item, 0, 24*time.Hour); d == today {
			ahead = append(ahead, item)
		} else {
			passed = append(passed, item)
		}
	}
	require.NotEmpty(t, ahead, "some slots are after noon")
	require.NotEmpty(t, passed, "some slots are before noon")

	steps := []struct {
		name string
		opts jobs.PlanOpts
		want jobs.PlanResult
	}{
		{name: "regular plan", want: jobs.PlanResult{Enqueued: len(planItems)}},
		{name: "due now", opts: jobs.PlanOpts{DueNow: true},
			want: jobs.PlanResult{DueNow: true, Enqueued: len(passed), Duplicates: len(ahead), BroughtForward: len(ahead)}},
		{name: "due now again", opts: jobs.PlanOpts{DueNow: true},
			want: jobs.PlanResult{DueNow: true, Duplicates: len(planItems)}},
		{name: "regular plan again", want: jobs.PlanResult{Duplicates: len(planItems)}},
	}
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			b := planRuntime(t, openDB(t, dialect), now)
			ctx := context.Background()
			for _, st := range steps {
				got, err := b.rt.PlanWith(ctx, "daily_scan", st.opts)
				require.NoError(t, err, st.name)
				st.want.Spread, st.want.Items = "daily_scan", len(planItems)
				require.Equal(t, st.want, got, st.name)
			}
			byKey := scanJobs(t, b.rt)
			require.Len(t, byKey, len(planItems)+len(passed), "today's job for every item, tomorrow's for those past their slot")
			for _, item := range planItems {
				j, ok := byKey[item+"/"+today.String()]
				require.True(t, ok, "%s has today's job", item)
				require.Equal(t, jobs.StateAvailable, j.State, "%s: today's job waits for a worker now", item)
				require.WithinDuration(t, time.Now(), j.ScheduledAt, time.Minute, item)
			}
			for _, item := range passed {
				j, ok := byKey[item+"/"+tomorrow.String()]
				require.True(t, ok, "%s keeps tomorrow's job", item)
				require.Equal(t, jobs.StateScheduled, j.State)
			}
			_, err := b.rt.PlanWith(ctx, "nope", jobs.PlanOpts{DueNow: true})
			require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))
			require.Equal(t, []string{"daily_scan"}, b.rt.Spreads())
		})
	}
}

// TestPlanDueNowConcurrent runs the due-now planner from three runtimes on
// one PostgreSQL database at once: each item gets one job for today.
func TestPlanDueNowConcurrent(t *testing.T) {
	t.Parallel()
	nodes := openPGNodes(t, 3)
	now := time.Now().UTC()
	rts := make([]*jobs.Runtime, len(nodes))
	for i, db := range nodes {
		rts[i] = planRuntime(t, db, now).rt
	}
	results := make([]jobs.PlanResult, len(rts))
	var wg sync.WaitGroup
	for i, rt := range rts {
		wg.Go(func() {
			var err error
			results[i], err = rt.PlanWith(context.Background(), "daily_scan", jobs.PlanOpts{DueNow: true})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	enqueued, dups := 0, 0
	for _, r := range results {
		enqueued += r.Enqueued
		dups += r.Duplicates
	}
	require.Equal(t, len(planItems), enqueued, "each item enqueued once: %+v", results)
	require.Equal(t, 2*len(planItems), dups)
	byKey := scanJobs(t, rts[0])
	require.Len(t, byKey, len(planItems))
	for _, item := range planItems {
		require.Contains(t, byKey, fmt.Sprintf("%s/%s", item, valdrix.DateOf(now)))
	}
}
