package aws

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestTester(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(b *testBundle)
		want    map[string]cloud.CheckStatus
		missing map[string]string
	}{
		{
			name:    "all granted",
			prepare: func(b *testBundle) {},
			want: map[string]cloud.CheckStatus{CheckAssumeRole: cloud.CheckOK, CheckResourceSearch: cloud.CheckOK, CheckDescribe: cloud.CheckOK,
				CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckOK},
		},
		{
			name:    "wrong external id",
			prepare: func(b *testBundle) { b.conn.AWS.ExternalID = "not-the-one" },
			want: map[string]cloud.CheckStatus{CheckAssumeRole: cloud.CheckFailed, CheckResourceSearch: cloud.CheckSkipped, CheckDescribe: cloud.CheckSkipped,
				CheckMetrics: cloud.CheckSkipped, CheckExport: cloud.CheckSkipped},
			missing: map[string]string{CheckAssumeRole: "sts:AssumeRole"},
		},
		{
			name: "search and export denied",
			prepare: func(b *testBundle) {
				b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "resource-explorer-2", Operation: "Search"})
				b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "s3", Operation: "ListObjectsV2"})
				b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "monitoring"})
			},
			want: map[string]cloud.CheckStatus{CheckAssumeRole: cloud.CheckOK, CheckResourceSearch: cloud.CheckFailed, CheckDescribe: cloud.CheckOK,
				CheckMetrics: cloud.CheckFailed, CheckExport: cloud.CheckFailed},
			missing: map[string]string{CheckResourceSearch: "resource-explorer-2:Search", CheckExport: "s3:ListBucket", CheckMetrics: "cloudwatch:GetMetricData"},
		},
		{
			name:    "resource explorer off",
			prepare: func(b *testBundle) { b.sim.DisableResourceExplorer(b.conn.AWS.AccountID) },
			want: map[string]cloud.CheckStatus{CheckAssumeRole: cloud.CheckOK, CheckResourceSearch: cloud.CheckFailed, CheckDescribe: cloud.CheckOK,
				CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckOK},
		},
		{
			name: "no export configured",
			prepare: func(b *testBundle) {
				b.conn.AWS.ExportBucket, b.conn.AWS.ExportPrefix, b.conn.AWS.ExportRegion = "", "", ""
			},
			want: map[string]cloud.CheckStatus{CheckAssumeRole: cloud.CheckOK, CheckResourceSearch: cloud.CheckOK, CheckDescribe: cloud.CheckOK,
				CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckSkipped},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.addExport(t, 2)
			tt.prepare(&b)
			rep, err := b.p.Test(t.Context(), b.conn)
			require.NoError(t, err)
			got := map[string]cloud.CheckStatus{}
			for _, c := range rep.Checks {
				got[c.Name] = c.Status
				if c.Status == cloud.CheckFailed {
					require.NotEmpty(t, c.Remedy, "%s says how to fix it", c.Name)
					require.NotEmpty(t, c.Message)
				}
				if want, ok := tt.missing[c.Name]; ok {
					require.Equal(t, want, c.MissingPermission, c.Name)
				}
			}
			require.Equal(t, tt.want, got)
			allOK := true
			for _, s := range tt.want {
				allOK = allOK && s != cloud.CheckFailed
			}
			require.Equal(t, allOK, rep.OK)
		})
	}
}

func TestInvalidConnectionFailsClosed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bad := b.conn
	bad.AWS = &cloud.AWSConnection{AccountID: b.conn.AWS.AccountID, ExternalID: b.conn.AWS.ExternalID}
	_, _, err := collect(t, b, bad)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	require.Equal(t, "aws.role_arn", valdrix.ErrorField(err))
	_, err = b.p.Test(t.Context(), bad)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	_, err = b.p.QueryMetrics(t.Context(), bad, nil)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	require.Zero(t, b.sim.AssumeRoleCount(), "nothing was called")
}

func collect(t *testing.T, b testBundle, conn cloud.Connection) ([]cloud.Resource, cloud.DiscoveryReport, error) {
	t.Helper()
	var out []cloud.Resource
	rep, err := b.p.Discover(t.Context(), conn, cloud.DiscoverOpts{}, func(_ context.Context, rs []cloud.Resource) error {
		out = append(out, rs...)
		return nil
	})
	return out, rep, err
}
