package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func noop[A jobs.Args](context.Context, *jobs.Job[A]) error { return nil }

func TestUniqueEnqueue(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			b := newBundle(t, db, config(db, false), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]})
			})
			ctx := context.Background()
			later := time.Now().Add(time.Hour)

			first, err := b.rt.Enqueue(ctx, sysArgs{N: 1}, jobs.EnqueueOpts{Key: "conn-1/2026-11-22", ScheduledAt: later})
			require.NoError(t, err)
			require.False(t, first.Duplicate)
			second, err := b.rt.Enqueue(ctx, sysArgs{N: 2}, jobs.EnqueueOpts{Key: "conn-1/2026-11-22", ScheduledAt: later})
			require.NoError(t, err)
			require.True(t, second.Duplicate, "same kind and key: the existing job")
			require.Equal(t, first.ID, second.ID)

			other, err := b.rt.Enqueue(ctx, sysArgs{N: 1}, jobs.EnqueueOpts{Key: "conn-1/2026-11-23", ScheduledAt: later})
			require.NoError(t, err)
			require.False(t, other.Duplicate, "another key is another job")

			// A batch repeating a key inserts it once (River v0.47 misreports
			// that case, so the runtime folds repeats first).
			res, err := b.rt.EnqueueMany(ctx, []jobs.Request{
				{Args: sysArgs{N: 3}, Opts: jobs.EnqueueOpts{Key: "k3"}},
				{Args: sysArgs{N: 4}, Opts: jobs.EnqueueOpts{Key: "k3"}},
				{Args: sysArgs{N: 5}, Opts: jobs.EnqueueOpts{Key: "conn-1/2026-11-22"}},
				{Args: sysArgs{N: 6}},
				{Args: sysArgs{N: 6}},
			})
			require.NoError(t, err)
			require.Len(t, res, 5)
			require.False(t, res[0].Duplicate)
			require.True(t, res[1].Duplicate)
			require.Equal(t, res[0].ID, res[1].ID)
			require.True(t, res[2].Duplicate)
			require.Equal(t, first.ID, res[2].ID)
			require.NotEqual(t, res[3].ID, res[4].ID, "without a key, jobs are not unique")

			all, _, err := b.rt.List(ctx, jobs.ListFilter{Kinds: []string{"test.sys"}})
			require.NoError(t, err)
			require.Len(t, all, 5, "conn-1/22, conn-1/23, k3 and two keyless jobs")

			// A cancelled job frees its key (a retry can be enqueued).
			_, err = b.rt.Cancel(ctx, first.ID)
			require.NoError(t, err)
			again, err := b.rt.Enqueue(ctx, sysArgs{N: 1}, jobs.EnqueueOpts{Key: "conn-1/2026-11-22", ScheduledAt: later})
			require.NoError(t, err)
			require.False(t, again.Duplicate)

			v, _ := metric(t, b.reg, "valdrix_jobs_enqueued_total", map[string]string{"kind": "test.sys", "result": "duplicate"})
			require.Equal(t, 2.0, v, "two duplicates reached the database (the in-batch repeat did not)")
		})
	}
}

func TestUniqueFinishedKeepsTheKey(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.SQLite)
	b := newBundle(t, db, config(db, false), func(rt *jobs.Runtime) {
		must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs], UniqueFinished: true})
	})
	ctx := context.Background()
	r, err := b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{Key: "once"})
	require.NoError(t, err)
	_, err = b.rt.Cancel(ctx, r.ID)
	require.NoError(t, err)
	again, err := b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{Key: "once"})
	require.NoError(t, err)
	require.True(t, again.Duplicate, "a cancelled job still holds the key of a UniqueFinished kind")
}

