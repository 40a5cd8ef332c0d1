package azure

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	azcloud "github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"golang.org/x/time/rate"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Public Azure endpoints, used when Config.Endpoint is empty.
const (
	publicAuthority = "https://login.microsoftonline.com/"
	publicARM       = "https://management.azure.com"
	armAudience     = "https://management.azure.com"
	armScope        = "https://management.azure.com/.default"
)

// Config configures the Azure adapter.
type Config struct {
	// Endpoint, when set, sends every Azure call to this https base URL
	// (the cloud simulator): Entra ID sign-in, Azure Resource Manager, and
	// Blob storage with path-style accounts (Endpoint/<account>).
	Endpoint string
	// HTTPClient is the transport of every call (default: a client with
	// 64 idle connections per host).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Clock      valdrix.Clock
	// RegionConcurrency bounds the regions scanned at once (default 4);
	// ServiceConcurrency the services per region (default 4);
	// MetricConcurrency the Azure Monitor calls at once (default 8).
	RegionConcurrency  int
	ServiceConcurrency int
	MetricConcurrency  int
	// RateLimit caps Azure Resource Manager calls per second per
	// connection and API ("resourcegraph", "monitor", "arm", "blob");
	// default 3/s with a burst of 5, within Resource Graph's quota of 15
	// queries per 5 seconds.
	RateLimit rate.Limit
	RateBurst int
	// MaxRetries (default 4), RetryDelay (default 800 ms) and
	// MaxRetryDelay (default 60 s) configure azcore's retry policy, which
	// retries 408, 429, 500, 502, 503 and 504 honouring Retry-After.
	MaxRetries    int32
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// ScanTimeout ends a discovery with the partial results it has
	// (default 5 minutes).
	ScanTimeout time.Duration
	// PageSize is the Resource Graph page size (default and maximum 1000).
	PageSize int
	// Budget rations Azure Monitor metrics calls per tenant and day; nil
	// means no limit.
	Budget cloud.Budget
	// FederatedTokenDir is the directory federated token files must be
	// in. Connections using workload identity federation are refused when
	// it is empty: a tenant must not make the server read arbitrary files.
	FederatedTokenDir string
}

// Provider is the Azure adapter. It implements cloud.Inventory,
// cloud.Tester, cloud.Metrics and cloud.CostSource.
type Provider struct {
	cfg  Config
	log  *slog.Logger
	http *http.Client

	limiters cloud.Limiters

	mu    sync.Mutex
	creds map[credKey]azcore.TokenCredential
}

// credKey identifies one credential: a connection's app and secret (or
// token file). A changed secret gets a new credential.
type credKey struct{ conn, tenant, client, secret string }

