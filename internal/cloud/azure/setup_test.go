package azure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type testBundle struct {
	sim      *cloudsim.Sim
	estate   *cloudsim.Estate
	p        *Provider
	conn     cloud.Connection
	accts    []int // estate indices of the connection's subscriptions
	clientID string
}

type setupOpts struct {
	resources int
	regions   int
	cfg       func(*Config)
	app       func(*cloudsim.AzureApp)
}

const testSecret = "app-secret-value"

func setup(t *testing.T, opts ...func(*setupOpts)) testBundle {
	t.Helper()
	o := setupOpts{resources: 1200, regions: 3}
	for _, f := range opts {
		f(&o)
	}
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 42, Resources: o.resources, AzureRegions: o.regions, AzureSubscriptions: 2,
		Mix: map[valdrix.Provider]float64{valdrix.Azure: 1},
	}})
	require.NoError(t, err)
	require.NoError(t, sim.Start(t.Context()))
	t.Cleanup(func() { _ = sim.Close() })
	sim.SetRetryAfter(10 * time.Millisecond)
	e := sim.Estate()
	app := cloudsim.AzureApp{ClientID: "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b", ClientSecret: testSecret}
	if o.app != nil {
		o.app(&app)
	}
	require.NoError(t, sim.RegisterAzureApp(app))
	cfg := Config{
		Endpoint: sim.Endpoints().Azure, HTTPClient: sim.TLSClient(),
		RetryDelay: 5 * time.Millisecond, MaxRetryDelay: 200 * time.Millisecond, MaxRetries: 3, RateLimit: 10000, RateBurst: 10000,
		Clock: valdrix.ClockFunc(func() time.Time { return e.Now }),
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	accts := e.AccountsOf(valdrix.Azure)
	var subs []string
	for _, a := range accts {
		subs = append(subs, e.Accounts[a].ID)
	}
	conn := cloud.Connection{ID: "conn-az", TenantID: "tenant-1", Provider: valdrix.Azure, Name: "azure prod", Azure: &cloud.AzureConnection{
		TenantID: sim.AzureTenantID(), ClientID: app.ClientID, ClientSecret: testSecret, Subscriptions: subs,
	}}
	return testBundle{sim: sim, estate: e, p: p, conn: conn, accts: accts, clientID: app.ClientID}
}

// want returns the expected inventory: the estate's canonical resources of
// the connection's subscriptions, in the given regions (all when none).
func (b testBundle) want(regions ...string) []cloud.Resource {
	var w []cloud.Resource
	for _, a := range b.accts {
		w = append(w, b.estate.CanonicalResources(a, regions...)...)
	}
	return w
}

// count returns how many resources of kind k the connection has in region
// (every region when empty).
func (b testBundle) count(k cloudsim.Kind, region string) int {
	n := 0
	for _, a := range b.accts {
		for _, ci := range b.estate.Accounts[a].Cells {
			c := &b.estate.Cells[ci]
			if region != "" && c.Region != region {
				continue
			}
			lo, hi := c.Span(k)
			n += hi - lo
		}
	}
	return n
}

// addExport delivers the estate's Cost Management export to a storage
// account and configures the connection to read it.
func (b *testBundle) addExport(t *testing.T) cloudsim.AzureCostExport {
	t.Helper()
	x := cloudsim.AzureCostExport{StorageAccount: "acmecostexports", Container: "cost-exports", Prefix: "valdrix", RowsPerFile: 4000}
	require.NoError(t, b.sim.AddAzureCostExport(x))
	b.conn.Azure.StorageAccount, b.conn.Azure.Container, b.conn.Azure.ExportPrefix = x.StorageAccount, x.Container, x.Prefix
	return x
}
