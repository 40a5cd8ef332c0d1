package app

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/store"
)

// Config is the whole process configuration. The CLI fills it from flags,
// then VALDRIX_* environment variables, then an optional YAML file, then the
// defaults below, and Validate checks it once at start. Each field's flag is
// --kebab-name, its variable VALDRIX_UPPER_NAME and its YAML key snake_name.
type Config struct {
	DataDir             string        `name:"data-dir" env:"VALDRIX_DATA_DIR" default:"./valdrix-data" help:"Directory for the SQLite database and the generated encryption key."`
	DatabaseURL         string        `name:"database-url" env:"VALDRIX_DATABASE_URL" help:"postgres://… for PostgreSQL (the application's login, which must be valdrix_app or a member of it); empty for SQLite in the data directory."`
	MigrateDatabaseURL  string        `name:"migrate-database-url" env:"VALDRIX_MIGRATE_DATABASE_URL" help:"PostgreSQL URL of the schema owner, used for migrations; defaults to --database-url."`
	AutoMigrate         bool          `name:"auto-migrate" env:"VALDRIX_AUTO_MIGRATE" default:"true" negatable:"" help:"Apply pending migrations at start."`
	MaxDBConns          int           `name:"max-db-conns" env:"VALDRIX_MAX_DB_CONNS" default:"10" help:"PostgreSQL pool size, or SQLite read connections."`
	HTTPAddr            string        `name:"http-addr" env:"VALDRIX_HTTP_ADDR" default:"127.0.0.1:8080" help:"Address the HTTP server listens on."`
	TLSCert             string        `name:"tls-cert" env:"VALDRIX_TLS_CERT" help:"TLS certificate file; serve HTTPS when set with --tls-key."`
	TLSKey              string        `name:"tls-key" env:"VALDRIX_TLS_KEY" help:"TLS private key file."`
	EncryptionKeys      string        `name:"encryption-keys" env:"VALDRIX_ENCRYPTION_KEYS" help:"Keyring for secrets at rest: comma-separated id:base64key, primary first. When empty, a key file in the data directory is used (and created on first start)."`
	LogLevel            string        `name:"log-level" env:"VALDRIX_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level: debug, info, warn or error."`
	LogFormat           string        `name:"log-format" env:"VALDRIX_LOG_FORMAT" default:"text" enum:"text,json" help:"Log format: text or json."`
	AccessLog           bool          `name:"access-log" env:"VALDRIX_ACCESS_LOG" default:"true" negatable:"" help:"Log every HTTP request."`
	ShutdownTimeout     time.Duration `name:"shutdown-timeout" env:"VALDRIX_SHUTDOWN_TIMEOUT" default:"20s" help:"How long to let requests finish on shutdown."`
	SessionTTL          time.Duration `name:"session-ttl" env:"VALDRIX_SESSION_TTL" default:"12h" help:"Lifetime of a login session."`
	TrustProxy          bool          `name:"trust-proxy" env:"VALDRIX_TRUST_PROXY" help:"Take the client IP and scheme from X-Forwarded-For and X-Forwarded-Proto (only behind a proxy that sets them)."`
	SecureCookies       bool          `name:"secure-cookies" env:"VALDRIX_SECURE_COOKIES" help:"Always mark the session cookie Secure (it is under TLS anyway)."`
	TrustedOrigins      []string      `name:"trusted-origins" env:"VALDRIX_TRUSTED_ORIGINS" help:"Origins allowed to make cross-origin requests with the session cookie."`
	RateLimitIP         float64       `name:"rate-limit-ip" env:"VALDRIX_RATE_LIMIT_IP" default:"100" help:"Requests per second per client IP (0 disables)."`
	RateLimitIPBurst    int           `name:"rate-limit-ip-burst" env:"VALDRIX_RATE_LIMIT_IP_BURST" default:"200" help:"Burst per client IP."`
	RateLimitPrincipal  float64       `name:"rate-limit-principal" env:"VALDRIX_RATE_LIMIT_PRINCIPAL" default:"50" help:"Requests per second per API key, user or JWT subject (0 disables)."`
	RateLimitBurst      int           `name:"rate-limit-principal-burst" env:"VALDRIX_RATE_LIMIT_PRINCIPAL_BURST" default:"100" help:"Burst per API key, user or JWT subject."`
	LoginFailures       int           `name:"login-failures" env:"VALDRIX_LOGIN_FAILURES" default:"5" help:"Failed logins allowed per IP and per email every 15 minutes before 429 (0 disables)."`
	JWTIssuer           string        `name:"jwt-issuer" env:"VALDRIX_JWT_ISSUER" help:"Accept bearer JWTs from this issuer (iss), e.g. https://<ref>.supabase.co/auth/v1."`
	JWTAudience         string        `name:"jwt-audience" env:"VALDRIX_JWT_AUDIENCE" help:"Required JWT audience (aud), e.g. authenticated."`
	JWTJWKSURL          string        `name:"jwt-jwks-url" env:"VALDRIX_JWT_JWKS_URL" help:"The issuer's JWKS URL (RS/ES/PS/EdDSA keys)."`
	JWTHS256Secret      string        `name:"jwt-hs256-secret" env:"VALDRIX_JWT_HS256_SECRET" help:"Shared secret for HS256 JWTs (legacy Supabase)."`
	JWTTenantClaim      string        `name:"jwt-tenant-claim" env:"VALDRIX_JWT_TENANT_CLAIM" default:"tenant_id" help:"Claim (dotted path) holding the Valdrix tenant id."`
	AWSAccessKeyID      string        `name:"aws-access-key-id" env:"VALDRIX_AWS_ACCESS_KEY_ID" help:"The platform's own AWS access key, used only to assume customers' roles (never the ambient AWS credentials)."`
	AWSSecretAccessKey  string        `name:"aws-secret-access-key" env:"VALDRIX_AWS_SECRET_ACCESS_KEY" help:"The platform's AWS secret key."`
	AWSPlatformARN      string        `name:"aws-platform-principal" env:"VALDRIX_AWS_PLATFORM_PRINCIPAL" help:"ARN of the platform principal that customers' roles trust (rendered into the onboarding templates)."`
	AWSTemplateURL      string        `name:"aws-template-url" env:"VALDRIX_AWS_TEMPLATE_URL" default:"https://valdrix-public.s3.amazonaws.com/valdrix-role.cfn.yaml" help:"Where the CloudFormation role template is published, for the quick-create link."`
	ScanTimeout         time.Duration `name:"scan-timeout" env:"VALDRIX_SCAN_TIMEOUT" default:"5m" help:"A discovery ends with its partial results after this long."`
	CloudAPIDailyBudget int           `name:"cloud-api-daily-budget" env:"VALDRIX_CLOUD_API_DAILY_BUDGET" default:"3000" help:"Calls a tenant may make to each metered cloud API (CloudWatch GetMetricData, Azure Monitor, Cloud Monitoring) a day; metric rules say unknown beyond it."`
	DebugAWSEndpoint    string        `name:"debug-aws-endpoint" env:"VALDRIX_DEBUG_AWS_ENDPOINT" hidden:"" help:"Unstable: send every AWS call to this URL (the cloud simulator)."`
	FederatedTokenDir   string        `name:"federated-token-dir" env:"VALDRIX_FEDERATED_TOKEN_DIR" help:"Directory holding the platform's workload identity tokens; Azure and GCP connections using federation may only name token files inside it (empty: federation is refused)."`
	DebugAzureEndpoint  string        `name:"debug-azure-endpoint" env:"VALDRIX_DEBUG_AZURE_ENDPOINT" hidden:"" help:"Unstable: send every Azure call to this https URL (the cloud simulator)."`
	DebugAzureCA        string        `name:"debug-azure-ca" env:"VALDRIX_DEBUG_AZURE_CA" hidden:"" help:"Unstable: PEM file of a certificate authority to trust for --debug-azure-endpoint (the simulator's)."`
	DebugGCPEndpoint    string        `name:"debug-gcp-endpoint" env:"VALDRIX_DEBUG_GCP_ENDPOINT" hidden:"" help:"Unstable: send every Google API call to this URL (the cloud simulator)."`
	JWTRoleClaim        string        `name:"jwt-role-claim" env:"VALDRIX_JWT_ROLE_CLAIM" default:"valdrix_role" help:"Claim (dotted path) holding the Valdrix role."`
	Workers             bool          `name:"workers" env:"VALDRIX_WORKERS" default:"true" negatable:"" help:"serve also works background jobs; --no-workers serves the API only (run valdrix worker elsewhere)."`
	JobWorkers          int           `name:"job-workers" env:"VALDRIX_JOB_WORKERS" default:"10" help:"Jobs a process works at once, per queue."`
	JobTimeouts         []string      `name:"job-timeouts" env:"VALDRIX_JOB_TIMEOUTS" help:"Per-kind job timeouts as kind=duration, comma-separated (e.g. scan=10m; scans default to 5m)."`
	JobRescueAfter      time.Duration `name:"job-rescue-after" env:"VALDRIX_JOB_RESCUE_AFTER" default:"1h" help:"A job running this long is taken as abandoned by a dead worker and retried; at least twice every job timeout."`
	JobStuckAfter       time.Duration `name:"job-stuck-after" env:"VALDRIX_JOB_STUCK_AFTER" default:"1h" help:"Alert on a job waiting this long past its scheduled time."`
	MetricsAddr         string        `name:"metrics-addr" env:"VALDRIX_METRICS_ADDR" help:"Address of a /metrics listener for valdrix worker (serve has /metrics on the API address); empty for none."`
	Tracing             bool          `name:"tracing" env:"VALDRIX_TRACING" help:"Export OpenTelemetry traces over OTLP/HTTP, configured by the OTEL_EXPORTER_OTLP_* variables; on by itself when OTEL_EXPORTER_OTLP_ENDPOINT is set."`
}

