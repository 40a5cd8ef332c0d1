package gcp

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestTester(t *testing.T) {
	t.Parallel()
	all := map[string]cloud.CheckStatus{CheckToken: cloud.CheckOK, CheckResourceSearch: cloud.CheckOK, CheckList: cloud.CheckOK, CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckOK}
	with := func(name string, s cloud.CheckStatus) map[string]cloud.CheckStatus {
		m := map[string]cloud.CheckStatus{}
		for k, v := range all {
			m[k] = v
		}
		m[name] = s
		return m
	}
	tests := []struct {
		name    string
		account cloudsim.GCPServiceAccount
		setup   func(t *testing.T, b *testBundle)
		want    map[string]cloud.CheckStatus
		check   func(t *testing.T, c map[string]cloud.Check)
	}{
		{name: "all granted", want: all},
		{
			name: "deleted key",
			setup: func(t *testing.T, b *testBundle) {
				g := *b.conn.GCP
				g.ServiceAccountKey = b.deniedKey(t)
				b.conn.GCP = &g
			},
			want: map[string]cloud.CheckStatus{CheckToken: cloud.CheckFailed, CheckResourceSearch: cloud.CheckSkipped, CheckList: cloud.CheckSkipped,
				CheckMetrics: cloud.CheckSkipped, CheckExport: cloud.CheckSkipped},
			check: func(t *testing.T, c map[string]cloud.Check) {
				require.Equal(t, valdrix.EUNAUTHORIZED, c[CheckToken].Code)
				require.Contains(t, c[CheckToken].Message, "invalid_grant")
				require.NotContains(t, c[CheckToken].Message, "PRIVATE KEY")
			},
		},
		{
			name:    "no role on one project",
			account: cloudsim.GCPServiceAccount{Projects: []string{}},
			want: map[string]cloud.CheckStatus{CheckToken: cloud.CheckOK, CheckResourceSearch: cloud.CheckFailed, CheckList: cloud.CheckFailed,
				CheckMetrics: cloud.CheckFailed, CheckExport: cloud.CheckOK},
			check: func(t *testing.T, c map[string]cloud.Check) {
				require.Equal(t, "cloudasset.assets.listResource", c[CheckResourceSearch].MissingPermission)
				require.Equal(t, "compute.instances.list", c[CheckList].MissingPermission)
				require.Equal(t, "monitoring.timeSeries.list", c[CheckMetrics].MissingPermission)
				require.Contains(t, c[CheckMetrics].Remedy, "roles/monitoring.viewer")
			},
		},
		{
			name:    "no BigQuery access",
			account: cloudsim.GCPServiceAccount{NoBilling: true},
			want:    with(CheckExport, cloud.CheckFailed),
			check: func(t *testing.T, c map[string]cloud.Check) {
				require.Equal(t, "bigquery.jobs.create", c[CheckExport].MissingPermission)
				require.Contains(t, c[CheckExport].Remedy, "roles/bigquery.dataViewer")
			},
		},
		{
			name:  "Cloud Asset API off",
			setup: func(_ *testing.T, b *testBundle) { b.disableAssets() },
			want:  with(CheckResourceSearch, cloud.CheckFailed),
			check: func(t *testing.T, c map[string]cloud.Check) {
				require.Empty(t, c[CheckResourceSearch].MissingPermission, "an API that is off is not a missing permission")
				require.Contains(t, c[CheckResourceSearch].Message, "not enabled")
				require.Contains(t, c[CheckResourceSearch].Remedy, "Enable the Cloud Asset API")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) { o.resources, o.account = 300, tt.account })
			if tt.setup != nil {
				tt.setup(t, &b)
			}
			rep, err := b.p.Test(t.Context(), b.conn)
			require.NoError(t, err)
			got := map[string]cloud.CheckStatus{}
			byName := map[string]cloud.Check{}
			failed := false
			for _, c := range rep.Checks {
				got[c.Name], byName[c.Name] = c.Status, c
				if c.Status == cloud.CheckFailed {
					failed = true
					require.NotEmpty(t, c.Remedy, "%s says how to fix it", c.Name)
				}
			}
			require.Equal(t, tt.want, got)
			require.Equal(t, !failed, rep.OK)
			if tt.check != nil {
				tt.check(t, byName)
			}
		})
	}
}
