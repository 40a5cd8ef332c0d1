package aws

import (
	"slices"
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
	denied.AWS = &cloud.AWSConnection{AccountID: b.conn.AWS.AccountID, RoleARN: b.conn.AWS.RoleARN, ExternalID: "wrong-external-id", Regions: b.conn.AWS.Regions}
	b.addExport(t, 3)
	cloudtest.Exercise(t, cloudtest.Subject{
		Provider: valdrix.AWS, Inventory: b.p, Tester: b.p, Metrics: b.p, CostSource: b.p,
		Conn: b.conn, DeniedConn: denied, Want: b.want(),
		MetricQueries: b.metricQueries(t),
	})
}

// want returns the expected inventory: the estate's canonical resources of
// the account plus the export bucket, when there is one.
func (b testBundle) want() []cloud.Resource {
	w := b.estate.CanonicalResources(b.acct)
	if b.conn.AWS.ExportBucket != "" {
		w = append(w, cloud.Resource{
			Provider: valdrix.AWS, AccountID: b.conn.AWS.AccountID, Region: b.conn.AWS.ExportRegion, Type: "aws.s3.bucket",
			ID: b.conn.AWS.ExportBucket, BillingID: b.conn.AWS.ExportBucket, Name: b.conn.AWS.ExportBucket, State: "active",
			CreatedAt: b.estate.Now.AddDate(-1, 0, 0),
		})
	}
	return w
}

func TestInventoryCoversEveryType(t *testing.T) {
	t.Parallel()
	b := setup(t)
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Equal(t, "resource-explorer", rep.Method)
	types := map[string]int{}
	for _, r := range got {
		types[r.Type]++
	}
	for _, k := range cloudsim.Kinds(valdrix.AWS) {
		require.Positive(t, types[k.Type()], "inventory has %s", k.Type())
		require.Equal(t, countKind(b, k), types[k.Type()], "every %s is found", k.Type())
	}
}

func countKind(b testBundle, k cloudsim.Kind) int {
	n := 0
	for _, ci := range b.estate.Accounts[b.acct].Cells {
		lo, hi := b.estate.Cells[ci].Span(k)
		n += hi - lo
	}
	return n
}

