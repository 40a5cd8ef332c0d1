package jobs_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
)

// Acceptance benchmarks (docs/jobs.md lists figures):
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/jobs
//
// They need PostgreSQL (VALDRIX_TEST_PG_DSN).

// BenchmarkEnqueueUniqueDaily enqueues 10,000 unique daily jobs from three
// runtimes on one PostgreSQL at once — every runtime tries every key, as
// three planners would — and reports the duplicates (jobs beyond 10,000).
func BenchmarkEnqueueUniqueDaily(b *testing.B) {
	const keys = 10_000
	for _, mode := range []string{"batch", "single"} {
		b.Run(mode, func(b *testing.B) {
			nodes := openPGNodes(b, 3)
			rts := make([]*jobs.Runtime, len(nodes))
			for i, db := range nodes {
				rt, err := jobs.New(config(db, false))
				require.NoError(b, err)
				require.NoError(b, jobs.Register(rt, jobs.Kind[scanArgs]{Work: noop[scanArgs], Timeout: jobs.ScanTimeout}))
				rts[i] = rt
			}
			day := 0
			var total time.Duration
			for b.Loop() {
				day++
				start := time.Now()
				var wg sync.WaitGroup
				for _, rt := range rts {
					reqs := make([]jobs.Request, keys)
					for k := range reqs {
						reqs[k] = jobs.Request{Args: scanArgs{Connection: fmt.Sprintf("conn-%05d", k)},
							Opts: jobs.EnqueueOpts{Key: fmt.Sprintf("conn-%05d/day-%d", k, day), ScheduledAt: time.Now().Add(time.Hour)}}
					}
					if mode == "batch" {
						wg.Go(func() {
							for i := 0; i < keys; i += 1000 {
								_, err := rt.EnqueueMany(context.Background(), reqs[i:i+1000])
								require.NoError(b, err)
							}
						})
						continue
					}
					for w := range 8 { // eight callers per runtime
						wg.Go(func() {
							for i := w; i < keys; i += 8 {
								_, err := rt.Enqueue(context.Background(), reqs[i].Args, reqs[i].Opts)
								require.NoError(b, err)
							}
						})
					}
				}
				wg.Wait()
				total += time.Since(start)
			}
			var n int
			require.NoError(b, nodes[0].Pool().QueryRow(context.Background(), "SELECT count(*) FROM river_job").Scan(&n))
			b.ReportMetric(float64(n-keys*day), "duplicates")
			b.ReportMetric(total.Seconds()/float64(day), "s/10k-keys")
		})
	}
}

// BenchmarkExactlyOnce works 2,000 jobs with three runtimes on one
// PostgreSQL and reports jobs that ran more than once (must be 0).
func BenchmarkExactlyOnce(b *testing.B) {
	const n = 2000
	var total time.Duration
	iterations := 0
	for b.Loop() {
		runs, elapsed := runAcrossRuntimes(b, 3, n)
		iterations++
		total += elapsed
		dups := 0
		for _, c := range runs {
			if c != 1 {
				dups++
			}
		}
		require.Len(b, runs, n)
		b.ReportMetric(float64(dups), "repeated-jobs")
	}
	b.ReportMetric(total.Seconds()/float64(iterations), "s/2000-jobs")
}
