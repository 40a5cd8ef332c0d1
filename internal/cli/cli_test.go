package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/cli"
	"github.com/valdrix/valdrix/internal/governance"
)

type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI with a fake environment.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		Options: app.Options{PasswordParams: governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}},
	})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// serving is a long-running command (serve, worker, demo) started by start.
type serving struct {
	addr           string // where it listens, as its Ready reported
	stdout, stderr *lockedBuffer
	done           <-chan int // its exit code
}

// start runs a long-running command in the background until it reports
// where it listens; the test fails if it exits first or does not report
// within wait. Cancel ctx to stop it, then read done.
func start(t *testing.T, ctx context.Context, wait time.Duration, args ...string) *serving {
	t.Helper()
	s := &serving{stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	ready := make(chan string, 1)
	done := make(chan int, 1)
	s.done = done
	go func() {
		done <- cli.Main(ctx, args, cli.Env{
			Stdin: strings.NewReader(""), Stdout: s.stdout, Stderr: s.stderr,
			Getenv:  func(string) (string, bool) { return "", false },
			Options: app.Options{PasswordParams: governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}},
			Ready:   func(addr string) { ready <- addr },
		})
	}()
	select {
	case s.addr = <-ready:
	case code := <-done:
		t.Fatalf("%s exited with %d before listening: %s", args[0], code, s.stderr.String())
	case <-time.After(wait):
		t.Fatalf("%s did not listen within %s: %s", args[0], wait, s.stderr.String())
	}
	return s
}

func TestAdminCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := []string{"--data-dir", dir}
	cmd := func(stdin string, args ...string) result { return run(t, nil, stdin, append(args, data...)...) }

	r := cmd("", "tenant", "create", "--name", "Acme")
	require.Equal(t, 0, r.code, r.stderr)
	tenant := strings.TrimSpace(r.stdout)
	require.Regexp(t, `^[0-9a-f-]{36}$`, tenant)
	require.Contains(t, r.stderr, "generated a new encryption key", "the first start says it made a key")
	st, err := os.Stat(filepath.Join(dir, "encryption-keys"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	r = cmd("", "tenant", "create", "--name", "Beta", "--output", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var created map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &created))
	require.Regexp(t, `^[0-9a-f-]{36}$`, created["id"])
	require.NotContains(t, r.stderr, "generated a new encryption key", "said once")

	r = cmd("", "tenant", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var tenants []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &tenants))
	require.Len(t, tenants, 2)

	r = cmd("a-password-from-stdin\n", "user", "create", "--email", "ada@example.com", "--password-stdin", "--tenant", tenant, "--role", "owner", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var user map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &user))
	require.Nil(t, user["password"], "a password from stdin is not echoed")
	require.Equal(t, "owner", user["role"])

	r = cmd("", "user", "create", "--email", "bob@example.com")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `password: \S{20}`, r.stdout, "a generated password is printed once")

	r = cmd("", "user", "create", "--email", "ada@example.com")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "already exists")

	r = cmd("", "apikey", "create", "--tenant", tenant, "--role", "admin")
	require.Equal(t, 0, r.code, r.stderr)
	require.Regexp(t, `^vdx_\S+\n$`, r.stdout)

	r = cmd("", "apikey", "list", "--tenant", tenant, "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var keys []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &keys))
	require.Len(t, keys, 1)
	require.NotContains(t, r.stdout, "secret")

	r = cmd("", "apikey", "revoke", "--tenant", tenant, keys[0]["id"].(string))
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "revoked")

	r = cmd("", "user", "list")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "ada@example.com")

	r = cmd("", "keys", "rotate", "--retire")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "key file updated")

	r = cmd("", "audit", "verify")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "audit log intact")

	r = cmd("", "migrate", "status")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "00001_foundation.sql")

	r = cmd("", "apikey", "create", "--tenant", "not-a-tenant", "--role", "admin")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "--tenant")
}

func TestHelpAndUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--help"}, {"serve", "--help"}, {"migrate", "up", "--help"}, {"migrate", "status", "--help"},
		{"tenant", "create", "--help"}, {"tenant", "list", "--help"}, {"user", "create", "--help"}, {"user", "list", "--help"},
		{"apikey", "create", "--help"}, {"apikey", "list", "--help"}, {"apikey", "revoke", "--help"},
		{"keys", "rotate", "--help"}, {"audit", "verify", "--help"}, {"version", "--help"}, {"config", "show", "--help"},
		{"worker", "--help"}, {"jobs", "list", "--help"}, {"jobs", "show", "--help"}, {"jobs", "cancel", "--help"},
		{"jobs", "retry", "--help"}, {"jobs", "alerts", "--help"},
	} {
		r := run(t, nil, "", args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		require.Contains(t, r.stdout, "Usage: valdrix", "%v", args)
	}
	r := run(t, nil, "", "tenant", "create")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "--name")
	r = run(t, nil, "", "frobnicate")
	require.Equal(t, 2, r.code)
	r = run(t, nil, "", "version")
	require.Equal(t, 0, r.code)
	require.Contains(t, r.stdout, "valdrix ")
}

// TestSettingsPrecedence checks flags > environment > file > defaults, and
// that bad settings are named.
func TestSettingsPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "valdrix.yaml")
	require.NoError(t, os.WriteFile(file, []byte("http_addr: 127.0.0.1:7000\nlog-level: warn\nmax_db_conns: 7\nrate_limit_ip: 5\ntrusted_origins: [https://a.example, https://b.example]\njwt_hs256_secret: a-file-secret-that-is-long-enough-1234\njwt_issuer: https://i.example\njwt_audience: authenticated\n"), 0o600))
	show := func(env map[string]string, args ...string) map[string]string {
		t.Helper()
		r := run(t, env, "", append([]string{"config", "show", "-o", "json"}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var m map[string]string
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &m))
		return m
	}
	m := show(nil)
	require.Equal(t, "127.0.0.1:8080", m["http-addr"], "default")
	require.Equal(t, "./valdrix-data", m["data-dir"])

	m = show(nil, "--config", file)
	require.Equal(t, "127.0.0.1:7000", m["http-addr"], "file over default")
	require.Equal(t, "warn", m["log-level"])
	require.Equal(t, "7", m["max-db-conns"])
	require.Equal(t, "https://a.example,https://b.example", m["trusted-origins"])
	require.Equal(t, "[redacted]", m["jwt-hs256-secret"])

	env := map[string]string{"VALDRIX_CONFIG": file, "VALDRIX_HTTP_ADDR": "127.0.0.1:7100", "VALDRIX_DATABASE_URL": "postgres://app:hunter2@db/valdrix"}
	m = show(env)
	require.Equal(t, "127.0.0.1:7100", m["http-addr"], "environment over file")
	require.Equal(t, "warn", m["log-level"], "file still applies to the rest")
	require.Equal(t, "postgres://app:redacted@db/valdrix", m["database-url"])

	m = show(env, "--http-addr", "127.0.0.1:7200")
	require.Equal(t, "127.0.0.1:7200", m["http-addr"], "flag over environment")

	r := run(t, map[string]string{"VALDRIX_HTTP_ADDR": "nonsense"}, "", "tenant", "list", "--data-dir", dir)
	require.Equal(t, 2, r.code, "invalid settings are refused before any command runs")
	require.Contains(t, r.stderr, "VALDRIX_HTTP_ADDR (--http-addr)")
	require.Contains(t, r.stderr, "not host:port")

	require.NoError(t, os.WriteFile(file, []byte("htp_addr: x\n"), 0o600))
	r = run(t, nil, "", "config", "show", "--config", file)
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "unknown setting(s) htp-addr")

	r = run(t, nil, "", "config", "show", "--log-level", "loud")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.stderr, "log-level")
}

// TestServeEndToEnd runs `valdrix serve` on a free port against a fresh data
// directory, calls it with a key made by the CLI, and stops it gracefully.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := run(t, nil, "", "tenant", "create", "--name", "Acme", "--data-dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	tenant := strings.TrimSpace(r.stdout)
	r = run(t, nil, "", "apikey", "create", "--tenant", tenant, "--role", "viewer", "--data-dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	key := strings.TrimSpace(r.stdout)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := start(t, ctx, time.Minute, "serve", "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--shutdown-timeout", "5s")
	base := srv.addr
	res, err := http.Get(base + "/readyz")
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var me map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&me))
	_ = res.Body.Close()
	require.Equal(t, "viewer", me["role"])

	cancel()
	require.Equal(t, 0, <-srv.done, "graceful shutdown exits 0")
}
