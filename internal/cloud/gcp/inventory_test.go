package gcp

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/cloudtest"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestExercise(t *testing.T) {
	t.Parallel()
	b := setup(t)
	denied := b.conn
	denied.ID = "conn-denied"
	g := *b.conn.GCP
	g.ServiceAccountKey = b.deniedKey(t)
	denied.GCP = &g
	cloudtest.Exercise(t, cloudtest.Subject{
		Provider: valdrix.GCP, Inventory: b.p, Tester: b.p, Metrics: b.p, CostSource: b.p,
		Conn: b.conn, DeniedConn: denied, Want: b.want(), MetricQueries: b.metricQueries(t),
	})
}

func TestInventoryCoversEveryType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method string
		assets       bool
	}{
		{name: "cloud asset inventory", method: "asset-inventory", assets: true},
		{name: "compute and sqladmin lists", method: "list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if !tt.assets {
				b.disableAssets()
			}
			got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
			require.NoError(t, err)
			require.True(t, rep.Complete, "%+v", rep.Failed())
			require.Equal(t, tt.method, rep.Method)
			types := map[string]int{}
			for _, r := range got {
				types[r.Type]++
			}
			for _, k := range cloudsim.Kinds(valdrix.GCP) {
				require.Positive(t, types[k.Type()], "inventory has %s", k.Type())
				require.Equal(t, b.count(k, ""), types[k.Type()], "every %s is found", k.Type())
			}
			withImage := 0
			for _, r := range got {
				if _, ok := r.Attrs["source_image"]; ok {
					withImage++
				}
			}
			require.Positive(t, withImage, "instances get their image from their boot disk")
		})
	}
}

func TestInventoryFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		noAssets  bool
		fault     func(b testBundle) cloudsim.Fault
		wantItems func(b testBundle) map[[2]string]string // failed (region, service) → code
		wantGot   func(b testBundle) int
		check     func(t *testing.T, b testBundle, rep cloud.DiscoveryReport, hits int)
	}{
		{
			name: "throttling is retried",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "cloudasset", Account: b.conn.GCP.Projects[0], Times: 2}
			},
			wantItems: func(testBundle) map[[2]string]string { return nil },
			wantGot:   func(b testBundle) int { return len(b.want()) },
			check: func(t *testing.T, _ testBundle, rep cloud.DiscoveryReport, hits int) {
				require.Equal(t, 2, hits)
				require.Equal(t, "asset-inventory", rep.Method)
			},
		},
		{
			name: "throttling that never ends: the project is listed another way",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "cloudasset", Account: b.conn.GCP.Projects[1]}
			},
			wantItems: func(testBundle) map[[2]string]string {
				return map[[2]string]string{{"global", "cloudasset"}: valdrix.EUNAVAILABLE}
			},
			wantGot: func(b testBundle) int { return len(b.want()) },
			check: func(t *testing.T, _ testBundle, _ cloud.DiscoveryReport, hits int) {
				require.Equal(t, 4, hits, "RetryMaxAttempts attempts")
			},
		},
		{
			name: "access denied names the missing permission",
			fault: func(testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "cloudasset"}
			},
			wantItems: func(testBundle) map[[2]string]string {
				return map[[2]string]string{{"global", "cloudasset"}: valdrix.EFORBIDDEN}
			},
			wantGot: func(b testBundle) int { return len(b.want()) },
			check: func(t *testing.T, _ testBundle, rep cloud.DiscoveryReport, _ int) {
				require.Equal(t, "list", rep.Method, "every project was listed with the other APIs")
				for _, it := range rep.Failed() {
					require.Equal(t, "cloudasset.assets.listResource", it.MissingPermission)
					require.Contains(t, it.Message, "cloudasset.assets.listResource")
				}
			},
		},
		{
			name:     "a denied list call keeps the other services",
			noAssets: true,
			fault: func(testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "compute", Operation: "AggregatedListDisks"}
			},
			wantItems: func(testBundle) map[[2]string]string {
				return map[[2]string]string{{"global", "compute"}: valdrix.EFORBIDDEN}
			},
			wantGot: func(b testBundle) int {
				return b.count(cloudsim.GCPInstance, "") + b.count(cloudsim.GCPSQLInstance, "")
			},
			check: func(t *testing.T, _ testBundle, rep cloud.DiscoveryReport, _ int) {
				for _, it := range rep.Failed() {
					require.Equal(t, "compute.disks.list", it.MissingPermission)
				}
			},
		},
		{
			name:     "a region that is down gives partial results",
			noAssets: true,
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDown, Region: b.estate.Regions(valdrix.GCP)[1]}
			},
			wantItems: func(b testBundle) map[[2]string]string {
				r := b.estate.Regions(valdrix.GCP)[1]
				return map[[2]string]string{{r, "compute"}: valdrix.EUNAVAILABLE, {r, "sqladmin"}: valdrix.EUNAVAILABLE}
			},
			wantGot: func(b testBundle) int {
				r := b.estate.Regions(valdrix.GCP)[1]
				// Snapshots and images are listed globally: those stored in
				// the region are still found.
				return len(b.want()) - b.count(cloudsim.GCPInstance, r) - b.count(cloudsim.GCPDisk, r) - b.count(cloudsim.GCPAddress, r) - b.count(cloudsim.GCPSQLInstance, r)
			},
			check: func(t *testing.T, b testBundle, rep cloud.DiscoveryReport, _ int) {
				for _, it := range rep.Failed() {
					require.Contains(t, it.Message, "unreachable")
				}
			},
		},
		{
			name:     "a refused connection gives partial results",
			noAssets: true,
			fault: func(testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultRefuse, Service: "sqladmin"}
			},
			wantItems: func(testBundle) map[[2]string]string {
				return map[[2]string]string{{"global", "sqladmin"}: valdrix.EUNAVAILABLE}
			},
			wantGot: func(b testBundle) int { return len(b.want()) - b.count(cloudsim.GCPSQLInstance, "") },
		},
		{
			name: "a malformed page: the project is listed another way",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultMalformed, Service: "cloudasset", Account: b.conn.GCP.Projects[0]}
			},
			wantItems: func(testBundle) map[[2]string]string {
				return map[[2]string]string{{"global", "cloudasset"}: valdrix.EUNAVAILABLE}
			},
			wantGot: func(b testBundle) int { return len(b.want()) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tt.noAssets {
				b.disableAssets()
			}
			id := b.sim.Faults().Add(tt.fault(b))
			got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
			require.NoError(t, err, "a partial scan is not an error")
			failed := map[[2]string]string{}
			for _, it := range rep.Failed() {
				failed[[2]string{it.Region, it.Service}] = it.Code
				require.NotEmpty(t, it.Message)
			}
			want := tt.wantItems(b)
			if len(want) == 0 {
				want = map[[2]string]string{}
			}
			require.Equal(t, want, failed)
			require.Equal(t, len(want) == 0, rep.Complete, "a partial scan is never complete")
			require.Len(t, got, tt.wantGot(b))
			if tt.check != nil {
				tt.check(t, b, rep, b.sim.Faults().Hits(id))
			}
		})
	}
}

