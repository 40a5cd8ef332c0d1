package inventory_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/aws"
	"github.com/valdrix/valdrix/internal/cloud/azure"
	"github.com/valdrix/valdrix/internal/cloud/gcp"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type bundle struct {
	db      *store.DB
	gov     *governance.Service
	inv     *inventory.Service
	sim     *cloudsim.Sim
	acct    string
	acctIdx int
}

var sys = governance.SystemActor("test")

func setup(t *testing.T, open storetest.Opener) bundle {
	t.Helper()
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 7, Resources: 600, AWSRegions: 2, AWSAccounts: 2, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1},
	}})
	require.NoError(t, err)
	require.NoError(t, sim.Start(t.Context()))
	t.Cleanup(func() { _ = sim.Close() })
	ak, sk := sim.PlatformCredentials()
	clock := valdrix.ClockFunc(func() time.Time { return sim.Estate().Now })
	p, err := aws.New(aws.Config{AccessKeyID: ak, SecretAccessKey: sk, Endpoint: sim.Endpoints().AWS,
		RetryMaxBackoff: 10 * time.Millisecond, RetryMaxAttempts: 3, DefaultRateLimit: 10000, Clock: clock})
	require.NoError(t, err)
	db := open(t)
	gov, err := governance.New(governance.Config{Store: db, Keyring: keyring.Generate(time.Now()), PasswordParams: governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	require.NoError(t, err)
	onboard := func(c inventory.Connection, ext string) (inventory.Onboarding, error) {
		cfn, err := aws.RenderTemplate("deploy/valdrix-role.cfn.yaml", aws.TemplateParams{ExternalID: ext, PlatformPrincipal: "arn:aws:iam::999999999999:user/valdrix"})
		return inventory.Onboarding{ExternalID: ext, CloudFormationTemplate: string(cfn)}, err
	}
	inv, err := inventory.New(inventory.Config{Store: db, Secrets: gov, Audit: gov, Onboarding: onboard,
		Adapters: cloud.Set{valdrix.AWS: {Inventory: p, Tester: p, Costs: p, Metrics: p}}})
	require.NoError(t, err)
	e := sim.Estate()
	idx := e.AccountsOf(valdrix.AWS)[1]
	return bundle{db: db, gov: gov, inv: inv, sim: sim, acct: e.Accounts[idx].ID, acctIdx: idx}
}

// TestConnectAndDiscover walks the AWS path end to end against the simulator
// through the real SDK: the server-generated ExternalId in the template, a
// failing then passing test, discovery into the inventory, and the role
// refused to a second tenant.
func TestConnectAndDiscover(t *testing.T) {
	t.Parallel()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, open)
			tn, err := b.gov.CreateTenant(ctx, sys, "Acme")
			require.NoError(t, err)

			// The client cannot choose the ExternalId: the spec has no field for
			// it, and the server makes a fresh one.
			spec := inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "prod", AWS: &inventory.AWSSettings{AccountID: b.acct}}
			conn, onboarding, err := b.inv.CreateConnection(ctx, sys, tn.ID, spec)
			require.NoError(t, err)
			require.NotNil(t, onboarding)
			require.Regexp(t, `^vdx-[a-z2-7]{32}$`, onboarding.ExternalID)
			require.Contains(t, onboarding.CloudFormationTemplate, onboarding.ExternalID, "the template carries the ExternalId")
			require.Equal(t, cloudsim.RoleARN(b.acct), conn.AWS.RoleARN)
			require.Equal(t, inventory.StatusPending, conn.Status)

			// Stored encrypted, not in the connection's settings.
			stored, err := b.db.GetSecret(ctx, tn.ID, conn.ExternalIDSecret)
			require.NoError(t, err)
			require.NotContains(t, string(stored.Ciphertext), onboarding.ExternalID)
			again, err := b.inv.Onboarding(ctx, sys, tn.ID, conn.ID)
			require.NoError(t, err)
			require.Equal(t, onboarding.ExternalID, again.ExternalID)

			// Before the customer deploys the role the test says what is missing.
			rep, err := b.inv.TestConnection(ctx, sys, tn.ID, conn.ID)
			require.NoError(t, err)
			require.False(t, rep.OK)
			got, err := b.inv.GetConnection(ctx, sys, tn.ID, conn.ID)
			require.NoError(t, err)
			require.Equal(t, inventory.StatusFailing, got.Status)

			b.sim.TrustRole(conn.AWS.RoleARN, onboarding.ExternalID)
			rep, err = b.inv.TestConnection(ctx, sys, tn.ID, conn.ID)
			require.NoError(t, err)
			require.True(t, rep.OK, "%+v", rep)
			got, err = b.inv.GetConnection(ctx, sys, tn.ID, conn.ID)
			require.NoError(t, err)
			require.Equal(t, inventory.StatusActive, got.Status)

			scan, err := b.inv.Discover(ctx, sys, tn.ID, conn.ID, cloud.DiscoverOpts{})
			require.NoError(t, err)
			require.Equal(t, inventory.ScanSucceeded, scan.Status, "%+v", scan.Report.Failed())
			want := b.sim.Estate().CanonicalResources(b.acctIdx)
			require.Equal(t, int64(len(want)), scan.Resources)
			counts, err := b.inv.CountResources(ctx, sys, tn.ID, conn.ID)
			require.NoError(t, err)
			var total int64
			for _, c := range counts {
				total += c.Count
			}
			require.Equal(t, int64(len(want)), total, "every resource of the account is in the inventory")
			vols, _, err := b.inv.ListResources(ctx, sys, tn.ID, inventory.ResourceFilter{Type: "aws.ec2.volume"}, governance.Page{Limit: 500})
			require.NoError(t, err)
			require.NotEmpty(t, vols)

			// A region that is down: partial results, an error recorded, nothing
			// in that region marked gone.
			region := b.sim.Estate().Regions(valdrix.AWS)[1] // not us-east-1, where the regions are listed
			b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultDown, Region: region})
			partial, err := b.inv.Discover(ctx, sys, tn.ID, conn.ID, cloud.DiscoverOpts{})
			require.NoError(t, err)
			require.Equal(t, inventory.ScanPartial, partial.Status)
			require.NotEmpty(t, partial.Report.Failed())
			gone, _, err := b.inv.ListResources(ctx, sys, tn.ID, inventory.ResourceFilter{State: "gone"}, governance.Page{Limit: 10})
			require.NoError(t, err)
			require.Empty(t, gone, "an unscanned region keeps its resources")
			fromAPI, err := b.inv.GetScan(ctx, sys, tn.ID, partial.ID)
			require.NoError(t, err)
			require.Equal(t, partial.Report.Failed(), fromAPI.Report.Failed())

			// One role, one tenant.
			other, err := b.gov.CreateTenant(ctx, sys, "Other")
			require.NoError(t, err)
			_, _, err = b.inv.CreateConnection(ctx, sys, other.ID, inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: b.acct}})
			require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
			require.Equal(t, "aws.role_arn", valdrix.ErrorField(err))

			// Deleting the connection removes its secret and inventory.
			require.NoError(t, b.inv.DeleteConnection(ctx, sys, tn.ID, conn.ID))
			_, err = b.db.GetSecret(ctx, tn.ID, conn.ExternalIDSecret)
			require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))
			left, _, err := b.inv.ListResources(ctx, sys, tn.ID, inventory.ResourceFilter{}, governance.Page{Limit: 10})
			require.NoError(t, err)
			require.Empty(t, left)
		})
	}
}

