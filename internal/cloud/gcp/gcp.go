package gcp

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/auth/credentials"
	"golang.org/x/time/rate"
	"google.golang.org/api/option"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// scope is the OAuth scope Valdrix asks for; IAM roles (all read-only)
// decide what the credential may do.
const scope = "https://www.googleapis.com/auth/cloud-platform"

// Google's token endpoints, the only ones accepted without Config.Endpoint.
var (
	googleTokenURLs = []string{"https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token"}
	googleSTSHosts  = []string{"sts.googleapis.com"}
	googleIAMHosts  = []string{"iamcredentials.googleapis.com"}
)

// Config configures the GCP adapter.
type Config struct {
	// Endpoint, when set, sends every Google API call to Endpoint/<service>
	// (the cloud simulator: /cloudasset, /compute, /sqladmin, /monitoring,
	// /bigquery) and accepts credential token URLs under it.
	Endpoint string
	// HTTPClient's transport carries every call (default: a transport with
	// 64 idle connections per host).
	HTTPClient *http.Client
	Logger     *slog.Logger
	Clock      valdrix.Clock
	// ProjectConcurrency bounds the projects scanned at once (default 4);
	// MetricConcurrency the Cloud Monitoring calls at once (default 8).
	ProjectConcurrency int
	MetricConcurrency  int
	// RateLimit caps calls per second per connection and API (default
	// 10/s, burst RateBurst, default 20).
	RateLimit rate.Limit
	RateBurst int
	// RetryMaxAttempts (default 5), RetryBaseDelay (default 500 ms) and
	// RetryMaxBackoff (default 20 s) configure the retries of throttled
	// (429) and unavailable (500, 502, 503, 504) answers, honouring
	// Retry-After up to RetryMaxBackoff.
	RetryMaxAttempts int
	RetryBaseDelay   time.Duration
	RetryMaxBackoff  time.Duration
	// ScanTimeout ends a discovery with the partial results it has
	// (default 5 minutes). QueryTimeout bounds a billing export query and
	// its download (default 15 minutes).
	ScanTimeout  time.Duration
	QueryTimeout time.Duration
	// MaxBytesBilled refuses billing queries that would scan more (default
	// 200 GiB); BigQuery answers bytesBilledLimitExceeded instead of
	// charging the customer.
	MaxBytesBilled int64
	// LateDays is how many days after a month the export still delivers
	// its usage, so the partitions read for a month reach that far
	// (default 7).
	LateDays int
	// Budget rations Cloud Monitoring calls per tenant and day; nil means
	// no limit.
	Budget cloud.Budget
	// FederatedTokenDir is the directory a workload identity
	// configuration's credential_source.file must be in. Workload identity
	// is refused when it is empty: a tenant must not make the server read
	// arbitrary files.
	FederatedTokenDir string
}

// Provider is the GCP adapter. It implements cloud.Inventory,
// cloud.Tester, cloud.Metrics and cloud.CostSource.
type Provider struct {
	cfg  Config
	log  *slog.Logger
	base http.RoundTripper

	limiters cloud.Limiters

	mu      sync.Mutex
	clients map[string]*session // by connection id and credential fingerprint
}

// session is a connection's credential and authenticated HTTP client,
// shared by every API and scan until the connection changes.
type session struct {
	conn    string
	project string // a project of the connection (quota and job project)
	creds   *auth.Credentials
	http    *http.Client
}

// New returns a GCP adapter.
func New(cfg Config) (*Provider, error) {
	cfg.ProjectConcurrency = cmp.Or(cfg.ProjectConcurrency, 4)
	cfg.MetricConcurrency = cmp.Or(cfg.MetricConcurrency, 8)
	cfg.RateLimit = cmp.Or(cfg.RateLimit, 10)
	cfg.RateBurst = cmp.Or(cfg.RateBurst, 20)
	cfg.RetryMaxAttempts = cmp.Or(cfg.RetryMaxAttempts, 5)
	cfg.RetryBaseDelay = cmp.Or(cfg.RetryBaseDelay, 500*time.Millisecond)
	cfg.RetryMaxBackoff = cmp.Or(cfg.RetryMaxBackoff, 20*time.Second)
	cfg.ScanTimeout = cmp.Or(cfg.ScanTimeout, 5*time.Minute)
	cfg.QueryTimeout = cmp.Or(cfg.QueryTimeout, 15*time.Minute)
	cfg.MaxBytesBilled = cmp.Or(cfg.MaxBytesBilled, 200<<30)
	cfg.LateDays = cmp.Or(cfg.LateDays, 7)
	cfg.Endpoint = strings.TrimRight(cfg.Endpoint, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = valdrix.SystemClock{}
	}
	var base http.RoundTripper = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: true, IdleConnTimeout: 90 * time.Second}
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	}
	return &Provider{cfg: cfg, log: cfg.Logger, base: base, clients: map[string]*session{},
		limiters: cloud.Limiters{Limit: cfg.RateLimit, Burst: cfg.RateBurst}}, nil
}

