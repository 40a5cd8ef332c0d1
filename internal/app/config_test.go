package app_test

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/app"
)

// TestEverySettingIsDocumented keeps docs/configuration.md true.
func TestEverySettingIsDocumented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/configuration.md")
	require.NoError(t, err)
	ty := reflect.TypeOf(app.Config{})
	for i := range ty.NumField() {
		f := ty.Field(i)
		name, env := f.Tag.Get("name"), f.Tag.Get("env")
		require.NotEmpty(t, name, f.Name)
		require.Equal(t, "VALDRIX_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_")), env, "%s's variable follows its flag", f.Name)
		require.NotEmpty(t, f.Tag.Get("help"), "%s has help", f.Name)
		require.Contains(t, string(doc), "`--"+name+"`", "docs/configuration.md lists --%s", name)
		require.Contains(t, string(doc), "`"+env+"`", "docs/configuration.md lists %s", env)
	}
}

func valid() app.Config {
	return app.Config{DataDir: "d", MaxDBConns: 10, HTTPAddr: "127.0.0.1:8080", ShutdownTimeout: 1e9, SessionTTL: 3600e9, ScanTimeout: 300e9,
		JobWorkers: 10, JobRescueAfter: time.Hour, JobStuckAfter: time.Hour}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mut  func(*app.Config)
		want string // empty: valid
	}{
		{name: "defaults", mut: func(*app.Config) {}},
		{name: "postgres", mut: func(c *app.Config) { c.DatabaseURL = "postgres://u@h/db" }},
		{name: "bad address", mut: func(c *app.Config) { c.HTTPAddr = "8080" }, want: "VALDRIX_HTTP_ADDR (--http-addr)"},
		{name: "half TLS", mut: func(c *app.Config) { c.TLSCert = "cert.pem" }, want: "--tls-key"},
		{name: "sqlite migrate url", mut: func(c *app.Config) { c.MigrateDatabaseURL = "sqlite:x" }, want: "VALDRIX_MIGRATE_DATABASE_URL"},
		{name: "pool size", mut: func(c *app.Config) { c.MaxDBConns = 0 }, want: "VALDRIX_MAX_DB_CONNS"},
		{name: "short session", mut: func(c *app.Config) { c.SessionTTL = 1e9 }, want: "VALDRIX_SESSION_TTL"},
		{name: "jwt without audience", mut: func(c *app.Config) { c.JWTIssuer, c.JWTHS256Secret = "https://i", strings.Repeat("s", 32) }, want: "VALDRIX_JWT_AUDIENCE"},
		{name: "jwt short secret", mut: func(c *app.Config) {
			c.JWTIssuer, c.JWTAudience, c.JWTHS256Secret = "https://i", "a", "short"
		}, want: "VALDRIX_JWT_HS256_SECRET"},
		{name: "job timeouts", mut: func(c *app.Config) { c.JobTimeouts = []string{"scan=10m", "ingest=20m"} }},
		{name: "job timeout syntax", mut: func(c *app.Config) { c.JobTimeouts = []string{"scan:10m"} }, want: "VALDRIX_JOB_TIMEOUTS"},
		{name: "job timeout above rescue", mut: func(c *app.Config) { c.JobTimeouts = []string{"scan=40m"} }, want: "at most half of --job-rescue-after"},
		{name: "job workers", mut: func(c *app.Config) { c.JobWorkers = 0 }, want: "VALDRIX_JOB_WORKERS"},
		{name: "metrics address", mut: func(c *app.Config) { c.MetricsAddr = "9090" }, want: "VALDRIX_METRICS_ADDR"},
		{name: "jwt bad jwks", mut: func(c *app.Config) { c.JWTIssuer, c.JWTAudience, c.JWTJWKSURL = "https://i", "a", "ftp://x" }, want: "VALDRIX_JWT_JWKS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := valid()
			tt.mut(&c)
			err := c.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestJobTimeoutShortNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		kind string
	}{
		{"scan=10m", "valdrix.scan"},
		{" ingest = 20m", "valdrix.ingest"},
		{"test.kind=1m", "test.kind"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			m, err := app.Config{JobTimeouts: []string{tc.in}}.JobTimeoutMap()
			require.NoError(t, err)
			require.Len(t, m, 1)
			require.Contains(t, m, tc.kind)
		})
	}
}