func TestConnectionSpecValidation(t *testing.T) {
	t.Parallel()
	b := setup(t, storetest.OpenSQLite)
	ctx := context.Background()
	tn, err := b.gov.CreateTenant(ctx, sys, "Acme")
	require.NoError(t, err)
	tests := []struct {
		name  string
		spec  inventory.ConnectionSpec
		field string
	}{
		{name: "unknown provider", spec: inventory.ConnectionSpec{Provider: "oracle", Name: "x"}, field: "provider"},
		{name: "no name", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, AWS: &inventory.AWSSettings{AccountID: "123456789012"}}, field: "name"},
		{name: "bad account", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: "12345"}}, field: "aws.account_id"},
		{name: "role in another account", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: "123456789012", RoleARN: "arn:aws:iam::210987654321:role/R"}}, field: "aws.role_arn"},
		{name: "not a role", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:user/u"}}, field: "aws.role_arn"},
		{name: "export without region", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: "123456789012", ExportBucket: "b"}}, field: "aws.export_region"},
		{name: "aws without settings", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x"}, field: "aws"},
		{name: "mixed providers", spec: inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: "123456789012"}, GCP: &inventory.GCPSpec{}}, field: "aws"},
		{name: "gcp key not json", spec: inventory.ConnectionSpec{Provider: valdrix.GCP, Name: "x", GCP: &inventory.GCPSpec{ServiceAccountKey: "nope", GCPSettings: inventory.GCPSettings{Projects: []string{"p"}}}}, field: "gcp.service_account_key"},
	}
	for _, tt := range tests {
		_, _, err := b.inv.CreateConnection(ctx, sys, tn.ID, tt.spec)
		require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), tt.name)
		require.True(t, slices.Contains([]string{tt.field}, valdrix.ErrorField(err)) || containsField(err, tt.field), "%s: %v", tt.name, err)
	}
	viewer := governance.Actor{Principal: valdrix.Principal{Kind: valdrix.PrincipalUser, TenantID: tn.ID, Role: valdrix.RoleViewer}}
	_, _, err = b.inv.CreateConnection(ctx, viewer, tn.ID, inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "x", AWS: &inventory.AWSSettings{AccountID: "123456789012"}})
	require.Equal(t, valdrix.EFORBIDDEN, valdrix.ErrorCode(err))
}

