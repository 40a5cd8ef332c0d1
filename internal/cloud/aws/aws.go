package aws

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"golang.org/x/time/rate"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Config configures the AWS adapter.
type Config struct {
	// AccessKeyID and SecretAccessKey are the platform's own base
	// credentials, used only to call STS AssumeRole into customer roles.
	// They come from Valdrix's configuration: the adapter never reads the
	// environment, shared config files or instance metadata.
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Endpoint, when set, sends every AWS call to this base URL (the cloud
	// simulator) with path-style S3 addressing.
	Endpoint string
	// STSRegion is where AssumeRole is called (default us-east-1).
	STSRegion  string
	HTTPClient *http.Client
	Logger     *slog.Logger
	Clock      valdrix.Clock
	// RegionConcurrency bounds the regions scanned at once (default 4);
	// ServiceConcurrency the services per region (default 4);
	// DetailConcurrency the per-resource calls (target health, table
	// details) per service (default 8).
	RegionConcurrency  int
	ServiceConcurrency int
	DetailConcurrency  int
	// RateLimits caps calls per second per connection, region and
	// operation ("DescribeVolumes"); DefaultRateLimit applies to the others
	// (default 50/s, burst 2× the limit).
	RateLimits       map[string]rate.Limit
	DefaultRateLimit rate.Limit
	// RetryMaxAttempts (default 5) and RetryMaxBackoff (default 20 s)
	// configure the SDK's standard retryer; throttling is retried.
	RetryMaxAttempts int
	RetryMaxBackoff  time.Duration
	// ScanTimeout ends a discovery with the partial results it has
	// (default 5 minutes).
	ScanTimeout time.Duration
	// SessionDuration is the assumed-role session length (default 1 h).
	SessionDuration time.Duration
	// Budget rations CloudWatch GetMetricData calls per tenant and day;
	// nil means no limit.
	Budget cloud.Budget
	// ExternalIDPrefix is checked on connections' external ids when set.
	ExternalIDPrefix string
}

// Provider is the AWS adapter. It implements cloud.Inventory, cloud.Tester,
// cloud.Metrics and cloud.CostSource.
type Provider struct {
	cfg  Config
	log  *slog.Logger
	http bufferingClient

	mu       sync.Mutex
	creds    map[credKey]*awssdk.CredentialsCache
	limiters map[string]*rate.Limiter
}

type credKey struct{ conn, role, external string }

// New returns an AWS adapter. It fails when the platform credentials are
// missing: there is no fallback to ambient credentials.
func New(cfg Config) (*Provider, error) {
	if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
		return nil, valdrix.Errorf(valdrix.EINVALID, "the platform's AWS access key is not configured; Valdrix never falls back to ambient AWS credentials")
	}
	cfg.STSRegion = cmp.Or(cfg.STSRegion, "us-east-1")
	cfg.RegionConcurrency = cmp.Or(cfg.RegionConcurrency, 4)
	cfg.ServiceConcurrency = cmp.Or(cfg.ServiceConcurrency, 4)
	cfg.DetailConcurrency = cmp.Or(cfg.DetailConcurrency, 8)
	cfg.DefaultRateLimit = cmp.Or(cfg.DefaultRateLimit, 50)
	cfg.RetryMaxAttempts = cmp.Or(cfg.RetryMaxAttempts, 5)
	cfg.RetryMaxBackoff = cmp.Or(cfg.RetryMaxBackoff, 20*time.Second)
	cfg.ScanTimeout = cmp.Or(cfg.ScanTimeout, 5*time.Minute)
	cfg.SessionDuration = cmp.Or(cfg.SessionDuration, time.Hour)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = valdrix.SystemClock{}
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64
		}).GetTransport()}
	}
	return &Provider{cfg: cfg, log: cfg.Logger, http: bufferingClient{hc}, creds: map[credKey]*awssdk.CredentialsCache{}, limiters: map[string]*rate.Limiter{}}, nil
}

// bufferingClient hands the transport its own copy of each (small) request
// body. The SDK closes the request body as soon as Do returns, which can race
// with the transport's final read of it and make the transport close the
// connection while the response body is still being read ("use of closed
// network connection"); a fast server such as the simulator hits this often.
type bufferingClient struct{ c *http.Client }

// Do implements aws.HTTPClient.
func (b bufferingClient) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength >= 0 && req.ContentLength <= 1<<20 {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	}
	return b.c.Do(req)
}