// TestUniqueAcrossRuntimes enqueues the same keys from two runtimes (two
// pools, as two processes would have) on one PostgreSQL at once.
func TestUniqueAcrossRuntimes(t *testing.T) {
	t.Parallel()
	dbs := openPGNodes(t, 2)
	db1, db2 := dbs[0], dbs[1]
	reg := func(rt *jobs.Runtime) { must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]}) }
	rts := []*jobs.Runtime{newBundle(t, db1, config(db1, false), reg).rt, newBundle(t, db2, config(db2, false), reg).rt}

	const keys = 40
	var (
		wg       sync.WaitGroup
		inserted atomic.Int64
		ids      sync.Map
	)
	for w := range 8 {
		rt := rts[w%2]
		wg.Go(func() {
			for k := range keys {
				r, err := rt.Enqueue(context.Background(), sysArgs{N: w}, jobs.EnqueueOpts{Key: fmt.Sprintf("conn-%d/2026-11-22", k)})
				require.NoError(t, err)
				if !r.Duplicate {
					inserted.Add(1)
				}
				prev, loaded := ids.LoadOrStore(k, r.ID)
				if loaded {
					require.Equal(t, prev, r.ID, "every enqueue of key %d names the same job", k)
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(keys), inserted.Load())
	all, _, err := rts[0].List(context.Background(), jobs.ListFilter{Limit: 500})
	require.NoError(t, err)
	require.Len(t, all, keys)
}

func TestRetryWithBackoffThenSuccess(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			var calls atomic.Int32
			const backoff = 300 * time.Millisecond
			b := newBundle(t, db, config(db, true), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{
					MaxAttempts: 5, Backoff: func(int) time.Duration { return backoff },
					Work: func(_ context.Context, j *jobs.Job[sysArgs]) error {
						calls.Add(1)
						if j.Attempt < 3 {
							return fmt.Errorf("attempt %d: %w", j.Attempt, errBoom)
						}
						return nil
					},
				})
			})
			events := watch(t, b.rt)
			r, err := b.rt.Enqueue(context.Background(), sysArgs{N: 7}, jobs.EnqueueOpts{})
			require.NoError(t, err)
			done := await(t, events, r.ID, jobs.EventCompleted)
			require.Equal(t, int32(3), calls.Load())
			require.Equal(t, 3, done.Job.Attempt)
			require.Equal(t, jobs.StateCompleted, done.Job.State)
			require.Len(t, done.Job.Errors, 2)
			require.Contains(t, done.Job.Errors[0].Error, "attempt 1: boom")
			require.Contains(t, done.Job.Errors[1].Error, "attempt 2: boom")
			// The last attempt started no sooner than the backoff after the
			// second failure was recorded.
			require.GreaterOrEqual(t, done.Job.AttemptedAt.Sub(done.Job.Errors[1].At), backoff-10*time.Millisecond)

			v, _ := metric(t, b.reg, "valdrix_job_failures_total", map[string]string{"kind": "test.sys", "reason": "error"})
			require.Equal(t, 2.0, v)
			v, _ = metric(t, b.reg, "valdrix_job_duration_seconds", map[string]string{"kind": "test.sys", "outcome": "completed"})
			require.Equal(t, 1.0, v)
			v, _ = metric(t, b.reg, "valdrix_job_wait_seconds", map[string]string{"kind": "test.sys"})
			require.Equal(t, 3.0, v, "one wait per attempt")
		})
	}
}

func TestTimeoutCancelsAndRecordsTheFailure(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			b := newBundle(t, db, config(db, true), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{
					Timeout: 200 * time.Millisecond, MaxAttempts: 1,
					Work: func(ctx context.Context, j *jobs.Job[sysArgs]) error {
						require.False(t, j.Deadline.IsZero(), "the worker knows its deadline")
						<-ctx.Done() // a job that would run forever
						return ctx.Err()
					},
				})
			})
			events := watch(t, b.rt)
			r, err := b.rt.Enqueue(context.Background(), sysArgs{}, jobs.EnqueueOpts{})
			require.NoError(t, err)
			e := await(t, events, r.ID, jobs.EventFailed)
			require.Equal(t, jobs.StateDiscarded, e.Job.State, "its only attempt failed")
			require.Len(t, e.Job.Errors, 1)
			require.Contains(t, e.Job.Errors[0].Error, "test.sys job exceeded its 200ms timeout")
			v, _ := metric(t, b.reg, "valdrix_job_failures_total", map[string]string{"kind": "test.sys", "reason": "timeout"})
			require.Equal(t, 1.0, v)
			require.Contains(t, b.logs.String(), `"reason":"timeout"`)
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			started := make(chan int64, 1)
			b := newBundle(t, db, config(db, true), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{
					Timeout: time.Minute, MaxAttempts: 5,
					Work: func(ctx context.Context, j *jobs.Job[sysArgs]) error {
						started <- j.ID
						<-ctx.Done()
						return ctx.Err()
					},
				})
			})
			ctx := context.Background()
			events := watch(t, b.rt)

			// A waiting job is cancelled at once.
			waiting, err := b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{ScheduledAt: time.Now().Add(time.Hour)})
			require.NoError(t, err)
			in, err := b.rt.Cancel(ctx, waiting.ID)
			require.NoError(t, err)
			require.Equal(t, jobs.StateCancelled, in.State)

			// A running job has its context cancelled and is not retried.
			running, err := b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{})
			require.NoError(t, err)
			require.Equal(t, running.ID, <-started)
			_, err = b.rt.Cancel(ctx, running.ID)
			require.NoError(t, err)
			e := await(t, events, running.ID, jobs.EventCancelled)
			require.Equal(t, jobs.StateCancelled, e.Job.State)
			got, err := b.rt.Get(ctx, "", running.ID)
			require.NoError(t, err)
			require.Equal(t, jobs.StateCancelled, got.State)
			require.Equal(t, 1, got.Attempt)

			_, err = b.rt.Cancel(ctx, 987654)
			require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))

			// Retry runs a cancelled job again.
			in, err = b.rt.Retry(ctx, waiting.ID)
			require.NoError(t, err)
			require.Equal(t, jobs.StateAvailable, in.State)
			require.Equal(t, waiting.ID, <-started)
			_, err = b.rt.Cancel(ctx, waiting.ID)
			require.NoError(t, err)
			await(t, events, waiting.ID, jobs.EventCancelled)
		})
	}
}

