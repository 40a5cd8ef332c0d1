package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestSlotsAreDeterministicAndSpread(t *testing.T) {
	t.Parallel()
	const items = 2000
	hours := make([]int, 24)
	for i := range items {
		key := fmt.Sprintf("conn-%04d", i)
		off := jobs.SlotOffset("scan", key, 24*time.Hour)
		require.Equal(t, off, jobs.SlotOffset("scan", key, 24*time.Hour), "the same item keeps its slot")
		require.GreaterOrEqual(t, off, time.Duration(0))
		require.Less(t, off, 24*time.Hour)
		require.Zero(t, off%time.Second)
		hours[off/time.Hour]++
	}
	// 2,000 items over 24 hours is 83.3 an hour; a fair hash stays well
	// within ±40% in every hour (the binomial σ is about 9).
	t.Logf("items per hour: min %d, max %d (%v)", slices.Min(hours), slices.Max(hours), hours)
	for h, n := range hours {
		require.InDelta(t, items/24.0, n, items/24.0*0.4, "hour %d has %d of %d items: %v", h, n, items, hours)
	}
	require.NotEqual(t, jobs.SlotOffset("scan", "conn-1", 24*time.Hour), jobs.SlotOffset("ingest", "conn-1", 24*time.Hour),
		"spreads of different names place an item independently")
	require.Zero(t, jobs.SlotOffset("scan", "conn-1", 0))
}

func TestNextSlot(t *testing.T) {
	t.Parallel()
	off := jobs.SlotOffset("scan", "conn-7", 6*time.Hour) // within a 02:00–08:00 window
	slotToday := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC).Add(off)
	tests := []struct {
		name    string
		now     time.Time
		want    time.Time
		wantDay valdrix.Date
	}{
		{name: "before the slot", now: slotToday.Add(-time.Minute), want: slotToday, wantDay: valdrix.NewDate(2026, 11, 22)},
		{name: "at the slot", now: slotToday, want: slotToday, wantDay: valdrix.NewDate(2026, 11, 22)},
		{name: "after the slot", now: slotToday.Add(time.Second), want: slotToday.Add(24 * time.Hour), wantDay: valdrix.NewDate(2026, 11, 23)},
		{name: "late in the day", now: time.Date(2026, 11, 22, 23, 59, 0, 0, time.UTC), want: slotToday.Add(24 * time.Hour), wantDay: valdrix.NewDate(2026, 11, 23)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, d := jobs.NextSlot(tt.now, "scan", "conn-7", 2*time.Hour, 6*time.Hour)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.wantDay, d)
		})
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    jobs.Schedule
		want time.Time
	}{
		{name: "every", s: jobs.Every(time.Hour), want: at.Add(time.Hour)},
		{name: "daily later today", s: jobs.DailyAt(11 * time.Hour), want: time.Date(2026, 11, 22, 11, 0, 0, 0, time.UTC)},
		{name: "daily tomorrow", s: jobs.DailyAt(3 * time.Hour), want: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)},
		{name: "daily now is next day", s: jobs.DailyAt(10*time.Hour + 30*time.Minute), want: time.Date(2026, 11, 23, 10, 30, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.s.Next(at))
		})
	}
}