// connection checks that conn is a valid AWS connection.
func (p *Provider) connection(conn cloud.Connection) (*cloud.AWSConnection, error) {
	if conn.Provider != valdrix.AWS || conn.AWS == nil {
		return nil, valdrix.Errorf(valdrix.EINVALID, "not an AWS connection")
	}
	if err := conn.AWS.Validate(); err != nil {
		return nil, fmt.Errorf("aws connection %s: %w", conn.ID, err)
	}
	return conn.AWS, nil
}

// credentials returns the connection's cached assumed-role credentials;
// one cache per (connection, role, external id), refreshed before expiry.
func (p *Provider) credentials(conn cloud.Connection, role string) *awssdk.CredentialsCache {
	k := credKey{conn.ID, role, conn.AWS.ExternalID}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.creds[k]; ok {
		return c
	}
	stsClient := sts.NewFromConfig(p.baseConfig(p.cfg.STSRegion,
		credentials.NewStaticCredentialsProvider(p.cfg.AccessKeyID, p.cfg.SecretAccessKey, p.cfg.SessionToken), conn.ID))
	prov := stscreds.NewAssumeRoleProvider(stsClient, role, func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = awssdk.String(conn.AWS.ExternalID)
		o.RoleSessionName = sessionName(conn)
		o.Duration = p.cfg.SessionDuration
	})
	c := awssdk.NewCredentialsCache(prov, func(o *awssdk.CredentialsCacheOptions) {
		o.ExpiryWindow = 5 * time.Minute
	})
	p.creds[k] = c
	return c
}

func sessionName(conn cloud.Connection) string {
	n := "valdrix-" + string(conn.TenantID)
	if len(n) > 64 {
		n = n[:64]
	}
	return n
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

// baseConfig builds an aws.Config by hand: explicit region, credentials,
// HTTP client, retryer and endpoint; nothing from the environment.
func (p *Provider) baseConfig(region string, creds awssdk.CredentialsProvider, connID string) awssdk.Config {
	cfg := awssdk.Config{
		Region:      region,
		Credentials: creds,
		HTTPClient:  p.http,
		Logger:      nil,
		Retryer: func() awssdk.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = p.cfg.RetryMaxAttempts
				o.MaxBackoff = p.cfg.RetryMaxBackoff
				o.RateLimiter = ratelimit.None
			})
		},
		RetryMaxAttempts: p.cfg.RetryMaxAttempts,
		APIOptions: []func(*middleware.Stack) error{
			func(st *middleware.Stack) error {
				return st.Finalize.Add(p.rateLimitMiddleware(connID, region), middleware.Before)
			},
		},
	}
	if p.cfg.Endpoint != "" {
		cfg.BaseEndpoint = awssdk.String(p.cfg.Endpoint)
	}
	return cfg
}

// config returns the aws.Config for the connection's read role in region.
func (p *Provider) config(conn cloud.Connection, region string) awssdk.Config {
	return p.baseConfig(region, p.credentials(conn, conn.AWS.RoleARN), conn.ID)
}

// rateLimitMiddleware waits on the limiter of (connection, region,
// operation) before every attempt.
func (p *Provider) rateLimitMiddleware(connID, region string) middleware.FinalizeMiddleware {
	return middleware.FinalizeMiddlewareFunc("ValdrixRateLimit", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		op := middleware.GetOperationName(ctx)
		if err := p.limiter(connID, region, op).Wait(ctx); err != nil {
			return middleware.FinalizeOutput{}, middleware.Metadata{}, fmt.Errorf("rate limit %s: %w", op, err)
		}
		return next.HandleFinalize(ctx, in)
	})
}

func (p *Provider) limiter(connID, region, op string) *rate.Limiter {
	k := connID + "|" + region + "|" + op
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.limiters[k]
	if !ok {
		lim := p.cfg.DefaultRateLimit
		if v, ok := p.cfg.RateLimits[op]; ok {
			lim = v
		}
		l = rate.NewLimiter(lim, max(1, int(2*lim)))
		p.limiters[k] = l
	}
	return l
}

// assume checks that the connection's role can be assumed, returning a
// translated error when it cannot.
func (p *Provider) assume(ctx context.Context, conn cloud.Connection) error {
	if _, err := p.credentials(conn, conn.AWS.RoleARN).Retrieve(ctx); err != nil {
		p.Forget(conn.ID)
		return translate(err, "sts:AssumeRole", "assume the role "+conn.AWS.RoleARN)
	}
	return nil
}

// The adapter implements every capability.
var (
	_ cloud.Inventory  = (*Provider)(nil)
	_ cloud.Tester     = (*Provider)(nil)
	_ cloud.Metrics    = (*Provider)(nil)
	_ cloud.CostSource = (*Provider)(nil)
)
