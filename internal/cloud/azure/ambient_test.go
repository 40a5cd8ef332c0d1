package azure

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/cloudtest"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestAmbientCredentialsAreNeverUsed sets the environment variables
// DefaultAzureCredential and EnvironmentCredential read, pointing at an
// app the simulator accepts, and proves the adapter ignores them: a
// connection without credentials fails closed and no token is issued.
// (t.Setenv forbids t.Parallel.)
func TestAmbientCredentialsAreNeverUsed(t *testing.T) { //nolint:paralleltest // t.Setenv
	b := setup(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	require.NoError(t, os.WriteFile(tokenFile, []byte("ambient-token"), 0o600))
	t.Setenv("AZURE_TENANT_ID", b.conn.Azure.TenantID)
	t.Setenv("AZURE_CLIENT_ID", b.clientID)
	t.Setenv("AZURE_CLIENT_SECRET", testSecret)
	t.Setenv("AZURE_FEDERATED_TOKEN_FILE", tokenFile)
	t.Setenv("AZURE_AUTHORITY_HOST", "https://login.ambient.example/")
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(dir, "adc.json"))

	missing := b.conn
	az := *b.conn.Azure
	az.ClientSecret = ""
	missing.Azure = &az
	got, rep, err := cloudtest.Collect(t.Context(), b.p, missing, cloud.DiscoverOpts{})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), "%v", err)
	require.Equal(t, "azure.client_secret", valdrix.ErrorField(err))
	require.Empty(t, got)
	require.False(t, rep.Complete)
	_, err = b.p.Test(t.Context(), missing)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	res, err := b.p.QueryMetrics(t.Context(), missing, b.metricQueries(t))
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	require.Nil(t, res)
	require.Zero(t, b.sim.AzureTokenCount(), "nothing signed in with the ambient app")

	// A valid connection signs in with its own secret only, at the
	// configured authority (not AZURE_AUTHORITY_HOST).
	got, rep, err = cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"sql"}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.NotEmpty(t, got)
}

// unsignedJWT returns a JWT with the given claims and no signature check
// in the simulator (Entra ID would check it against the issuer's keys).
func unsignedJWT(claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT","kid":"k1"}`)) + "." + enc([]byte(claims)) + "." + enc([]byte("signature"))
}

func TestWorkloadIdentityFederation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const issuer, subject = "https://oidc.valdrix.example", "system:serviceaccount:valdrix:scanner"
	b := setup(t, func(o *setupOpts) {
		o.resources = 300
		o.cfg = func(c *Config) { c.FederatedTokenDir = dir }
		o.app = func(a *cloudsim.AzureApp) {
			a.ClientSecret, a.FederatedIssuer, a.FederatedSubject = "", issuer, subject
		}
	})
	tokenFile := filepath.Join(dir, "azure-token")
	require.NoError(t, os.WriteFile(tokenFile, []byte(unsignedJWT(`{"iss":"`+issuer+`","sub":"`+subject+`","aud":"`+cloudsim.FederatedAudience+`","exp":4102444800}`)), 0o600))
	conn := b.conn
	az := *b.conn.Azure
	az.ClientSecret, az.FederatedTokenFile = "", tokenFile
	conn.Azure = &az

	got, rep, err := cloudtest.Collect(t.Context(), b.p, conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete, "%+v", rep.Failed())
	require.Len(t, got, len(b.want()))

	tests := []struct {
		name, file, token, code, msg string
	}{
		{name: "file outside the token directory", file: filepath.Join(t.TempDir(), "token"), code: valdrix.EINVALID, msg: "federated token directory"},
		{name: "another subject", file: filepath.Join(dir, "other"), code: valdrix.EUNAUTHORIZED, msg: "AADSTS70021",
			token: unsignedJWT(`{"iss":"` + issuer + `","sub":"someone-else","aud":"` + cloudsim.FederatedAudience + `"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.token != "" {
				require.NoError(t, os.WriteFile(tt.file, []byte(tt.token), 0o600))
			}
			c := conn
			a := *conn.Azure
			a.FederatedTokenFile = tt.file
			c.Azure, c.ID = &a, "conn-"+tt.name
			_, _, err := cloudtest.Collect(t.Context(), b.p, c, cloud.DiscoverOpts{})
			require.Equal(t, tt.code, valdrix.ErrorCode(err), "%v", err)
			require.Contains(t, valdrix.ErrorMessage(err), tt.msg)
		})
	}
}
