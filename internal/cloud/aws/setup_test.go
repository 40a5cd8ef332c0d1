package aws

import (
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
	acct   int // estate index of the connection's account
}

type setupOpts struct {
	resources int
	regions   int
	cfg       func(*Config)
}

func setup(t *testing.T, opts ...func(*setupOpts)) testBundle {
	t.Helper()
	o := setupOpts{resources: 2500, regions: 3}
	for _, f := range opts {
		f(&o)
	}
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 42, Resources: o.resources, AWSRegions: o.regions, AWSAccounts: 2,
		Mix: map[valdrix.Provider]float64{valdrix.AWS: 1},
	}})
	require.NoError(t, err)
	require.NoError(t, sim.Start(t.Context()))
	t.Cleanup(func() { _ = sim.Close() })
	ak, sk := sim.PlatformCredentials()
	cfg := Config{
		AccessKeyID: ak, SecretAccessKey: sk, Endpoint: sim.Endpoints().AWS,
		RetryMaxBackoff: 10 * time.Millisecond, RetryMaxAttempts: 4, DefaultRateLimit: 10000,
		Clock: valdrix.ClockFunc(func() time.Time { return sim.Estate().Now }),
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	e := sim.Estate()
	acct := e.AccountsOf(valdrix.AWS)[1] // a member account (the payer has few resources)
	id := e.Accounts[acct].ID
	conn := cloud.Connection{ID: "conn-1", TenantID: "tenant-1", Provider: valdrix.AWS, Name: "prod", AWS: &cloud.AWSConnection{
		AccountID: id, RoleARN: cloudsim.RoleARN(id), ExternalID: "vdx-external-1", Regions: e.Regions(valdrix.AWS),
	}}
	sim.TrustRole(conn.AWS.RoleARN, conn.AWS.ExternalID)
	return testBundle{sim: sim, estate: e, p: p, conn: conn, acct: acct}
}