// connection checks that conn is a valid GCP connection.
func (p *Provider) connection(conn cloud.Connection) (*cloud.GCPConnection, error) {
	if conn.Provider != valdrix.GCP || conn.GCP == nil {
		return nil, valdrix.Errorf(valdrix.EINVALID, "not a GCP connection")
	}
	if err := conn.GCP.Validate(); err != nil {
		return nil, fmt.Errorf("gcp connection %s: %w", conn.ID, err)
	}
	return conn.GCP, nil
}

// endpoint returns the base URL of a Google API for the client options
// (empty for Google's own default).
func (p *Provider) endpoint(service string) string {
	if p.cfg.Endpoint == "" {
		return ""
	}
	return p.cfg.Endpoint + "/" + service
}

// options are the client options of an API: the session's authenticated
// client bound to ctx and, against the simulator, the endpoint. suffix is
// appended to the endpoint (discovery clients want their base path).
func (p *Provider) options(ctx context.Context, s *session, service, suffix string) []option.ClientOption {
	opts := []option.ClientOption{option.WithHTTPClient(&http.Client{Transport: boundTransport{ctx: ctx, base: s.http.Transport}})}
	if ep := p.endpoint(service); ep != "" {
		opts = append(opts, option.WithEndpoint(ep+suffix))
	}
	return opts
}

// session returns the connection's credential and client, built only from
// the connection (never Application Default Credentials), and cached: the
// credential keeps its token until shortly before it expires, so one
// token serves every scan, project and API.
func (p *Provider) session(conn cloud.Connection) (*session, error) {
	g := conn.GCP
	raw, typ := g.ServiceAccountKey.Reveal(), credentials.ServiceAccount
	if len(raw) == 0 {
		raw, typ = g.WorkloadIdentityConfig, credentials.ExternalAccount
	}
	sum := sha256.Sum256(raw)
	key := conn.ID + "|" + hex.EncodeToString(sum[:8])
	p.mu.Lock()
	s, ok := p.clients[key]
	p.mu.Unlock()
	if ok {
		return s, nil
	}
	if err := p.checkCredentialJSON(raw, typ); err != nil {
		return nil, err
	}
	// The token endpoints get their own retrying client without auth.
	tokenClient := &http.Client{Transport: &retryTransport{p: p, conn: conn.ID, base: p.base}}
	creds, err := credentials.NewCredentialsFromJSON(typ, raw, &credentials.DetectOptions{
		Scopes: []string{scope}, Client: tokenClient, UniverseDomain: "googleapis.com", DisableAsyncRefresh: true, Logger: p.log,
	})
	if err != nil {
		field := "gcp.service_account_key"
		if typ == credentials.ExternalAccount {
			field = "gcp.workload_identity_config"
		}
		return nil, valdrix.FieldError(field, "could not be used as a %s credential", typ)
	}
	s = &session{conn: conn.ID, project: g.Projects[0], creds: creds}
	s.http = &http.Client{Transport: &authTransport{creds: creds, base: &retryTransport{p: p, conn: conn.ID, base: p.base}}}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.clients[key]; ok {
		return old, nil
	}
	p.clients[key] = s
	return s, nil
}

