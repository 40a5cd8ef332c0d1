package gcp

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/cloudtest"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestAmbientCredentialsAreNeverUsed points GOOGLE_APPLICATION_CREDENTIALS
// (and the Azure variables) at a key the simulator accepts, and proves
// the adapter ignores them: a connection without credentials fails closed
// and no token is issued. (t.Setenv forbids t.Parallel.)
func TestAmbientCredentialsAreNeverUsed(t *testing.T) { //nolint:paralleltest // t.Setenv
	b := setup(t)
	adc := filepath.Join(t.TempDir(), "adc.json")
	require.NoError(t, os.WriteFile(adc, b.conn.GCP.ServiceAccountKey, 0o600))
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", adc)
	t.Setenv("GOOGLE_CLOUD_PROJECT", b.conn.GCP.Projects[0])
	t.Setenv("AZURE_CLIENT_ID", "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b")
	t.Setenv("AZURE_CLIENT_SECRET", "ambient")
	t.Setenv("AZURE_TENANT_ID", "0f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4c")

	missing := b.conn
	g := *b.conn.GCP
	g.ServiceAccountKey = nil
	missing.GCP = &g
	got, rep, err := cloudtest.Collect(t.Context(), b.p, missing, cloud.DiscoverOpts{})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), "%v", err)
	require.Equal(t, "gcp.service_account_key", valdrix.ErrorField(err))
	require.Empty(t, got)
	require.False(t, rep.Complete)
	_, err = b.p.Test(t.Context(), missing)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	_, err = b.p.ListBillingPeriods(t.Context(), missing)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	require.Zero(t, b.sim.GCPTokenCount(), "nothing signed in with the ambient key")

	got, rep, err = cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"sqladmin"}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.NotEmpty(t, got)
}

func unsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("signature"))
}

func TestWorkloadIdentityFederation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := setup(t, func(o *setupOpts) {
		o.resources = 300
		o.cfg = func(c *Config) { c.FederatedTokenDir = dir }
	})
	tokenFile := filepath.Join(dir, "gcp-token")
	const subject = "system:serviceaccount:valdrix:scanner"
	require.NoError(t, os.WriteFile(tokenFile, []byte(unsignedJWT(`{"iss":"https://oidc.valdrix.example","sub":"`+subject+`","exp":4102444800}`)), 0o600))
	cfg, err := b.sim.GCPWorkloadIdentityConfig(cloudsim.GCPWorkloadIdentity{TokenFile: tokenFile, Subject: subject,
		ServiceAccount: cloudsim.GCPServiceAccount{Email: "valdrix-wif@" + b.conn.GCP.Projects[0] + ".iam.gserviceaccount.com"}})
	require.NoError(t, err)
	conn := b.conn
	g := *b.conn.GCP
	g.ServiceAccountKey, g.WorkloadIdentityConfig = nil, cfg
	conn.GCP, conn.ID = &g, "conn-wif"
	got, rep, err := cloudtest.Collect(t.Context(), b.p, conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete, "%+v", rep.Failed())
	require.Len(t, got, len(b.want()))
	require.Equal(t, 2, b.sim.GCPTokenCount(), "one STS exchange and one impersonated token")
}

func TestCredentialConfigurationsAreChecked(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	b := setup(t, func(o *setupOpts) {
		o.resources = 100
		o.cfg = func(c *Config) { c.FederatedTokenDir = dir }
	})
	key := func(mutate func(map[string]any)) []byte {
		var k map[string]any
		require.NoError(t, json.Unmarshal(b.conn.GCP.ServiceAccountKey, &k))
		mutate(k)
		raw, err := json.Marshal(k)
		require.NoError(t, err)
		return raw
	}
	external := func(mutate func(map[string]any)) []byte {
		c := map[string]any{
			"type": "external_account", "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x",
			"subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": "https://sts.googleapis.com/v1/token",
			"credential_source": map[string]any{"file": filepath.Join(dir, "token")},
		}
		mutate(c)
		raw, err := json.Marshal(c)
		require.NoError(t, err)
		return raw
	}
	tests := []struct {
		name     string
		key, wif []byte
		msg      string
	}{
		{name: "token_uri elsewhere", key: key(func(k map[string]any) { k["token_uri"] = "https://attacker.example/token" }), msg: "token_uri"},
		{name: "another universe", key: key(func(k map[string]any) { k["universe_domain"] = "example.com" }), msg: "universe_domain"},
		{name: "executable source", wif: external(func(c map[string]any) {
			c["credential_source"] = map[string]any{"executable": map[string]any{"command": "/bin/cat /etc/passwd"}}
		}), msg: "credential_source"},
		{name: "metadata url source", wif: external(func(c map[string]any) {
			c["credential_source"] = map[string]any{"url": "http://169.254.169.254/token"}
		}), msg: "credential_source"},
		{name: "file outside the directory", wif: external(func(c map[string]any) {
			c["credential_source"] = map[string]any{"file": "/etc/passwd"}
		}), msg: "federated token directory"},
		{name: "sts elsewhere", wif: external(func(c map[string]any) { c["token_url"] = "https://attacker.example/v1/token" }), msg: "token_url"},
		{name: "impersonation elsewhere", wif: external(func(c map[string]any) {
			c["service_account_impersonation_url"] = "http://iamcredentials.googleapis.com/v1/x"
		}), msg: "service_account_impersonation_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			conn := b.conn
			g := *b.conn.GCP
			g.ServiceAccountKey, g.WorkloadIdentityConfig = tt.key, tt.wif
			conn.GCP, conn.ID = &g, "conn-"+tt.name
			_, _, err := cloudtest.Collect(t.Context(), b.p, conn, cloud.DiscoverOpts{})
			require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), "%v", err)
			require.Contains(t, valdrix.ErrorMessage(err), tt.msg)
		})
	}
	require.Zero(t, b.sim.GCPTokenCount(), "no refused configuration reached a token endpoint")
}
