package inventory

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ConnectionStatus says whether a connection works.
type ConnectionStatus string

// Connection statuses.
const (
	StatusPending  ConnectionStatus = "pending"  // created, never tested successfully
	StatusActive   ConnectionStatus = "active"   // the last test passed
	StatusFailing  ConnectionStatus = "failing"  // the last test failed
	StatusDisabled ConnectionStatus = "disabled" // switched off by an admin
)

// AWSSettings are an AWS connection's settings (no secret among them; the
// ExternalId is shown only by the onboarding endpoint).
type AWSSettings struct {
	AccountID    string   `json:"account_id,omitempty" doc:"The 12-digit account the role lives in"`
	RoleARN      string   `json:"role_arn,omitempty" doc:"The read-only role Valdrix assumes"`
	Regions      []string `json:"regions,omitempty" doc:"Regions to inventory; empty for every enabled region"`
	ExportBucket string   `json:"export_bucket,omitempty" doc:"S3 bucket of the CUR 2.0 data export"`
	ExportPrefix string   `json:"export_prefix,omitempty"`
	ExportRegion string   `json:"export_region,omitempty"`
	WriteRoleARN string   `json:"write_role_arn,omitempty" doc:"Optional separate role for remediation"`
}

// AzureSettings are an Azure connection's settings; the client secret is
// stored encrypted and never returned.
type AzureSettings struct {
	TenantID           string   `json:"tenant_id,omitempty" doc:"Entra (directory) tenant id"`
	ClientID           string   `json:"client_id,omitempty" doc:"App registration (client) id"`
	HasClientSecret    bool     `json:"has_client_secret,omitempty" readOnly:"true"`
	FederatedTokenFile string   `json:"federated_token_file,omitempty" doc:"Workload identity: path of the federated token on the Valdrix host"`
	Subscriptions      []string `json:"subscriptions,omitempty"`
	StorageAccount     string   `json:"storage_account,omitempty" doc:"Storage account of the Cost Management export"`
	Container          string   `json:"container,omitempty"`
	ExportPrefix       string   `json:"export_prefix,omitempty"`
}

// GCPSettings are a GCP connection's settings; the service-account key is
// stored encrypted and never returned.
type GCPSettings struct {
	HasServiceAccountKey   bool     `json:"has_service_account_key,omitempty" readOnly:"true"`
	WorkloadIdentityConfig string   `json:"workload_identity_config,omitempty" doc:"external_account JSON (holds no secret)"`
	Projects               []string `json:"projects,omitempty"`
	BillingTable           string   `json:"billing_table,omitempty" doc:"project.dataset.table of the detailed billing export"`
}

// Connection is a tenant's link to one cloud account, subscription set or
// project set.
type Connection struct {
	ID         string            `json:"id"`
	TenantID   valdrix.TenantID  `json:"tenant_id,omitempty"`
	Provider   valdrix.Provider  `json:"provider" enum:"aws,azure,gcp"`
	Name       string            `json:"name"`
	Status     ConnectionStatus  `json:"status" enum:"pending,active,failing,disabled"`
	AccountRef string            `json:"account_ref" doc:"AWS account, Azure tenant or first GCP project"`
	AWS        *AWSSettings      `json:"aws,omitempty"`
	Azure      *AzureSettings    `json:"azure,omitempty"`
	GCP        *GCPSettings      `json:"gcp,omitempty"`
	LastTest   *cloud.TestReport `json:"last_test,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	TestedAt   *time.Time        `json:"last_tested_at,omitempty"`

	// Secret references (ids in the tenant's secret store), never shown.
	ExternalIDSecret string `json:"-"`
	CredentialSecret string `json:"-"`
}

// ConnectionSpec creates or changes a connection. Secrets travel only in
// specs, never in answers.
type ConnectionSpec struct {
	Provider valdrix.Provider `json:"provider,omitempty" enum:"aws,azure,gcp" doc:"Required when creating; cannot change"`
	Name     string           `json:"name,omitempty" maxLength:"200" doc:"Required when creating"`
	Disabled *bool            `json:"disabled,omitempty" doc:"Switch the connection off (or on)"`
	AWS      *AWSSettings     `json:"aws,omitempty"`
	Azure    *AzureSpec       `json:"azure,omitempty"`
	GCP      *GCPSpec         `json:"gcp,omitempty"`
}

// AzureSpec is AzureSettings with the client secret.
type AzureSpec struct {
	AzureSettings
	ClientSecret string `json:"client_secret,omitempty" writeOnly:"true" doc:"Stored encrypted; omit to keep the current one"`
}

// GCPSpec is GCPSettings with the service-account key.
type GCPSpec struct {
	GCPSettings
	ServiceAccountKey string `json:"service_account_key,omitempty" writeOnly:"true" doc:"The JSON key; stored encrypted; omit to keep the current one"`
}

var (
	awsAccount = regexp.MustCompile(`^\d{12}$`)
	roleARN    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$`)
)

// DefaultRoleName is the role the onboarding templates create.
const DefaultRoleName = "ValdrixReadOnly"

// newExternalID returns a fresh ExternalId: "vdx-" and 32 base32 characters.
func newExternalID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return "vdx-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// normalizeAWS fills defaults and checks the settings.
func normalizeAWS(s *AWSSettings) error {
	s.AccountID = strings.TrimSpace(s.AccountID)
	s.RoleARN = strings.TrimSpace(s.RoleARN)
	if s.AccountID == "" && s.RoleARN != "" {
		if m := roleARN.FindStringSubmatch(s.RoleARN); m != nil {
			s.AccountID = m[1]
		}
	}
	if !awsAccount.MatchString(s.AccountID) {
		return valdrix.FieldError("aws.account_id", "%q is not a 12-digit AWS account id", s.AccountID)
	}
	if s.RoleARN == "" {
		s.RoleARN = fmt.Sprintf("arn:aws:iam::%s:role/%s", s.AccountID, DefaultRoleName)
	}
	m := roleARN.FindStringSubmatch(s.RoleARN)
	if m == nil {
		return valdrix.FieldError("aws.role_arn", "%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", s.RoleARN)
	}
	if m[1] != s.AccountID {
		return valdrix.FieldError("aws.role_arn", "the role is in account %s, not %s", m[1], s.AccountID)
	}
	if s.WriteRoleARN != "" && !roleARN.MatchString(s.WriteRoleARN) {
		return valdrix.FieldError("aws.write_role_arn", "%q is not an IAM role ARN", s.WriteRoleARN)
	}
	s.Regions = dedupe(s.Regions)
	if s.ExportBucket != "" && s.ExportRegion == "" {
		return valdrix.FieldError("aws.export_region", "is required with export_bucket")
	}
	return nil
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
