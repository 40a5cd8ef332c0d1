package cloud

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func validAWS() Connection {
	return Connection{
		ID: "c1", TenantID: "t1", Provider: valdrix.AWS, Name: "prod",
		AWS: &AWSConnection{
			AccountID: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/ValdrixReadOnly",
			ExternalID: "vdx-0123456789abcdef", Regions: []string{"us-east-1", "eu-west-1"},
			ExportBucket: "acme-cur", ExportPrefix: "cur2/acme", ExportRegion: "us-east-1",
		},
	}
}

func validAzure() Connection {
	return Connection{
		Provider: valdrix.Azure, Name: "azure",
		Azure: &AzureConnection{
			TenantID: "11111111-2222-3333-4444-555555555555", ClientID: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
			ClientSecret: "s3cr3t", Subscriptions: []string{"99999999-8888-7777-6666-555555555555"},
			StorageAccount: "acmecosts", Container: "exports",
		},
	}
}

func validGCP() Connection {
	return Connection{
		Provider: valdrix.GCP, Name: "gcp",
		GCP: &GCPConnection{
			ServiceAccountKey: SecretBytes(`{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"-----BEGIN"}`),
			Projects:          []string{"acme-prod-123"}, BillingTable: "acme-billing.billing.gcp_billing_export_resource_v1_0",
		},
	}
}

func TestConnectionValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		conn   func() Connection
		fields []string // fields expected to be named, in any order; empty means valid
	}{
		{name: "aws valid", conn: validAWS},
		{name: "azure valid", conn: validAzure},
		{name: "gcp valid", conn: validGCP},
		{name: "no name", conn: func() Connection { c := validAWS(); c.Name = " "; return c }, fields: []string{"name"}},
		{name: "bad provider", conn: func() Connection { c := validAWS(); c.Provider = "oracle"; return c }, fields: []string{"provider"}},
		{name: "aws settings missing", conn: func() Connection { c := validAWS(); c.AWS = nil; return c }, fields: []string{"aws"}},
		{name: "two settings", conn: func() Connection { c := validAWS(); c.GCP = validGCP().GCP; return c }, fields: []string{"aws"}},
		{name: "bad account", conn: func() Connection { c := validAWS(); c.AWS.AccountID = "12345"; return c }, fields: []string{"aws.account_id"}},
		{name: "role in other account", conn: func() Connection {
			c := validAWS()
			c.AWS.RoleARN = "arn:aws:iam::210987654321:role/X"
			return c
		}, fields: []string{"aws.role_arn"}},
		{name: "role not an arn", conn: func() Connection { c := validAWS(); c.AWS.RoleARN = "ValdrixReadOnly"; return c }, fields: []string{"aws.role_arn"}},
		{name: "no external id", conn: func() Connection { c := validAWS(); c.AWS.ExternalID = ""; return c }, fields: []string{"aws.external_id"}},
		{name: "bad region", conn: func() Connection { c := validAWS(); c.AWS.Regions = []string{"us-east-1", "mars-1"}; return c }, fields: []string{"aws.regions[1]"}},
		{name: "bucket without region", conn: func() Connection { c := validAWS(); c.AWS.ExportRegion = ""; return c }, fields: []string{"aws.export_region"}},
		{name: "bad bucket", conn: func() Connection { c := validAWS(); c.AWS.ExportBucket = "Bad_Bucket"; return c }, fields: []string{"aws.export_bucket"}},
		{name: "prefix without bucket", conn: func() Connection { c := validAWS(); c.AWS.ExportBucket = ""; return c }, fields: []string{"aws.export_bucket"}},
		{name: "write role same as read", conn: func() Connection { c := validAWS(); c.AWS.WriteRoleARN = c.AWS.RoleARN; return c }, fields: []string{"aws.write_role_arn"}},
		{name: "azure bad ids", conn: func() Connection {
			c := validAzure()
			c.Azure.TenantID, c.Azure.ClientID = "x", "y"
			return c
		}, fields: []string{"azure.tenant_id", "azure.client_id"}},
		{name: "azure no credential", conn: func() Connection { c := validAzure(); c.Azure.ClientSecret = ""; return c }, fields: []string{"azure.client_secret"}},
		{name: "azure both credentials", conn: func() Connection { c := validAzure(); c.Azure.FederatedTokenFile = "/var/run/token"; return c }, fields: []string{"azure.federated_token_file"}},
		{name: "azure bad subscription", conn: func() Connection { c := validAzure(); c.Azure.Subscriptions = []string{"nope"}; return c }, fields: []string{"azure.subscriptions[0]"}},
		{name: "azure bad storage", conn: func() Connection { c := validAzure(); c.Azure.StorageAccount = "Acme_Costs"; return c }, fields: []string{"azure.storage_account"}},
		{name: "gcp key not json", conn: func() Connection { c := validGCP(); c.GCP.ServiceAccountKey = SecretBytes("nope"); return c }, fields: []string{"gcp.service_account_key"}},
		{name: "gcp key wrong type", conn: func() Connection {
			c := validGCP()
			c.GCP.ServiceAccountKey = SecretBytes(`{"type":"authorized_user","client_email":"x","private_key":"y"}`)
			return c
		}, fields: []string{"gcp.service_account_key"}},
		{name: "gcp workload identity", conn: func() Connection {
			c := validGCP()
			c.GCP.ServiceAccountKey = nil
			c.GCP.WorkloadIdentityConfig = []byte(`{"type":"external_account","audience":"//iam.googleapis.com/x","credential_source":{"file":"/t"}}`)
			return c
		}},
		{name: "gcp no projects", conn: func() Connection { c := validGCP(); c.GCP.Projects = nil; return c }, fields: []string{"gcp.projects"}},
		{name: "gcp bad table", conn: func() Connection { c := validGCP(); c.GCP.BillingTable = "table"; return c }, fields: []string{"gcp.billing_table"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.conn().Validate()
			if len(tt.fields) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
			for _, f := range tt.fields {
				require.Contains(t, err.Error(), f+": ")
			}
		})
	}
}

func TestConnectionValidateNeverQuotesSecrets(t *testing.T) {
	t.Parallel()
	c := validGCP()
	c.GCP.ServiceAccountKey = SecretBytes(`{"type":"user","private_key":"TOPSECRET"}`)
	err := c.Validate()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "TOPSECRET")
}

func TestSecretRedaction(t *testing.T) {
	t.Parallel()
	c := validAzure()
	c.Azure.ClientSecret = "hunter2-very-secret"
	g := validGCP()
	var logBuf strings.Builder
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	log.Info("conn", "secret", c.Azure.ClientSecret, "key", g.GCP.ServiceAccountKey)
	js, err := json.Marshal(c)
	require.NoError(t, err)
	outputs := []string{
		fmt.Sprintf("%v", c.Azure), fmt.Sprintf("%+v", *c.Azure), fmt.Sprintf("%#v", *c.Azure),
		fmt.Sprint(c.Azure.ClientSecret), fmt.Sprintf("%x", g.GCP.ServiceAccountKey), fmt.Sprintf("%q", c.Azure.ClientSecret),
		fmt.Sprintf("%#v", *g.GCP), logBuf.String(), string(js),
	}
	for _, out := range outputs {
		require.NotContains(t, out, "hunter2")
		require.NotContains(t, out, "BEGIN")
	}
	require.Contains(t, logBuf.String(), redacted)
	require.Equal(t, "hunter2-very-secret", c.Azure.ClientSecret.Reveal())
	require.Equal(t, "", Secret("").String())
}
