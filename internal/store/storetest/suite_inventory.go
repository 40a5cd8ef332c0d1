package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// AWSConnection returns a connection record for tests.
func AWSConnection(tenant valdrix.TenantID, account string) inventory.Connection {
	return inventory.Connection{
		ID: valdrix.NewID(), TenantID: tenant, Provider: valdrix.AWS, Name: "prod " + account, Status: inventory.StatusPending,
		AccountRef: account, CreatedAt: T0, UpdatedAt: T0, ExternalIDSecret: valdrix.NewID(),
		AWS: &inventory.AWSSettings{AccountID: account, RoleARN: "arn:aws:iam::" + account + ":role/ValdrixReadOnly", Regions: []string{"us-east-1"}},
	}
}

func exerciseConnections(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	c := AWSConnection(a.ID, "111111111111")
	require.NoError(t, db.CreateConnection(ctx, c))
	got, err := db.GetConnection(ctx, a.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)

	// One role cannot serve two tenants (the constraint sees through RLS).
	steal := AWSConnection(b.ID, "111111111111")
	require.Equal(t, valdrix.ECONFLICT, valdrix.ErrorCode(db.CreateConnection(ctx, steal)))
	// A tenant cannot connect the same role twice either.
	again := AWSConnection(a.ID, "111111111111")
	require.Equal(t, valdrix.ECONFLICT, valdrix.ErrorCode(db.CreateConnection(ctx, again)))

	z := inventory.Connection{ID: valdrix.NewID(), TenantID: a.ID, Provider: valdrix.Azure, Name: "azure", Status: inventory.StatusPending,
		AccountRef: "tid", CreatedAt: T0, UpdatedAt: T0, CredentialSecret: valdrix.NewID(),
		Azure: &inventory.AzureSettings{TenantID: "tid", ClientID: "cid", HasClientSecret: true, Subscriptions: []string{"s1"}}}
	require.NoError(t, db.CreateConnection(ctx, z), "connections without a role ARN do not collide")

	now := T0.Add(time.Hour)
	c.Status, c.UpdatedAt, c.TestedAt = inventory.StatusActive, now, &now
	c.LastTest = &cloud.TestReport{OK: true, Checks: []cloud.Check{{Name: "assume_role", Status: cloud.CheckOK}}}
	require.NoError(t, db.UpdateConnection(ctx, c))
	got, err = db.GetConnection(ctx, a.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, c, got)

	list, next, err := db.ListConnections(ctx, a.ID, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, list, 2)
	list, _, err = db.ListConnections(ctx, b.ID, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, list, "B sees none of A's connections")
	_, err = db.GetConnection(ctx, b.ID, c.ID)
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(db.DeleteConnection(ctx, b.ID, c.ID)))
	b1 := AWSConnection(b.ID, "222222222222")
	require.NoError(t, db.CreateConnection(ctx, b1))
	all, err := db.ListAllConnections(ctx)
	require.NoError(t, err)
	require.Len(t, all, 3, "the system scope sees every tenant's connections")

	require.NoError(t, db.DeleteConnection(ctx, a.ID, c.ID))
	require.NoError(t, db.CreateConnection(ctx, steal), "a deleted connection's role is free again")
}