// checkCredentialJSON refuses credential configurations that would make
// the server read files or call URLs the tenant chooses: token URLs must
// be Google's (or the simulator's), and a workload identity configuration
// may only read a subject token file inside FederatedTokenDir.
func (p *Provider) checkCredentialJSON(raw []byte, typ credentials.CredType) error {
	if typ == credentials.ServiceAccount {
		var k struct {
			TokenURI       string `json:"token_uri"`
			UniverseDomain string `json:"universe_domain"`
		}
		if err := json.Unmarshal(raw, &k); err != nil {
			return valdrix.FieldError("gcp.service_account_key", "is not a JSON object")
		}
		if k.TokenURI != "" && !p.allowedURL(k.TokenURI, googleTokenURLs, nil) {
			return valdrix.FieldError("gcp.service_account_key", "token_uri must be Google's OAuth2 token endpoint")
		}
		if k.UniverseDomain != "" && k.UniverseDomain != "googleapis.com" {
			return valdrix.FieldError("gcp.service_account_key", "universe_domain must be googleapis.com")
		}
		return nil
	}
	var c struct {
		TokenURL         string                     `json:"token_url"`
		TokenInfoURL     string                     `json:"token_info_url"`
		Impersonation    string                     `json:"service_account_impersonation_url"`
		CredentialSource map[string]json.RawMessage `json:"credential_source"`
		UniverseDomain   string                     `json:"universe_domain"`
	}
	const field = "gcp.workload_identity_config"
	if err := json.Unmarshal(raw, &c); err != nil {
		return valdrix.FieldError(field, "is not a JSON object")
	}
	switch {
	case !p.allowedURL(c.TokenURL, nil, googleSTSHosts):
		return valdrix.FieldError(field, "token_url must be Google's Security Token Service (https://sts.googleapis.com/v1/token)")
	case c.TokenInfoURL != "" && !p.allowedURL(c.TokenInfoURL, nil, googleSTSHosts):
		return valdrix.FieldError(field, "token_info_url must be on sts.googleapis.com")
	case c.Impersonation != "" && !p.allowedURL(c.Impersonation, nil, googleIAMHosts):
		return valdrix.FieldError(field, "service_account_impersonation_url must be on iamcredentials.googleapis.com")
	case c.UniverseDomain != "" && c.UniverseDomain != "googleapis.com":
		return valdrix.FieldError(field, "universe_domain must be googleapis.com")
	}
	for k := range c.CredentialSource {
		if k != "file" && k != "format" {
			return valdrix.FieldError(field, "credential_source may only name a subject token file (not %q): executables, URLs and cloud metadata would reach the server's own environment", k)
		}
	}
	var file string
	if err := json.Unmarshal(c.CredentialSource["file"], &file); err != nil || file == "" {
		return valdrix.FieldError(field, "credential_source.file is required")
	}
	if p.cfg.FederatedTokenDir == "" {
		return valdrix.FieldError(field, "workload identity federation is not enabled on this server (no federated token directory is configured)")
	}
	dir, err := filepath.Abs(p.cfg.FederatedTokenDir)
	if err != nil {
		return valdrix.Wrap(valdrix.EINVALID, err, "the federated token directory is invalid")
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return valdrix.FieldError(field, "credential_source.file is not a valid path")
	}
	if rel, err := filepath.Rel(dir, abs); err != nil || rel == "." || strings.HasPrefix(rel, "..") || abs != filepath.Clean(file) {
		return valdrix.FieldError(field, "credential_source.file must be an absolute path inside the server's federated token directory")
	}
	return nil
}

// allowedURL reports whether u is one of exact, on one of hosts (https),
// or under the configured endpoint.
func (p *Provider) allowedURL(u string, exact, hosts []string) bool {
	if p.cfg.Endpoint != "" && strings.HasPrefix(u, p.cfg.Endpoint+"/") {
		return true
	}
	for _, e := range exact {
		if u == e {
			return true
		}
	}
	pu, err := url.Parse(u)
	if err != nil || pu.Scheme != "https" || pu.User != nil {
		return false
	}
	for _, h := range hosts {
		if pu.Host == h {
			return true
		}
	}
	return false
}

// Forget drops the cached credentials of a connection (after it changed or
// was deleted).
func (p *Provider) Forget(connID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, s := range p.clients {
		if s.conn == connID {
			delete(p.clients, k)
		}
	}
}

// signIn returns the connection's session after getting a token, with a
// translated error when Google refuses.
func (p *Provider) signIn(ctx context.Context, conn cloud.Connection) (*session, error) {
	s, err := p.session(conn)
	if err != nil {
		return nil, err
	}
	if _, err := s.creds.Token(ctx); err != nil {
		p.Forget(conn.ID)
		return nil, translate(err, "", "get an access token for the connection's credential")
	}
	return s, nil
}

// The adapter implements every capability.
var (
	_ cloud.Inventory  = (*Provider)(nil)
	_ cloud.Tester     = (*Provider)(nil)
	_ cloud.Metrics    = (*Provider)(nil)
	_ cloud.CostSource = (*Provider)(nil)
)