// JobTimeoutMap parses JobTimeouts.
func (c Config) JobTimeoutMap() (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, kv := range c.JobTimeouts {
		kind, d, ok := strings.Cut(strings.TrimSpace(kv), "=")
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if !ok || strings.TrimSpace(kind) == "" || err != nil || dur <= 0 {
			return nil, settingError("job-timeouts", "%q is not kind=duration (e.g. scan=10m)", kv)
		}
		kind = strings.TrimSpace(kind)
		if !strings.Contains(kind, ".") {
			kind = "valdrix." + kind // the short name of Valdrix's own kinds: scan, ingest, …
		}
		out[kind] = dur
	}
	return out, nil
}

// DatabaseTarget returns the database URL, defaulting to SQLite in the data
// directory.
func (c Config) DatabaseTarget() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return "sqlite:" + store.DefaultSQLitePath(c.DataDir)
}

// JWTEnabled reports whether bearer JWTs are accepted.
func (c Config) JWTEnabled() bool {
	return c.JWTIssuer != "" || c.JWTJWKSURL != "" || c.JWTHS256Secret != ""
}

// settingError names a setting by flag and environment variable.
func settingError(flag, format string, args ...any) error {
	env := "VALDRIX_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
	return fmt.Errorf("setting %s (--%s): %s", env, flag, fmt.Sprintf(format, args...))
}