func TestEnqueueTxJoinsTheStoreTransaction(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			b := newBundle(t, db, config(db, false), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[echoArgs]{Work: noop[echoArgs]})
			})
			ctx := context.Background()
			tn := tenant(t, db)

			_, err := b.rt.EnqueueTx(ctx, echoArgs{Tenant: tn}, jobs.EnqueueOpts{})
			require.Error(t, err, "no transaction in the context")

			err = db.Atomic(ctx, tn, func(ctx context.Context) error {
				_, err := b.rt.EnqueueTx(ctx, echoArgs{Tenant: tn, N: 1}, jobs.EnqueueOpts{Key: "rolled-back"})
				require.NoError(t, err)
				return errBoom
			})
			require.ErrorIs(t, err, errBoom)
			var id int64
			require.NoError(t, db.Atomic(ctx, tn, func(ctx context.Context) error {
				r, err := b.rt.EnqueueTx(ctx, echoArgs{Tenant: tn, N: 2}, jobs.EnqueueOpts{Key: "committed"})
				id = r.ID
				return err
			}))
			if dialect == store.SQLite {
				// Enqueue (not EnqueueTx) inside a transaction would wait for
				// SQLite's only writer connection forever; it is refused.
				err = db.Atomic(ctx, tn, func(ctx context.Context) error {
					_, err := b.rt.Enqueue(ctx, echoArgs{Tenant: tn, N: 3}, jobs.EnqueueOpts{})
					return err
				})
				require.ErrorContains(t, err, "use EnqueueTx")
			}
			all, _, err := b.rt.List(ctx, jobs.ListFilter{Tenant: tn})
			require.NoError(t, err)
			require.Len(t, all, 1, "the rolled-back job does not exist")
			require.Equal(t, id, all[0].ID)
			require.Equal(t, "committed", all[0].Key)
			require.JSONEq(t, fmt.Sprintf(`{"tenant_id":%q,"n":2}`, tn), string(all[0].Args))
		})
	}
}