func exerciseResources(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	c := AWSConnection(a.ID, "111111111111")
	require.NoError(t, db.CreateConnection(ctx, c))
	scan := inventory.Scan{ID: valdrix.NewID(), TenantID: a.ID, ConnectionID: c.ID, Kind: "discover", Status: inventory.ScanRunning, StartedAt: T0}
	require.NoError(t, db.CreateScan(ctx, scan))
	res := func(id, typ, region, state string, tags map[string]string) cloud.Resource {
		return cloud.Resource{Provider: valdrix.AWS, AccountID: "111111111111", Region: region, Type: typ, ID: id, BillingID: id,
			Name: id, State: state, CreatedAt: T0.Add(-24 * time.Hour), Tags: tags, Attrs: map[string]string{"size_gb": "100"}}
	}
	batch := []cloud.Resource{
		res("vol-1", "aws.ec2.volume", "us-east-1", "available", map[string]string{"team": "web"}),
		res("vol-2", "aws.ec2.volume", "us-east-1", "in-use", map[string]string{"team": "data"}),
		res("i-1", "aws.ec2.instance", "us-east-1", "running", nil),
		res("i-2", "aws.ec2.instance", "eu-west-1", "stopped", map[string]string{"valdrix:ignore": ""}),
	}
	require.NoError(t, db.UpsertResources(ctx, a.ID, c.ID, scan.ID, T0, batch))

	list := func(f inventory.ResourceFilter) []inventory.Resource {
		t.Helper()
		rs, _, err := db.ListResources(ctx, a.ID, f, governance.Page{Limit: 100})
		require.NoError(t, err)
		return rs
	}
	require.Len(t, list(inventory.ResourceFilter{}), 4)
	vols := list(inventory.ResourceFilter{Type: "aws.ec2.volume"})
	require.Len(t, vols, 2)
	require.Equal(t, batch[0], vols[0].Resource)
	require.Equal(t, T0, vols[0].FirstSeen)
	require.Len(t, list(inventory.ResourceFilter{Tag: "team=web"}), 1)
	require.Len(t, list(inventory.ResourceFilter{Tag: "valdrix:ignore"}), 1)
	require.Len(t, list(inventory.ResourceFilter{Region: "eu-west-1"}), 1)
	require.Len(t, list(inventory.ResourceFilter{State: "running"}), 1)
	require.Len(t, list(inventory.ResourceFilter{Provider: valdrix.Azure}), 0)

	// Paging walks every resource once.
	var seen []string
	cursor := ""
	for {
		rs, next, err := db.ListResources(ctx, a.ID, inventory.ResourceFilter{}, governance.Page{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		for _, r := range rs {
			seen = append(seen, r.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	require.Equal(t, []string{"i-1", "i-2", "vol-1", "vol-2"}, seen)
	_, _, err := db.ListResources(ctx, a.ID, inventory.ResourceFilter{}, governance.Page{Limit: 3, Cursor: "%%%"})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))

	// A second complete scan of us-east-1 sees vol-1 changed and not vol-2.
	t1 := T0.Add(24 * time.Hour)
	changed := batch[0]
	changed.State = "in-use"
	require.NoError(t, db.UpsertResources(ctx, a.ID, c.ID, scan.ID, t1, []cloud.Resource{changed, batch[2]}))
	n, err := db.MarkResourcesGone(ctx, a.ID, c.ID, []string{"us-east-1"}, t1, t1)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	gone := list(inventory.ResourceFilter{State: "gone"})
	require.Len(t, gone, 1)
	require.Equal(t, "vol-2", gone[0].ID)
	require.Equal(t, t1, *gone[0].GoneAt)
	require.Len(t, list(inventory.ResourceFilter{State: "present"}), 3, "eu-west-1 was not scanned: i-2 stays")
	v1 := list(inventory.ResourceFilter{Tag: "team=web"})[0]
	require.Equal(t, "in-use", v1.State)
	require.Equal(t, T0, v1.FirstSeen)
	require.Equal(t, t1, v1.LastSeen)

	// It comes back: no longer gone.
	require.NoError(t, db.UpsertResources(ctx, a.ID, c.ID, scan.ID, t1.Add(time.Hour), []cloud.Resource{batch[1]}))
	require.Empty(t, list(inventory.ResourceFilter{State: "gone"}))

	counts, err := db.CountResources(ctx, a.ID, c.ID)
	require.NoError(t, err)
	require.Equal(t, []inventory.ResourceCount{{Type: "aws.ec2.instance", Region: "eu-west-1", Count: 1}, {Type: "aws.ec2.instance", Region: "us-east-1", Count: 1}, {Type: "aws.ec2.volume", Region: "us-east-1", Count: 2}}, counts)

	// Scans round-trip with their report.
	fin := T0.Add(time.Minute)
	scan.Status, scan.FinishedAt, scan.Resources = inventory.ScanPartial, &fin, 4
	scan.Report = cloud.DiscoveryReport{Method: "describe", Resources: 4, Items: []cloud.DiscoveryItem{
		{Region: "us-east-1", Service: "ec2", Status: cloud.ScanOK, Resources: 3},
		{Region: "eu-west-1", Service: "rds", Status: cloud.ScanFailed, Code: valdrix.EFORBIDDEN, Message: "denied", MissingPermission: "rds:DescribeDBInstances"},
	}}
	require.NoError(t, db.UpdateScan(ctx, scan))
	gotScan, err := db.GetScan(ctx, a.ID, scan.ID)
	require.NoError(t, err)
	require.Equal(t, scan, gotScan)
	scans, _, err := db.ListScans(ctx, a.ID, c.ID, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, scans, 1)

	// A scan left running by a process that died is marked interrupted;
	// newer running scans and finished ones are left alone, and another
	// tenant cannot touch it.
	stale := inventory.Scan{ID: valdrix.NewID(), TenantID: a.ID, ConnectionID: c.ID, Kind: "scan", Status: inventory.ScanRunning, StartedAt: T0}
	fresh := inventory.Scan{ID: valdrix.NewID(), TenantID: a.ID, ConnectionID: c.ID, Kind: "scan", Status: inventory.ScanRunning, StartedAt: T0.Add(2 * time.Hour)}
	require.NoError(t, db.CreateScan(ctx, stale))
	require.NoError(t, db.CreateScan(ctx, fresh))
	n, err = db.InterruptScans(ctx, b.ID, c.ID, T0.Add(time.Hour), T0.Add(3*time.Hour), "interrupted")
	require.NoError(t, err)
	require.Zero(t, n, "B cannot interrupt A's scans")
	n, err = db.InterruptScans(ctx, a.ID, c.ID, T0.Add(time.Hour), T0.Add(3*time.Hour), "interrupted")
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	got, err := db.GetScan(ctx, a.ID, stale.ID)
	require.NoError(t, err)
	require.Equal(t, inventory.ScanFailed, got.Status)
	require.Equal(t, "interrupted", got.Error)
	require.NotNil(t, got.FinishedAt)
	require.True(t, T0.Add(3*time.Hour).Equal(*got.FinishedAt))
	got, err = db.GetScan(ctx, a.ID, fresh.ID)
	require.NoError(t, err)
	require.Equal(t, inventory.ScanRunning, got.Status)
	got, err = db.GetScan(ctx, a.ID, scan.ID)
	require.NoError(t, err)
	require.Equal(t, inventory.ScanPartial, got.Status, "a finished scan is left as it was")

	// Tenant B sees nothing.
	rs, _, err := db.ListResources(ctx, b.ID, inventory.ResourceFilter{}, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, rs)
	_, err = db.GetScan(ctx, b.ID, scan.ID)
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))
	n, err = db.MarkResourcesGone(ctx, b.ID, c.ID, []string{"us-east-1"}, t1.Add(48*time.Hour), t1)
	require.NoError(t, err)
	require.Zero(t, n, "B cannot mark A's resources gone")
}
