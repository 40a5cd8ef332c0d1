package gcp

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type testBundle struct {
	sim    *cloudsim.Sim
	estate *cloudsim.Estate
	p      *Provider
	conn   cloud.Connection
	accts  []int // estate indices of the connection's projects
}

type setupOpts struct {
	resources int
	cfg       func(*Config)
	account   cloudsim.GCPServiceAccount
}

func setup(t *testing.T, opts ...func(*setupOpts)) testBundle {
	t.Helper()
	o := setupOpts{resources: 900}
	for _, f := range opts {
		f(&o)
	}
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 42, Resources: o.resources, GCPRegions: 3, GCPProjects: 2, Mix: map[valdrix.Provider]float64{valdrix.GCP: 1},
	}})
	require.NoError(t, err)
	require.NoError(t, sim.Start(t.Context()))
	t.Cleanup(func() { _ = sim.Close() })
	sim.SetRetryAfter(10 * time.Millisecond)
	e := sim.Estate()
	key, err := sim.GCPServiceAccountKey(o.account)
	require.NoError(t, err)
	cfg := Config{
		Endpoint: sim.Endpoints().GCP, RetryBaseDelay: 5 * time.Millisecond, RetryMaxBackoff: 50 * time.Millisecond, RetryMaxAttempts: 4,
		RateLimit: 10000, RateBurst: 10000, Clock: valdrix.ClockFunc(func() time.Time { return e.Now }),
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	accts := e.AccountsOf(valdrix.GCP)
	var projects []string
	for _, a := range accts {
		projects = append(projects, e.Accounts[a].ID)
	}
	conn := cloud.Connection{ID: "conn-gcp", TenantID: "tenant-1", Provider: valdrix.GCP, Name: "gcp prod", GCP: &cloud.GCPConnection{
		ServiceAccountKey: key, Projects: projects, BillingTable: sim.GCPBillingTable(),
	}}
	return testBundle{sim: sim, estate: e, p: p, conn: conn, accts: accts}
}

// want returns the expected inventory of the connection's projects, in the
// given regions (all when none).
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
	for _, r := range b.want() {
		if r.Type == k.Type() && (region == "" || r.Region == region) {
			n++
		}
	}
	return n
}

// deniedKey returns the connection's key with another key id: the
// simulator, like Google for a deleted key, refuses it.
func (b testBundle) deniedKey(t *testing.T) cloud.SecretBytes {
	t.Helper()
	var k map[string]any
	require.NoError(t, json.Unmarshal(b.conn.GCP.ServiceAccountKey, &k))
	k["private_key_id"] = "0000000000000000000000000000000000000000"
	raw, err := json.Marshal(k)
	require.NoError(t, err)
	return raw
}

// disableAssets turns the Cloud Asset API off in every project.
func (b testBundle) disableAssets() {
	for _, p := range b.conn.GCP.Projects {
		b.sim.DisableGCPAPI(p, "cloudasset")
	}
}
