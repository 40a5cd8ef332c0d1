package gcp

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// BenchmarkInventory inventories a simulated GCP estate of
// VALDRIX_BENCH_RESOURCES resources (default 100,000) in 15 regions and 4
// projects, with Cloud Asset Inventory ("assets") and with the Compute and
// SQL Admin lists ("lists"). The simulator runs in the same process, so the
// time includes rendering the pages.
//
//	go test ./internal/cloud/gcp -run '^$' -bench Inventory -benchtime 1x
func BenchmarkInventory(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("VALDRIX_BENCH_RESOURCES")); err == nil {
		n = v
	}
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 1, Resources: n, GCPRegions: 15, GCPProjects: 4, Mix: map[valdrix.Provider]float64{valdrix.GCP: 1},
	}})
	require.NoError(b, err)
	require.NoError(b, sim.Start(b.Context()))
	defer sim.Close()
	key, err := sim.GCPServiceAccountKey(cloudsim.GCPServiceAccount{})
	require.NoError(b, err)
	e := sim.Estate()
	var projects []string
	for _, a := range e.AccountsOf(valdrix.GCP) {
		projects = append(projects, e.Accounts[a].ID)
	}
	p, err := New(Config{Endpoint: sim.Endpoints().GCP, ProjectConcurrency: 4, RateLimit: 100000, RateBurst: 100000, ScanTimeout: 10 * time.Minute})
	require.NoError(b, err)
	conn := cloud.Connection{ID: "bench", TenantID: "bench", Provider: valdrix.GCP, Name: "bench",
		GCP: &cloud.GCPConnection{ServiceAccountKey: key, Projects: projects}}
	for _, mode := range []string{"assets", "lists"} {
		b.Run(mode, func(b *testing.B) {
			if mode == "lists" {
				for _, pr := range projects {
					sim.DisableGCPAPI(pr, "cloudasset")
				}
			}
			for b.Loop() {
				var count atomic.Int64
				start := time.Now()
				rep, err := p.Discover(b.Context(), conn, cloud.DiscoverOpts{}, func(_ context.Context, rs []cloud.Resource) error {
					count.Add(int64(len(rs)))
					return nil
				})
				require.NoError(b, err)
				require.True(b, rep.Complete, "%+v", rep.Failed())
				require.Equal(b, int64(n), count.Load())
				b.ReportMetric(time.Since(start).Seconds(), "s/scan")
				b.ReportMetric(float64(count.Load()), "resources")
			}
		})
	}
}