func TestListFiltersAndTenants(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			b := newBundle(t, db, config(db, false), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[echoArgs]{Work: noop[echoArgs]})
				must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]})
			})
			ctx := context.Background()
			ta, tb := tenant(t, db), tenant(t, db)
			var aIDs []int64
			for i := range 5 {
				r, err := b.rt.Enqueue(ctx, echoArgs{Tenant: ta, N: i}, jobs.EnqueueOpts{})
				require.NoError(t, err)
				aIDs = append(aIDs, r.ID)
			}
			rb, err := b.rt.Enqueue(ctx, echoArgs{Tenant: tb}, jobs.EnqueueOpts{})
			require.NoError(t, err)
			_, err = b.rt.Enqueue(ctx, sysArgs{}, jobs.EnqueueOpts{ScheduledAt: time.Now().Add(time.Hour)})
			require.NoError(t, err)

			// A tenant sees its own jobs, newest first, page by page.
			page1, next, err := b.rt.List(ctx, jobs.ListFilter{Tenant: ta, Limit: 3})
			require.NoError(t, err)
			require.Len(t, page1, 3)
			require.NotEmpty(t, next)
			page2, next2, err := b.rt.List(ctx, jobs.ListFilter{Tenant: ta, Limit: 3, Cursor: next})
			require.NoError(t, err)
			require.Empty(t, next2)
			require.Len(t, page2, 2)
			var got []int64
			for _, j := range append(page1, page2...) {
				got = append(got, j.ID)
				require.Equal(t, ta, j.Tenant)
				require.Equal(t, "test.echo", j.Kind)
			}
			require.Equal(t, []int64{aIDs[4], aIDs[3], aIDs[2], aIDs[1], aIDs[0]}, got)

			_, err = b.rt.Get(ctx, ta, rb.ID)
			require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err), "another tenant's job is not found")
			in, err := b.rt.Get(ctx, tb, rb.ID)
			require.NoError(t, err)
			require.Equal(t, tb, in.Tenant)

			// The operator sees everything, and filters.
			all, _, err := b.rt.List(ctx, jobs.ListFilter{})
			require.NoError(t, err)
			require.Len(t, all, 7)
			sched, _, err := b.rt.List(ctx, jobs.ListFilter{States: []jobs.State{jobs.StateScheduled}})
			require.NoError(t, err)
			require.Len(t, sched, 1)
			require.Equal(t, "test.sys", sched[0].Kind)
			echo, _, err := b.rt.List(ctx, jobs.ListFilter{Kinds: []string{"test.echo"}, States: []jobs.State{jobs.StateAvailable}})
			require.NoError(t, err)
			require.Len(t, echo, 6)

			for _, bad := range []jobs.ListFilter{
				{States: []jobs.State{"stuck"}}, {Kinds: []string{"DROP TABLE"}}, {Cursor: "x"}, {Limit: 501}, {Tenant: "nope"},
			} {
				_, _, err := b.rt.List(ctx, bad)
				require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), "%+v", bad)
			}
			_, err = b.rt.Enqueue(ctx, echoArgs{Tenant: "not-a-tenant"}, jobs.EnqueueOpts{})
			require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
		})
	}
}

func TestRegisterRules(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.SQLite)
	cfg := config(db, false)
	rt, err := jobs.New(cfg)
	require.NoError(t, err)
	require.NoError(t, jobs.Register(rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]}))
	require.ErrorContains(t, jobs.Register(rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]}), "registered twice")
	require.ErrorContains(t, jobs.Register(rt, jobs.Kind[echoArgs]{}), "no Work")
	require.ErrorContains(t, jobs.Register(rt, jobs.Kind[echoArgs]{Work: noop[echoArgs], Timeout: 31 * time.Minute}), "at most half of the rescue delay")
	_, err = rt.Enqueue(context.Background(), echoArgs{}, jobs.EnqueueOpts{})
	require.Equal(t, valdrix.EINTERNAL, valdrix.ErrorCode(err), "an unregistered kind cannot be enqueued")

	cfg.Timeouts = map[string]time.Duration{"scan": 45 * time.Minute}
	_, err = jobs.New(cfg)
	require.ErrorContains(t, err, "job-timeouts")
}

func TestTimeoutOfAnUnknownKindIsRefused(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.SQLite)
	cfg := config(db, true)
	cfg.Timeouts = map[string]time.Duration{"valdrix.scna": time.Minute}
	rt, err := jobs.New(cfg)
	require.NoError(t, err)
	require.NoError(t, jobs.Register(rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]}))
	err = rt.Start(t.Context())
	require.ErrorContains(t, err, "no job kind named valdrix.scna")
	require.Equal(t, "job-timeouts", valdrix.ErrorField(err))
}

func TestExponential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		attempt int
		want    time.Duration
	}{
		{name: "first", attempt: 1, want: 10 * time.Second},
		{name: "second", attempt: 2, want: 20 * time.Second},
		{name: "fifth", attempt: 5, want: 160 * time.Second},
		{name: "capped", attempt: 30, want: time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, jobs.Exponential(10*time.Second, time.Hour)(tt.attempt))
		})
	}
}