func TestInventoryWithoutResourceExplorer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.sim.DisableResourceExplorer(b.conn.AWS.AccountID)
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete, "%+v", rep.Failed())
	require.Equal(t, "describe", rep.Method)
	want := b.want()
	require.Len(t, got, len(want))
	// Without Resource Explorer, tags come only from the APIs that return them.
	withTags := []string{"aws.ec2.", "aws.rds.", "aws.redshift.", "aws.elb.", "aws.elbv2."}
	strip := func(rs []cloud.Resource) map[string]cloud.Resource {
		m := map[string]cloud.Resource{}
		for _, r := range rs {
			if !slices.ContainsFunc(withTags, func(p string) bool { return len(r.Type) > len(p) && r.Type[:len(p)] == p }) {
				r.Tags = nil
			}
			if len(r.Tags) == 0 {
				r.Tags = nil
			}
			m[r.Type+" "+r.ID] = r
		}
		return m
	}
	require.Equal(t, strip(want), strip(got))
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
			fault: func(testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "ec2", Operation: "DescribeVolumes", Times: 2}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, hits int) {
				require.True(t, rep.Complete, "%+v", rep.Failed())
				require.Equal(t, 2, hits)
				require.Len(t, got, len(b.want()))
			},
		},
		{
			name: "throttling that never ends fails one service",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "lambda", Region: b.conn.AWS.Regions[1]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, hits int) {
				requireOnlyFailed(t, rep, b.conn.AWS.Regions[1], "lambda", valdrix.EUNAVAILABLE, cloud.ScanFailed)
				require.Equal(t, 4, hits, "RetryMaxAttempts attempts")
				require.Len(t, got, len(b.want())-countIn(b, cloudsim.AWSFunction, b.conn.AWS.Regions[1]))
			},
		},
		{
			name: "access denied names the missing permission",
			fault: func(testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "rds", Operation: "DescribeDBSnapshots"}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				require.False(t, rep.Complete)
				for _, it := range rep.Failed() {
					require.Equal(t, "rds", it.Service)
					require.Equal(t, valdrix.EFORBIDDEN, it.Code)
					require.Equal(t, "rds:DescribeDBSnapshots", it.MissingPermission)
					require.Contains(t, it.Message, "rds:DescribeDBSnapshots")
				}
				require.Len(t, rep.Failed(), len(b.conn.AWS.Regions))
				require.Len(t, got, len(b.want())-countKind(b, cloudsim.AWSDBSnapshot), "DB instances found before the denial are kept")
			},
		},
		{
			name: "a region that is down gives partial results",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultDown, Region: b.conn.AWS.Regions[2]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				region := b.conn.AWS.Regions[2]
				require.False(t, rep.Complete)
				for _, it := range rep.Failed() {
					require.Equal(t, region, it.Region)
					require.Equal(t, valdrix.EUNAVAILABLE, it.Code)
				}
				require.NotEmpty(t, rep.Failed())
				for _, r := range got {
					if r.Type != "aws.s3.bucket" {
						require.NotEqual(t, region, r.Region)
					}
				}
				require.Positive(t, len(got))
			},
		},
		{
			name: "a refused connection gives partial results",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultRefuse, Service: "ec2", Region: b.conn.AWS.Regions[1]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				requireOnlyFailed(t, rep, b.conn.AWS.Regions[1], "ec2", valdrix.EUNAVAILABLE, cloud.ScanFailed)
				require.Positive(t, len(got))
			},
		},
		{
			name: "a malformed page fails the service",
			fault: func(b testBundle) cloudsim.Fault {
				return cloudsim.Fault{Kind: cloudsim.FaultMalformed, Service: "logs", Region: b.conn.AWS.Regions[0]}
			},
			check: func(t *testing.T, b testBundle, got []cloud.Resource, rep cloud.DiscoveryReport, _ int) {
				requireOnlyFailed(t, rep, b.conn.AWS.Regions[0], "logs", valdrix.EUNAVAILABLE, cloud.ScanFailed)
				require.Len(t, got, len(b.want())-countIn(b, cloudsim.AWSLogGroup, b.conn.AWS.Regions[0]))
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

func requireOnlyFailed(t *testing.T, rep cloud.DiscoveryReport, region, svc, code string, status cloud.ScanStatus) {
	t.Helper()
	require.False(t, rep.Complete, "a partial scan is never complete")
	failed := rep.Failed()
	require.Len(t, failed, 1, "%+v", failed)
	require.Equal(t, region, failed[0].Region)
	require.Equal(t, svc, failed[0].Service)
	require.Equal(t, code, failed[0].Code)
	require.Equal(t, status, failed[0].Status)
	require.NotEmpty(t, failed[0].Message)
}

func countIn(b testBundle, k cloudsim.Kind, region string) int {
	c, ok := b.estate.CellOf(b.acct, region)
	if !ok {
		return 0
	}
	lo, hi := c.Span(k)
	return hi - lo
}

func TestInventoryScanTimeout(t *testing.T) {
	t.Parallel()
	// The healthy regions must finish well inside the timeout even under
	// -race on a loaded machine (1.5 s was not always enough); the faulted
	// one waits it out.
	b := setup(t, func(o *setupOpts) { o.cfg = func(c *Config) { c.ScanTimeout = 5 * time.Second } })
	region := b.conn.AWS.Regions[1]
	b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultTimeout, Service: "ec2", Operation: "DescribeSnapshots", Region: region})
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Regions: []string{region}, Services: []string{"ec2"}})
	require.NoError(t, err, "the scan ends with what it has")
	require.False(t, rep.Complete)
	require.Len(t, rep.Items, 1)
	it := rep.Items[0]
	require.Equal(t, cloud.ScanTimeout, it.Status)
	require.Equal(t, region, it.Region)
	require.Equal(t, "ec2", it.Service)
	require.Equal(t, valdrix.EUNAVAILABLE, it.Code)
	want := countIn(b, cloudsim.AWSInstance, region) + countIn(b, cloudsim.AWSVolume, region)
	require.Equal(t, want, it.Resources, "instances and volumes found before the hang are kept")
	require.Len(t, got, want)
}

func TestInventoryRegionAndServiceFilter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	region := b.conn.AWS.Regions[1]
	got, rep, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Regions: []string{region}, Services: []string{"rds", "lambda"}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.Len(t, rep.Items, 2)
	require.Len(t, got, countIn(b, cloudsim.AWSDBInstance, region)+countIn(b, cloudsim.AWSDBSnapshot, region)+countIn(b, cloudsim.AWSFunction, region))
}

func TestCredentialsAreCachedPerConnection(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 3 {
		_, _, err := cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"rds"}})
		require.NoError(t, err)
	}
	require.Equal(t, 1, b.sim.AssumeRoleCount(), "one assumed-role credential is reused across scans and regions")
	other := b.conn
	other.ID = "conn-2"
	_, _, err := cloudtest.Collect(t.Context(), b.p, other, cloud.DiscoverOpts{Services: []string{"rds"}})
	require.NoError(t, err)
	require.Equal(t, 2, b.sim.AssumeRoleCount(), "each connection has its own credential")
}
