package api_test

import (
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// BenchmarkGetMeAPIKey measures GET /api/v1/me with API-key authentication
// over loopback TCP against a real server, client and server in one process,
// with 32 concurrent keep-alive connections. It reports requests per second
// and latency percentiles. Rate limits and the access log are off, as a
// load test would configure them.
//
//	go test -run '^$' -bench GetMeAPIKey -benchtime 200000x ./internal/api/
func BenchmarkGetMeAPIKey(b *testing.B) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			cfg := dialectConfig(b, dialect)
			cfg.AccessLog, cfg.LogLevel = false, "error"
			e := newEnv(b, cfg)
			_, ids := e.seedTenant("Bench")
			key := "Bearer " + ids[valdrix.RoleViewer].apiKey
			const workers = 32
			tr := &http.Transport{MaxIdleConns: workers, MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}
			client := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			get := func() (time.Duration, error) {
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/me", nil)
				req.Header.Set("Authorization", key)
				start := time.Now()
				res, err := client.Do(req)
				if err != nil {
					return 0, err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					return 0, errStatus(res.StatusCode)
				}
				return time.Since(start), nil
			}
			for range 200 { // warm connections and caches
				_, err := get()
				require.NoError(b, err)
			}
			var next atomic.Int64
			lat := make([][]time.Duration, workers)
			var wg sync.WaitGroup
			var failed atomic.Value
			b.ResetTimer()
			start := time.Now()
			for w := range workers {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						d, err := get()
						if err != nil {
							failed.Store(err)
							return
						}
						lat[w] = append(lat[w], d)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if err, _ := failed.Load().(error); err != nil {
				b.Fatal(err)
			}
			all := slices.Concat(lat...)
			slices.Sort(all)
			pct := func(p float64) float64 { return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000 }
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

type errStatus int

func (e errStatus) Error() string { return "unexpected status " + http.StatusText(int(e)) }
