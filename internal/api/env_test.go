package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/telemetry"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// testEnv is a fully wired server on a fresh database.
type testEnv struct {
	t    testing.TB
	core *app.Core
	app  *app.App
	srv  *httptest.Server
	logs *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fastPasswords keeps argon2id cheap in tests.
var fastPasswords = governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}

// dialectConfigs returns a config per database for a test.
func dialectConfig(t testing.TB, dialect string) app.Config {
	cfg := app.Config{
		DataDir: t.TempDir(), AutoMigrate: true, MaxDBConns: 4, HTTPAddr: "127.0.0.1:0",
		LogLevel: "debug", LogFormat: "json", AccessLog: true, ShutdownTimeout: 5e9, SessionTTL: 3600e9, ScanTimeout: 300e9,
		RateLimitIP: 0, RateLimitPrincipal: 0, LoginFailures: 0,
		JWTTenantClaim: "tenant_id", JWTRoleClaim: "valdrix_role",
		Workers: true, JobWorkers: 4, JobRescueAfter: time.Hour, JobStuckAfter: time.Hour,
	}
	if dialect == store.Postgres {
		u := storetest.NewPGDatabase(t)
		cfg.DatabaseURL, cfg.MigrateDatabaseURL = u.App, u.Owner
	}
	return cfg
}

func newEnv(t testing.TB, cfg app.Config) *testEnv {
	t.Helper()
	logs := &lockedBuffer{}
	level := slog.LevelDebug
	if cfg.LogLevel == "error" {
		level = slog.LevelError
	}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
	core, err := app.OpenCore(context.Background(), cfg, log, app.Options{
		PasswordParams:  fastPasswords,
		OnUnscopedQuery: func(q string) { t.Errorf("unscoped query: %s", q) },
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = core.Close() })
	require.NoError(t, jobs.Register(core.Jobs, jobs.Kind[tenantJob]{Work: func(context.Context, *jobs.Job[tenantJob]) error { return nil }}))
	a, err := app.New(t.Context(), core, telemetry.Build{Version: "test"})
	require.NoError(t, err)
	srv := httptest.NewServer(a.API.Handler())
	t.Cleanup(srv.Close)
	return &testEnv{t: t, core: core, app: a, srv: srv, logs: logs}
}

// tenantJob is a tenant's job for the job endpoints.
type tenantJob struct {
	Tenant valdrix.TenantID `json:"tenant_id"`
	Note   string           `json:"note"`
}

func (tenantJob) Kind() string                 { return "test.tenant_job" }
func (j tenantJob) TenantID() valdrix.TenantID { return j.Tenant }

// identity is someone who can call the API.
type identity struct {
	name   string
	role   valdrix.Role
	tenant valdrix.TenantID
	userID string
	email  string
	pass   string
	apiKey string
	cookie *http.Cookie
}

// seedTenant creates a tenant with one user and one API key per role.
func (e *testEnv) seedTenant(name string) (governance.Tenant, map[valdrix.Role]*identity) {
	e.t.Helper()
	ctx := context.Background()
	sys := governance.SystemActor("test")
	tn, err := e.core.Governance.CreateTenant(ctx, sys, name)
	require.NoError(e.t, err)
	ids := map[valdrix.Role]*identity{}
	for _, r := range valdrix.Roles {
		email := strings.ToLower(name) + "-" + string(r) + "@example.com"
		pass := "correct-horse-" + string(r) + "-" + name
		u, err := e.core.Governance.CreateUser(ctx, sys, email, name+" "+string(r), pass)
		require.NoError(e.t, err)
		_, err = e.core.Governance.AddMember(ctx, sys, tn.ID, u.ID, r)
		require.NoError(e.t, err)
		_, key, err := e.core.Governance.CreateAPIKey(ctx, sys, tn.ID, "key-"+string(r), r, nil)
		require.NoError(e.t, err)
		ids[r] = &identity{name: name + "/" + string(r), role: r, tenant: tn.ID, userID: u.ID, email: email, pass: pass, apiKey: key}
	}
	return tn, ids
}

// login opens a cookie session for id.
func (e *testEnv) login(id *identity) {
	e.t.Helper()
	res := e.do(http.MethodPost, "/api/v1/auth/login", map[string]any{"email": id.email, "password": id.pass}, nil)
	require.Equal(e.t, http.StatusOK, res.status, res.body)
	for _, c := range res.cookies {
		if c.Name == "valdrix_session" {
			id.cookie = c
		}
	}
	require.NotNil(e.t, id.cookie)
}

type response struct {
	status  int
	body    string
	header  http.Header
	cookies []*http.Cookie
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.body), &m), r.body)
	return m
}

// do sends a request; auth adds credentials.
func (e *testEnv) do(method, path string, body any, auth func(*http.Request)) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != nil {
		auth(req)
	}
	res, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	return response{status: res.StatusCode, body: string(b), header: res.Header, cookies: res.Cookies()}
}

func bearer(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func withCookie(c *http.Cookie) func(*http.Request) {
	return func(r *http.Request) { r.AddCookie(c) }
}

var (
	auditAll = governance.AuditFilter{}
	pageAll  = governance.Page{Limit: 500}
)