// Validate checks every setting and reports each problem with the setting's
// name and why.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	if c.DatabaseURL == "" && strings.TrimSpace(c.DataDir) == "" {
		add(settingError("data-dir", "must not be empty when no database URL is set"))
	}
	if c.DatabaseURL != "" {
		dialect, target := store.ParseURL(c.DatabaseURL)
		if dialect == store.Postgres {
			if _, err := url.Parse(target); err != nil {
				add(settingError("database-url", "is not a URL"))
			}
		} else if target == "" {
			add(settingError("database-url", "names no SQLite file"))
		}
	}
	if c.MigrateDatabaseURL != "" {
		if d, _ := store.ParseURL(c.MigrateDatabaseURL); d != store.Postgres {
			add(settingError("migrate-database-url", "must be a postgres:// URL"))
		}
	}
	if c.MaxDBConns < 1 || c.MaxDBConns > 1000 {
		add(settingError("max-db-conns", "%d is out of range 1–1000", c.MaxDBConns))
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		add(settingError("http-addr", "%q is not host:port (for example 127.0.0.1:8080 or :8080)", c.HTTPAddr))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		add(settingError("tls-cert", "set both --tls-cert and --tls-key, or neither"))
	}
	for _, f := range []struct{ flag, path string }{{"tls-cert", c.TLSCert}, {"tls-key", c.TLSKey}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				add(settingError(f.flag, "cannot read %s", f.path))
			}
		}
	}
	if c.ShutdownTimeout <= 0 {
		add(settingError("shutdown-timeout", "must be positive"))
	}
	if c.SessionTTL < time.Minute || c.SessionTTL > 30*24*time.Hour {
		add(settingError("session-ttl", "%s is out of range 1m–720h", c.SessionTTL))
	}
	if c.RateLimitIP < 0 || c.RateLimitPrincipal < 0 || c.LoginFailures < 0 {
		add(settingError("rate-limit-ip", "rate limits cannot be negative"))
	}
	if (c.AWSAccessKeyID == "") != (c.AWSSecretAccessKey == "") {
		add(settingError("aws-secret-access-key", "set both the platform's AWS access key id and secret key, or neither"))
	}
	if c.CloudAPIDailyBudget < 0 {
		add(settingError("cloud-api-daily-budget", "must not be negative (got %d)", c.CloudAPIDailyBudget))
	}
	if c.ScanTimeout < time.Second {
		add(settingError("scan-timeout", "must be at least 1s"))
	}
	if c.JobWorkers < 1 || c.JobWorkers > 10_000 {
		add(settingError("job-workers", "%d is out of range 1–10000", c.JobWorkers))
	}
	if timeouts, err := c.JobTimeoutMap(); err != nil {
		add(err)
	} else {
		for kind, d := range timeouts {
			if 2*d > c.JobRescueAfter {
				add(settingError("job-timeouts", "the timeout of %s (%s) must be at most half of --job-rescue-after (%s)", kind, d, c.JobRescueAfter))
			}
		}
	}
	if c.JobRescueAfter < 2*time.Minute {
		add(settingError("job-rescue-after", "must be at least 2m (twice the default job timeout)"))
	}
	if c.JobStuckAfter < time.Minute {
		add(settingError("job-stuck-after", "must be at least 1m"))
	}
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			add(settingError("metrics-addr", "%q is not host:port", c.MetricsAddr))
		}
	}
	if c.JWTEnabled() {
		if c.JWTIssuer == "" {
			add(settingError("jwt-issuer", "is required when JWT authentication is configured"))
		}
		if c.JWTAudience == "" {
			add(settingError("jwt-audience", "is required when JWT authentication is configured"))
		}
		if c.JWTJWKSURL == "" && c.JWTHS256Secret == "" {
			add(settingError("jwt-jwks-url", "set a JWKS URL or an HS256 secret"))
		}
		if c.JWTJWKSURL != "" {
			if u, err := url.Parse(c.JWTJWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				add(settingError("jwt-jwks-url", "%q is not an http(s) URL", c.JWTJWKSURL))
			}
		}
		if c.JWTHS256Secret != "" && len(c.JWTHS256Secret) < 32 {
			add(settingError("jwt-hs256-secret", "must be at least 32 characters"))
		}
	}
	return errors.Join(errs...)
}

// KeyFile is where the generated keyring lives.
func (c Config) KeyFile() string { return filepath.Join(c.DataDir, "encryption-keys") }