// TestDailySpreadPlanner plans each item's next job at its slot, once, on
// both databases; items added later are planned by the next run.
func TestDailySpreadPlanner(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			items := []string{"conn-a", "conn-b", "conn-c", "conn-a"}
			now := time.Now().UTC()
			cfg := config(db, false)
			cfg.Clock = valdrix.ClockFunc(func() time.Time { return now })
			b := newBundle(t, db, cfg, func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[scanArgs]{Work: noop[scanArgs], Timeout: jobs.ScanTimeout})
				require.NoError(t, jobs.AddDailySpread(rt, jobs.DailySpread[scanArgs]{
					Name:  "daily_scan",
					Items: func(context.Context) ([]string, error) { return slices.Clone(items), nil },
					Args:  func(key string, d valdrix.Date) scanArgs { return scanArgs{Connection: key, Day: d} },
				}))
			})
			ctx := context.Background()
			require.NoError(t, b.rt.Plan(ctx, "daily_scan"))
			require.NoError(t, b.rt.Plan(ctx, "daily_scan"), "planning again adds nothing")
			planned, _, err := b.rt.List(ctx, jobs.ListFilter{Kinds: []string{"test.scan"}})
			require.NoError(t, err)
			require.Len(t, planned, 3, "one job per distinct item")
			for _, j := range planned {
				var conn string
				for _, c := range []string{"conn-a", "conn-b", "conn-c"} {
					if j.Key != "" && j.Key[:len(c)] == c {
						conn = c
					}
				}
				require.NotEmpty(t, conn, j.Key)
				at, d := jobs.NextSlot(now, "daily_scan", conn, 0, 24*time.Hour)
				require.Equal(t, conn+"/"+d.String(), j.Key)
				require.WithinDuration(t, at, j.ScheduledAt, time.Millisecond)
				require.Equal(t, "daily_scan", j.Periodic)
				require.JSONEq(t, fmt.Sprintf(`{"connection":%q,"day":%q}`, conn, d), string(j.Args))
			}

			items = append(items, "conn-d")
			require.NoError(t, b.rt.Plan(ctx, "daily_scan"))
			planned, _, err = b.rt.List(ctx, jobs.ListFilter{Kinds: []string{"test.scan"}})
			require.NoError(t, err)
			require.Len(t, planned, 4)

			require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(b.rt.Plan(ctx, "nope")))
		})
	}
}

type scanArgs struct {
	Connection string       `json:"connection"`
	Day        valdrix.Date `json:"day"`
}

func (scanArgs) Kind() string { return "test.scan" }

// TestPeriodicJobRunsOnStart: the leader enqueues a periodic job on start;
// the job carries the periodic job's name.
func TestPeriodicJobRunsOnStart(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			ran := make(chan int64, 10)
			b := newBundle(t, db, config(db, true), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{Work: func(_ context.Context, j *jobs.Job[sysArgs]) error { ran <- j.ID; return nil }})
				require.NoError(t, rt.AddPeriodic("hourly_thing", jobs.Every(time.Hour), func() jobs.Args { return sysArgs{N: 42} }, true))
			})
			var id int64
			select {
			case id = <-ran:
			case <-time.After(30 * time.Second):
				t.Fatal("the periodic job did not run on start")
			}
			in, err := b.rt.Get(context.Background(), "", id)
			require.NoError(t, err)
			require.Equal(t, "hourly_thing", in.Periodic)
			require.Equal(t, "periodic:hourly_thing", in.Key)
		})
	}
}

// TestOnlyTheLeaderEnqueuesPeriodicJobs starts two working runtimes on one
// PostgreSQL with the same periodic job: only the elected leader builds and
// enqueues it.
func TestOnlyTheLeaderEnqueuesPeriodicJobs(t *testing.T) {
	t.Parallel()
	nodes := openPGNodes(t, 2)
	ran := make(chan int64, 10)
	var built [2]atomic.Int32
	for i, db := range nodes {
		cfg := config(db, true)
		cfg.ID = fmt.Sprintf("node-%d", i)
		newBundle(t, db, cfg, func(rt *jobs.Runtime) {
			must(t, rt, jobs.Kind[sysArgs]{Work: func(_ context.Context, j *jobs.Job[sysArgs]) error { ran <- j.ID; return nil }})
			require.NoError(t, rt.AddPeriodic("hourly_report", jobs.Every(time.Hour), func() jobs.Args {
				built[i].Add(1)
				return sysArgs{N: i}
			}, true))
		})
	}
	select {
	case <-ran:
	case <-time.After(30 * time.Second):
		t.Fatal("the periodic job did not run")
	}
	// Each node built the arguments once when registering; the leader once more to enqueue.
	counts := []int32{built[0].Load(), built[1].Load()}
	slices.Sort(counts)
	require.Equal(t, []int32{1, 2}, counts, "one node, the leader, enqueued")
}