func TestInventoryScanTimeout(t *testing.T) {
	t.Parallel()
	// The healthy regions must finish well inside the timeout even under
	// -race on a loaded machine (1.5 s was not always enough); the faulted
	// one waits it out.
	b := setup(t, func(o *setupOpts) { o.cfg = func(c *Config) { c.ScanTimeout = 5 * time.Second } })
	slow := b.conn.GCP.Projects[1]
	b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultTimeout, Service: "cloudasset", Account: slow})
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err, "the scan ends with what it has")
	require.False(t, rep.Complete)
	failed := rep.Failed()
	require.Len(t, failed, 1)
	require.Equal(t, cloud.ScanTimeout, failed[0].Status)
	require.Equal(t, "cloudasset", failed[0].Service)
	require.Len(t, got, len(b.estate.CanonicalResources(b.accts[0])), "the other project is complete")
	for _, r := range got {
		require.NotEqual(t, slow, r.AccountID)
	}
}

func TestInventoryRegionAndServiceFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	region := b.estate.Regions(valdrix.GCP)[1]
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Regions: []string{region}, Services: []string{"sqladmin"}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Len(t, got, b.count(cloudsim.GCPSQLInstance, region))
	for _, it := range rep.Items {
		require.Equal(t, [2]string{region, "sqladmin"}, [2]string{it.Region, it.Service})
	}
}

func TestCredentialsAreCachedPerConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 3 {
		_, _, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"sqladmin"}})
		require.NoError(t, err)
	}
	require.Equal(t, 1, b.sim.GCPTokenCount(), "one token is reused across scans and projects until it expires")
	other := b.conn
	other.ID = "conn-2"
	_, _, err := cloudtest.Collect(t.Context(), b.p, other, cloud.DiscoverOpts{Services: []string{"sqladmin"}})
	require.NoError(t, err)
	require.Equal(t, 2, b.sim.GCPTokenCount(), "each connection has its own credential")
}

func TestMachineVCPUs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mt   string
		want int
		ok   bool
	}{
		{name: "standard", mt: "n2-standard-4", want: 4, ok: true},
		{name: "shared core", mt: "e2-medium", want: 2, ok: true},
		{name: "micro", mt: "f1-micro", want: 1, ok: true},
		{name: "custom", mt: "custom-6-23040", want: 6, ok: true},
		{name: "family custom", mt: "n2-custom-8-16384", want: 8, ok: true},
		{name: "unknown", mt: "weird"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, ok := machineVCPUs(tt.mt)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, n)
		})
	}
}

func TestInventoryOfAnUnknownServiceIsEmpty(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.resources = 100 })
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"storage"}})
	require.NoError(t, err)
	require.Empty(t, got, "a service the inventory does not cover lists nothing (not everything)")
	require.Empty(t, rep.Items)

	got, rep, err = cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Regions: []string{"southamerica-east1"}})
	require.NoError(t, err)
	require.Empty(t, got)
	require.True(t, rep.Complete, "a region without resources is a complete answer")
}