// New returns an Azure adapter.
func New(cfg Config) (*Provider, error) {
	cfg.RegionConcurrency = cmp.Or(cfg.RegionConcurrency, 4)
	cfg.ServiceConcurrency = cmp.Or(cfg.ServiceConcurrency, 4)
	cfg.MetricConcurrency = cmp.Or(cfg.MetricConcurrency, 8)
	cfg.RateLimit = cmp.Or(cfg.RateLimit, 3)
	cfg.RateBurst = cmp.Or(cfg.RateBurst, 5)
	cfg.MaxRetries = cmp.Or(cfg.MaxRetries, 4)
	cfg.RetryDelay = cmp.Or(cfg.RetryDelay, 800*time.Millisecond)
	cfg.MaxRetryDelay = cmp.Or(cfg.MaxRetryDelay, 60*time.Second)
	cfg.ScanTimeout = cmp.Or(cfg.ScanTimeout, 5*time.Minute)
	cfg.PageSize = min(cmp.Or(cfg.PageSize, 1000), 1000)
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.Endpoint != "" && !strings.HasPrefix(cfg.Endpoint, "https://") {
		return nil, valdrix.Errorf(valdrix.EINVALID, "the Azure endpoint must be an https URL (Entra ID refuses others)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = valdrix.SystemClock{}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second}}
	}
	return &Provider{cfg: cfg, log: cfg.Logger, http: hc, creds: map[credKey]azcore.TokenCredential{},
		limiters: cloud.Limiters{Limit: cfg.RateLimit, Burst: cfg.RateBurst}}, nil
}

// connection checks that conn is a valid Azure connection.
func (p *Provider) connection(conn cloud.Connection) (*cloud.AzureConnection, error) {
	if conn.Provider != valdrix.Azure || conn.Azure == nil {
		return nil, valdrix.Errorf(valdrix.EINVALID, "not an Azure connection")
	}
	if err := conn.Azure.Validate(); err != nil {
		return nil, fmt.Errorf("azure connection %s: %w", conn.ID, err)
	}
	return conn.Azure, nil
}

func (p *Provider) authorityHost() string {
	if p.cfg.Endpoint != "" {
		return p.cfg.Endpoint + "/"
	}
	return publicAuthority
}

func (p *Provider) armEndpoint() string {
	if p.cfg.Endpoint != "" {
		return p.cfg.Endpoint
	}
	return publicARM
}

// blobURL returns a storage account's blob service URL.
func (p *Provider) blobURL(account string) string {
	if p.cfg.Endpoint != "" {
		return p.cfg.Endpoint + "/" + account + "/"
	}
	return "https://" + account + ".blob.core.windows.net/"
}

// clientOptions are the options of every SDK client of a connection: an
// explicit cloud (never AZURE_AUTHORITY_HOST from the environment), the
// transport, the retry policy and a rate limit per connection and API.
func (p *Provider) clientOptions(connID, api string) policy.ClientOptions {
	return policy.ClientOptions{
		Cloud: azcloud.Configuration{
			ActiveDirectoryAuthorityHost: p.authorityHost(),
			Services: map[azcloud.ServiceName]azcloud.ServiceConfiguration{
				azcloud.ResourceManager: {Audience: armAudience, Endpoint: p.armEndpoint()},
			},
		},
		Transport:        p.http,
		Retry:            policy.RetryOptions{MaxRetries: p.cfg.MaxRetries, RetryDelay: p.cfg.RetryDelay, MaxRetryDelay: p.cfg.MaxRetryDelay},
		Telemetry:        policy.TelemetryOptions{Disabled: true},
		PerRetryPolicies: []policy.Policy{rateLimitPolicy{p.limiter(connID, api)}},
	}
}

func (p *Provider) armOptions(connID, api string) *arm.ClientOptions {
	return &arm.ClientOptions{ClientOptions: p.clientOptions(connID, api), DisableRPRegistration: true}
}

// rateLimitPolicy waits on a limiter before every attempt.
type rateLimitPolicy struct{ l *rate.Limiter }

func (r rateLimitPolicy) Do(req *policy.Request) (*http.Response, error) {
	if err := r.l.Wait(req.Raw().Context()); err != nil {
		return nil, fmt.Errorf("rate limit: %w", err)
	}
	return req.Next()
}

func (p *Provider) limiter(connID, api string) *rate.Limiter {
	return p.limiters.Get(connID + "|" + api)
}

// credential returns the connection's token credential, built only from
// the connection (a client secret, or a federated token file under
// FederatedTokenDir) and cached: azidentity keeps each token until shortly
// before it expires, so one sign-in serves every scan and region.
func (p *Provider) credential(conn cloud.Connection) (azcore.TokenCredential, error) {
	a := conn.Azure
	k := credKey{conn: conn.ID, tenant: a.TenantID, client: a.ClientID}
	if a.FederatedTokenFile != "" {
		k.secret = "file:" + a.FederatedTokenFile
	} else {
		sum := sha256.Sum256([]byte(a.ClientSecret.Reveal()))
		k.secret = hex.EncodeToString(sum[:8])
	}
	opts := p.clientOptions(conn.ID, "entra")
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.creds[k]; ok {
		return c, nil
	}
	var (
		c   azcore.TokenCredential
		err error
	)
	if a.FederatedTokenFile != "" {
		file, ferr := p.tokenFile(a.FederatedTokenFile)
		if ferr != nil {
			return nil, ferr
		}
		c, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: opts, TenantID: a.TenantID, ClientID: a.ClientID, TokenFilePath: file, DisableInstanceDiscovery: true,
		})
	} else {
		c, err = azidentity.NewClientSecretCredential(a.TenantID, a.ClientID, a.ClientSecret.Reveal(), &azidentity.ClientSecretCredentialOptions{
			ClientOptions: opts, DisableInstanceDiscovery: true,
		})
	}
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINVALID, err, "the Azure credential of connection %s could not be built", conn.ID)
	}
	p.creds[k] = c
	return c, nil
}

// tokenFile checks that a federated token file is inside FederatedTokenDir.
func (p *Provider) tokenFile(path string) (string, error) {
	if p.cfg.FederatedTokenDir == "" {
		return "", valdrix.FieldError("azure.federated_token_file", "workload identity federation is not enabled on this server (no federated token directory is configured)")
	}
	dir, err := filepath.Abs(p.cfg.FederatedTokenDir)
	if err != nil {
		return "", valdrix.Wrap(valdrix.EINVALID, err, "the federated token directory is invalid")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", valdrix.FieldError("azure.federated_token_file", "is not a valid path")
	}
	if rel, err := filepath.Rel(dir, abs); err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return "", valdrix.FieldError("azure.federated_token_file", "must be inside the server's federated token directory")
	}
	return abs, nil
}

// Forget drops the cached credentials of a connection (after it changed or
// was deleted).
func (p *Provider) Forget(connID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.creds {
		if k.conn == connID {
			delete(p.creds, k)
		}
	}
}

// signIn gets an ARM token for the connection, returning a translated
// error when Entra ID refuses.
func (p *Provider) signIn(ctx context.Context, conn cloud.Connection) (azcore.TokenCredential, error) {
	cred, err := p.credential(conn)
	if err != nil {
		return nil, err
	}
	// EnableCAE as ARM's bearer token policy asks: azidentity caches CAE
	// and non-CAE tokens apart, and this token is then reused by the
	// clients.
	if _, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{armScope}, EnableCAE: true}); err != nil {
		p.Forget(conn.ID)
		return nil, translate(err, "", "sign in to Entra ID as app "+conn.Azure.ClientID)
	}
	return cred, nil
}

// The adapter implements every capability.
var (
	_ cloud.Inventory  = (*Provider)(nil)
	_ cloud.Tester     = (*Provider)(nil)
	_ cloud.Metrics    = (*Provider)(nil)
	_ cloud.CostSource = (*Provider)(nil)
)