func containsField(err error, field string) bool {
	return err != nil && (valdrix.ErrorField(err) == field || contains(err.Error(), field))
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// TestConnectAzureAndGCP creates Azure and GCP connections with their
// secrets, tests them and discovers their estates through the adapters
// and the simulator.
func TestConnectAzureAndGCP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{Seed: 3, Resources: 400,
		Mix: map[valdrix.Provider]float64{valdrix.Azure: 0.5, valdrix.GCP: 0.5}}})
	require.NoError(t, err)
	require.NoError(t, sim.Start(t.Context()))
	t.Cleanup(func() { _ = sim.Close() })
	const clientID, secret = "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b", "app-secret"
	require.NoError(t, sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: clientID, ClientSecret: secret}))
	key, err := sim.GCPServiceAccountKey(cloudsim.GCPServiceAccount{})
	require.NoError(t, err)
	az, err := azure.New(azure.Config{Endpoint: sim.Endpoints().Azure, HTTPClient: sim.TLSClient(), RateLimit: 1000, RateBurst: 1000})
	require.NoError(t, err)
	gc, err := gcp.New(gcp.Config{Endpoint: sim.Endpoints().GCP, RateLimit: 1000, RateBurst: 1000})
	require.NoError(t, err)
	db := storetest.OpenSQLite(t)
	gov, err := governance.New(governance.Config{Store: db, Keyring: keyring.Generate(time.Now()), PasswordParams: governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	require.NoError(t, err)
	inv, err := inventory.New(inventory.Config{Store: db, Secrets: gov, Audit: gov, Adapters: cloud.Set{
		valdrix.Azure: {Inventory: az, Tester: az, Costs: az, Metrics: az},
		valdrix.GCP:   {Inventory: gc, Tester: gc, Costs: gc, Metrics: gc},
	}})
	require.NoError(t, err)
	tn, err := gov.CreateTenant(ctx, sys, "Acme")
	require.NoError(t, err)
	e := sim.Estate()
	ids := func(p valdrix.Provider) (out []string, idx []int) {
		for _, i := range e.AccountsOf(p) {
			out, idx = append(out, e.Accounts[i].ID), append(idx, i)
		}
		return out, idx
	}
	subs, subIdx := ids(valdrix.Azure)
	projects, projIdx := ids(valdrix.GCP)
	tests := []struct {
		name  string
		spec  inventory.ConnectionSpec
		accts []int
	}{
		{name: "azure", accts: subIdx, spec: inventory.ConnectionSpec{Provider: valdrix.Azure, Name: "azure", Azure: &inventory.AzureSpec{
			AzureSettings: inventory.AzureSettings{TenantID: sim.AzureTenantID(), ClientID: clientID, Subscriptions: subs}, ClientSecret: secret}}},
		{name: "gcp", accts: projIdx, spec: inventory.ConnectionSpec{Provider: valdrix.GCP, Name: "gcp", GCP: &inventory.GCPSpec{
			GCPSettings: inventory.GCPSettings{Projects: projects}, ServiceAccountKey: string(key)}}},
	}
	for _, tt := range tests {
		conn, _, err := inv.CreateConnection(ctx, sys, tn.ID, tt.spec)
		require.NoError(t, err, tt.name)
		rep, err := inv.TestConnection(ctx, sys, tn.ID, conn.ID)
		require.NoError(t, err, tt.name)
		require.True(t, rep.OK, "%s: %+v", tt.name, rep.Checks)
		scan, err := inv.Discover(ctx, sys, tn.ID, conn.ID, cloud.DiscoverOpts{})
		require.NoError(t, err, tt.name)
		require.Equal(t, inventory.ScanSucceeded, scan.Status, "%s: %+v", tt.name, scan.Report.Failed())
		want := 0
		for _, a := range tt.accts {
			want += len(e.CanonicalResources(a))
		}
		require.Equal(t, int64(want), scan.Resources, tt.name)
	}
	_, _, err = inv.CreateConnection(ctx, sys, tn.ID, inventory.ConnectionSpec{Provider: valdrix.GCP, Name: "bad key", GCP: &inventory.GCPSpec{
		GCPSettings: inventory.GCPSettings{Projects: projects}, ServiceAccountKey: `{"type":"service_account"}`}})
	require.Equal(t, "gcp.service_account_key", valdrix.ErrorField(err), "a key without its email and private key is refused: %v", err)
}
