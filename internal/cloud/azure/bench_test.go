package azure

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

// BenchmarkInventory inventories a simulated Azure estate of
// VALDRIX_BENCH_RESOURCES resources (default 100,000) in 16 regions and 4
// subscriptions through Resource Graph. The simulator runs in the same
// process, so the time includes rendering the pages.
//
//	go test ./internal/cloud/azure -run '^$' -bench Inventory -benchtime 1x
func BenchmarkInventory(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("VALDRIX_BENCH_RESOURCES")); err == nil {
		n = v
	}
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 1, Resources: n, AzureRegions: 16, AzureSubscriptions: 4, Mix: map[valdrix.Provider]float64{valdrix.Azure: 1},
	}})
	require.NoError(b, err)
	require.NoError(b, sim.Start(b.Context()))
	defer sim.Close()
	app := cloudsim.AzureApp{ClientID: "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b", ClientSecret: "bench"}
	require.NoError(b, sim.RegisterAzureApp(app))
	e := sim.Estate()
	var subs []string
	for _, a := range e.AccountsOf(valdrix.Azure) {
		subs = append(subs, e.Accounts[a].ID)
	}
	p, err := New(Config{Endpoint: sim.Endpoints().Azure, HTTPClient: sim.TLSClient(), RegionConcurrency: 8, ServiceConcurrency: 5,
		RateLimit: 100000, RateBurst: 100000, ScanTimeout: 10 * time.Minute})
	require.NoError(b, err)
	conn := cloud.Connection{ID: "bench", TenantID: "bench", Provider: valdrix.Azure, Name: "bench", Azure: &cloud.AzureConnection{
		TenantID: sim.AzureTenantID(), ClientID: app.ClientID, ClientSecret: "bench", Subscriptions: subs}}
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
}
