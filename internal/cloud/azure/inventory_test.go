package azure

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
	b.addExport(t)
	denied := b.conn
	denied.ID = "conn-denied"
	az := *b.conn.Azure
	az.ClientSecret = "not-the-secret"
	denied.Azure = &az
	cloudtest.Exercise(t, cloudtest.Subject{
		Provider: valdrix.Azure, Inventory: b.p, Tester: b.p, Metrics: b.p, CostSource: b.p,
		Conn: b.conn, DeniedConn: denied, Want: b.want(), MetricQueries: b.metricQueries(t),
	})
}

func TestInventoryCoversEveryType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete, "%+v", rep.Failed())
	require.Equal(t, "resource-graph", rep.Method)
	types := map[string]int{}
	for _, r := range got {
		types[r.Type]++
	}
	for _, k := range cloudsim.Kinds(valdrix.Azure) {
		require.Positive(t, types[k.Type()], "inventory has %s", k.Type())
		require.Equal(t, b.count(k, ""), types[k.Type()], "every %s is found", k.Type())
	}
	require.Len(t, rep.Items, len(b.estate.Regions(valdrix.Azure))*len(Services()), "one item per region and service")
}

func TestInventoryPagesResourceGraph(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.cfg = func(c *Config) { c.PageSize = 7 } })
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Len(t, got, len(b.want()), "every page of every query is read")
}

func TestInventoryFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault func(b testBundle) cloudsim.Fault
		check func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, hits int)
	}{
		{
			name: "throttling is retried",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "resourcegraph", Region: b.estate.Regions(valdrix.Azure)[0], Times: 2}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, hits int) {
				require.True(t, rep.Complete, "%+v", rep.Failed())
				require.Equal(t, 2, hits)
				require.Len(t, got, len(b.want()))
			},
		},
		{
			name: "throttling that never ends fails one region",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "resourcegraph", Region: b.estate.Regions(valdrix.Azure)[1]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				region := b.estate.Regions(valdrix.Azure)[1]
				requireRegionFailed(t, rep, region, valdrix.EUNAVAILABLE)
				require.Len(t, got, len(b.want())-len(b.want(region)))
				for _, it := range rep.Failed() {
					require.Contains(t, it.Message, "throttled")
				}
			},
		},
		{
			name: "access denied names the missing permission",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "resourcegraph", Region: b.estate.Regions(valdrix.Azure)[2]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				region := b.estate.Regions(valdrix.Azure)[2]
				requireRegionFailed(t, rep, region, valdrix.EFORBIDDEN)
				for _, it := range rep.Failed() {
					require.Equal(t, "Microsoft.ResourceGraph/resources/read", it.MissingPermission)
					require.Contains(t, it.Message, "Microsoft.ResourceGraph/resources/read")
				}
				require.Len(t, got, len(b.want())-len(b.want(region)))
			},
		},
		{
			name: "a region that is down gives partial results",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDown, Service: "resourcegraph", Region: b.estate.Regions(valdrix.Azure)[0]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				region := b.estate.Regions(valdrix.Azure)[0]
				requireRegionFailed(t, rep, region, valdrix.EUNAVAILABLE)
				for _, r := range got {
					require.NotEqual(t, region, r.Region)
				}
				require.Len(t, got, len(b.want())-len(b.want(region)))
			},
		},
		{
			name: "a refused connection gives partial results",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultRefuse, Service: "resourcegraph", Region: b.estate.Regions(valdrix.Azure)[1]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				region := b.estate.Regions(valdrix.Azure)[1]
				requireRegionFailed(t, rep, region, valdrix.EUNAVAILABLE)
				require.Len(t, got, len(b.want())-len(b.want(region)))
			},
		},
		{
			name: "a malformed page fails the region's services",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultMalformed, Service: "resourcegraph", Region: b.estate.Regions(valdrix.Azure)[0]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				region := b.estate.Regions(valdrix.Azure)[0]
				requireRegionFailed(t, rep, region, valdrix.EUNAVAILABLE)
				require.Len(t, got, len(b.want())-len(b.want(region)))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.sim.Faults().Add(tt.fault(b))
			got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
			require.NoError(t, err, "a partial scan is not an error")
			tt.check(t, b, got, rep, b.sim.Faults().Hits(id))
		})
	}
}

