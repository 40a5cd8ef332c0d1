package azure

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestTester(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, b *testBundle)
		want  map[string]cloud.CheckStatus
		check func(t *testing.T, b testBundle, checks map[string]cloud.Check)
	}{
		{
			name:  "all granted",
			setup: func(t *testing.T, b *testBundle) { b.addExport(t) },
			want: map[string]cloud.CheckStatus{CheckSignIn: cloud.CheckOK, CheckSubscriptions: cloud.CheckOK, CheckResourceSearch: cloud.CheckOK,
				CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckOK},
		},
		{
			name: "wrong secret",
			setup: func(_ *testing.T, b *testBundle) {
				az := *b.conn.Azure
				az.ClientSecret = "zzTopSecret-42"
				b.conn.Azure = &az
			},
			want: map[string]cloud.CheckStatus{CheckSignIn: cloud.CheckFailed, CheckSubscriptions: cloud.CheckSkipped, CheckResourceSearch: cloud.CheckSkipped,
				CheckMetrics: cloud.CheckSkipped, CheckExport: cloud.CheckSkipped},
			check: func(t *testing.T, _ testBundle, c map[string]cloud.Check) {
				require.Equal(t, valdrix.EUNAUTHORIZED, c[CheckSignIn].Code)
				require.Contains(t, c[CheckSignIn].Message, "AADSTS7000215")
				require.Contains(t, c[CheckSignIn].Message, "client secret is wrong")
				require.NotContains(t, c[CheckSignIn].Message, "zzTopSecret", "the secret never appears in messages")
			},
		},
		{
			name: "no Reader on a subscription",
			setup: func(t *testing.T, b *testBundle) {
				require.NoError(t, b.sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: b.clientID, ClientSecret: testSecret, Subscriptions: b.conn.Azure.Subscriptions[:1]}))
			},
			want: map[string]cloud.CheckStatus{CheckSignIn: cloud.CheckOK, CheckSubscriptions: cloud.CheckFailed, CheckResourceSearch: cloud.CheckOK,
				CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckSkipped},
			check: func(t *testing.T, b testBundle, c map[string]cloud.Check) {
				require.Equal(t, "Microsoft.Resources/subscriptions/read", c[CheckSubscriptions].MissingPermission)
				require.Contains(t, c[CheckSubscriptions].Message, b.conn.Azure.Subscriptions[1])
				require.Contains(t, c[CheckSubscriptions].Remedy, "--role Reader")
			},
		},
		{
			name: "no blob data access",
			setup: func(t *testing.T, b *testBundle) {
				b.addExport(t)
				require.NoError(t, b.sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: b.clientID, ClientSecret: testSecret, StorageAccounts: []string{}}))
			},
			want: map[string]cloud.CheckStatus{CheckSignIn: cloud.CheckOK, CheckSubscriptions: cloud.CheckOK, CheckResourceSearch: cloud.CheckOK,
				CheckMetrics: cloud.CheckOK, CheckExport: cloud.CheckFailed},
			check: func(t *testing.T, _ testBundle, c map[string]cloud.Check) {
				require.Equal(t, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", c[CheckExport].MissingPermission)
				require.Contains(t, c[CheckExport].Remedy, "Storage Blob Data Reader")
			},
		},
		{
			name: "metrics denied",
			setup: func(_ *testing.T, b *testBundle) {
				b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "monitor"})
			},
			want: map[string]cloud.CheckStatus{CheckSignIn: cloud.CheckOK, CheckSubscriptions: cloud.CheckOK, CheckResourceSearch: cloud.CheckOK,
				CheckMetrics: cloud.CheckFailed, CheckExport: cloud.CheckSkipped},
			check: func(t *testing.T, _ testBundle, c map[string]cloud.Check) {
				require.Equal(t, "Microsoft.Insights/metrics/read", c[CheckMetrics].MissingPermission)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) { o.resources = 300 })
			tt.setup(t, &b)
			rep, err := b.p.Test(t.Context(), b.conn)
			require.NoError(t, err)
			got := map[string]cloud.CheckStatus{}
			byName := map[string]cloud.Check{}
			for _, c := range rep.Checks {
				got[c.Name] = c.Status
				byName[c.Name] = c
				if c.Status == cloud.CheckFailed {
					require.NotEmpty(t, c.Remedy, "%s says how to fix it", c.Name)
				}
			}
			require.Equal(t, tt.want, got)
			failed := false
			for _, s := range tt.want {
				failed = failed || s == cloud.CheckFailed
			}
			require.Equal(t, !failed, rep.OK)
			if tt.check != nil {
				tt.check(t, b, byName)
			}
		})
	}
}
