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
)

// TestRescueOfAJobWhoseWorkerDied: a row left running by a dead process
// (attempted long ago, nobody working it) is rescued by the leader and
// completes on this runtime, counted as rescued.
func TestRescueOfAJobWhoseWorkerDied(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			db := openDB(t, dialect)
			// The dead process's runtime: it only writes the orphaned row.
			dead := newBundle(t, db, config(db, false), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]})
			})
			id, err := jobs.InsertRunningForTest(context.Background(), dead.rt, sysArgs{N: 1}, time.Now().Add(-time.Hour))
			require.NoError(t, err)

			var (
				ran    atomic.Int32
				events *watcher
			)
			cfg := config(db, true)
			cfg.RescueAfter = 2 * time.Second
			b := newBundle(t, db, cfg, func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{
					Timeout: 500 * time.Millisecond, Backoff: func(int) time.Duration { return 10 * time.Millisecond },
					Work: func(context.Context, *jobs.Job[sysArgs]) error { ran.Add(1); return nil },
				})
				events = watch(t, rt)
			})
			e := await(t, events, id, jobs.EventCompleted)
			require.Equal(t, int32(1), ran.Load())
			require.Equal(t, 2, e.Job.Attempt, "the dead attempt counts")
			require.Len(t, e.Job.Errors, 1)
			require.Contains(t, e.Job.Errors[0].Error, "rescued")
			v, _ := metric(t, b.reg, "valdrix_jobs_rescued_total", map[string]string{"kind": "test.sys"})
			require.Equal(t, 1.0, v)
		})
	}
}

// TestJobOfAStoppedRuntimeCompletesOnAnother: a runtime stopped hard while
// a job runs gives the job back (no attempt lost) and another runtime on the
// same database completes it.
func TestJobOfAStoppedRuntimeCompletesOnAnother(t *testing.T) {
	t.Parallel()
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			var dbA, dbB *store.DB
			if dialect == store.Postgres {
				nodes := openPGNodes(t, 2)
				dbA, dbB = nodes[0], nodes[1]
			} else {
				dbA = openDB(t, dialect)
				dbB = dbA // one process per SQLite file: the second runtime shares it
			}
			started := make(chan struct{}, 1)
			cfgA := config(dbA, true)
			cfgA.ShutdownTimeout = 50 * time.Millisecond
			a := newBundle(t, dbA, cfgA, func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{Work: func(ctx context.Context, _ *jobs.Job[sysArgs]) error {
					started <- struct{}{}
					<-ctx.Done() // a long job, cut short
					return ctx.Err()
				}})
			})
			r, err := a.rt.Enqueue(context.Background(), sysArgs{N: 9}, jobs.EnqueueOpts{})
			require.NoError(t, err)
			<-started
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // no patience: stop hard
			require.NoError(t, a.rt.Stop(ctx))

			b := newBundle(t, dbB, config(dbB, true), func(rt *jobs.Runtime) {
				must(t, rt, jobs.Kind[sysArgs]{Work: noop[sysArgs]})
			})
			events := watch(t, b.rt)
			in, err := b.rt.Get(context.Background(), "", r.ID)
			require.NoError(t, err)
			if in.State != jobs.StateCompleted {
				e := await(t, events, r.ID, jobs.EventCompleted)
				in = e.Job
			}
			require.Equal(t, jobs.StateCompleted, in.State)
			require.Empty(t, in.Errors, "an interrupted attempt is not a failure")
		})
	}
}

// TestEachJobRunsExactlyOnceAcrossRuntimes works jobs with three runtimes
// on one PostgreSQL (the benchmark runs 2,000).
func TestEachJobRunsExactlyOnceAcrossRuntimes(t *testing.T) {
	t.Parallel()
	runs, elapsed := runAcrossRuntimes(t, 3, 300)
	t.Logf("300 jobs on 3 runtimes in %s", elapsed)
	require.Len(t, runs, 300)
	for id, n := range runs {
		require.Equal(t, 1, n, "job %d ran %d times", id, n)
	}
}

// runAcrossRuntimes enqueues n jobs and works them with k runtimes on one
// PostgreSQL database; it returns how often each job ran and how long the
// whole took.
func runAcrossRuntimes(t testing.TB, k, n int) (map[int64]int, time.Duration) {
	t.Helper()
	nodes := openPGNodes(t, k)
	var (
		mu   sync.Mutex
		runs = map[int64]int{}
		done = make(chan struct{})
	)
	work := func(_ context.Context, j *jobs.Job[sysArgs]) error {
		mu.Lock()
		defer mu.Unlock()
		runs[j.ID]++
		if len(runs) == n {
			close(done)
		}
		return nil
	}
	var rts []*jobs.Runtime
	for _, db := range nodes {
		cfg := config(db, true)
		cfg.MaxWorkers = 20
		cfg.ID = fmt.Sprintf("node-%d", len(rts))
		rt, err := jobs.New(cfg)
		require.NoError(t, err)
		require.NoError(t, jobs.Register(rt, jobs.Kind[sysArgs]{Work: work}))
		rts = append(rts, rt)
	}
	reqs := make([]jobs.Request, n)
	for i := range reqs {
		reqs[i] = jobs.Request{Args: sysArgs{N: i}, Opts: jobs.EnqueueOpts{Key: fmt.Sprintf("job-%d", i)}}
	}
	start := time.Now()
	for _, rt := range rts {
		require.NoError(t, rt.Start(context.Background()))
		t.Cleanup(func() { _ = rt.Stop(context.Background()) })
	}
	_, err := rts[0].EnqueueMany(context.Background(), reqs)
	require.NoError(t, err)
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("only %d of %d jobs ran", len(runs), n)
	}
	elapsed := time.Since(start)
	// Stop every runtime, then count: a job run twice would show now.
	for _, rt := range rts {
		require.NoError(t, rt.Stop(context.Background()))
	}
	mu.Lock()
	defer mu.Unlock()
	out := make(map[int64]int, len(runs))
	for id, c := range runs {
		out[id] = c
	}
	return out, elapsed
}