// requireRegionFailed checks that exactly the services of region failed,
// with code.
func requireRegionFailed(t *testing.T, rep cloud.DiscoveryReport, region, code string) {
	t.Helper()
	require.False(t, rep.Complete, "a partial scan is never complete")
	failed := rep.Failed()
	require.NotEmpty(t, failed)
	for _, it := range failed {
		require.Equal(t, region, it.Region, "%+v", it)
		require.Equal(t, code, it.Code, "%+v", it)
		require.Equal(t, cloud.ScanFailed, it.Status)
		require.NotEmpty(t, it.Message)
	}
}

func TestInventorySubscriptionWithoutReader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Reader on the first subscription only.
	readable := b.conn.Azure.Subscriptions[0]
	require.NoError(t, b.sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: b.clientID, ClientSecret: testSecret, Subscriptions: []string{readable}}))
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err, "the readable subscription is scanned")
	require.False(t, rep.Complete)
	failed := rep.Failed()
	require.Len(t, failed, 1)
	require.Equal(t, "subscriptions", failed[0].Service)
	require.Equal(t, valdrix.EFORBIDDEN, failed[0].Code)
	require.Equal(t, "Microsoft.Resources/subscriptions/read", failed[0].MissingPermission)
	require.Contains(t, failed[0].Message, b.conn.Azure.Subscriptions[1])
	require.Len(t, got, len(b.estate.CanonicalResources(b.accts[0])))
	for _, r := range got {
		require.Equal(t, readable, r.AccountID)
	}

	require.NoError(t, b.sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: b.clientID, ClientSecret: testSecret, Subscriptions: []string{}}))
	got, rep, err = cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.Equal(t, valdrix.EFORBIDDEN, valdrix.ErrorCode(err), "nothing readable: the scan fails")
	require.Empty(t, got)
	require.False(t, rep.Complete)
}

func TestInventoryScanTimeout(t *testing.T) {
	t.Parallel()
	// The healthy regions must finish well inside the timeout even under
	// -race on a loaded machine (1.5 s was not always enough); the faulted
	// one waits it out.
	b := setup(t, func(o *setupOpts) { o.cfg = func(c *Config) { c.ScanTimeout = 5 * time.Second } })
	region := b.estate.Regions(valdrix.Azure)[1]
	b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultTimeout, Service: "resourcegraph", Region: region})
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err, "the scan ends with what it has")
	require.False(t, rep.Complete)
	failed := rep.Failed()
	require.NotEmpty(t, failed)
	for _, it := range failed {
		require.Equal(t, cloud.ScanTimeout, it.Status)
		require.Equal(t, region, it.Region)
	}
	require.Len(t, got, len(b.want())-len(b.want(region)), "the other regions are complete")
}

func TestInventoryRegionAndServiceFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	region := b.estate.Regions(valdrix.Azure)[1]
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Regions: []string{region}, Services: []string{"network", "sql"}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Len(t, rep.Items, 2)
	require.Len(t, got, b.count(cloudsim.AzurePublicIP, region)+b.count(cloudsim.AzureNetworkInterface, region)+
		b.count(cloudsim.AzureLoadBalancer, region)+b.count(cloudsim.AzureSQLDatabase, region))
}

func TestCredentialsAreCachedPerConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 3 {
		_, _, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"sql"}})
		require.NoError(t, err)
	}
	require.Equal(t, 1, b.sim.AzureTokenCount(), "one token is reused across scans and regions until it expires")
	other := b.conn
	other.ID = "conn-2"
	_, _, err := cloudtest.Collect(t.Context(), b.p, other, cloud.DiscoverOpts{Services: []string{"sql"}})
	require.NoError(t, err)
	require.Equal(t, 2, b.sim.AzureTokenCount(), "each connection has its own credential")
}

func TestInventoryOfAnEmptyRegionIsComplete(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) { o.resources = 300 })
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Regions: []string{"brazilsouth"}})
	require.NoError(t, err)
	require.Empty(t, got)
	require.True(t, rep.Complete, "nothing there is a complete answer")
}
