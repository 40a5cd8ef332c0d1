package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	tn, ids := e.seedTenant("Alpha")
	owner := ids[valdrix.RoleOwner]

	res := e.do("POST", "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(owner.email), "password": owner.pass}, nil)
	require.Equal(t, http.StatusOK, res.status, res.body)
	var c *http.Cookie
	for _, k := range res.cookies {
		if k.Name == "valdrix_session" {
			c = k
		}
	}
	require.NotNil(t, c)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.Equal(t, "/", c.Path)
	require.False(t, c.Secure, "not Secure over plain HTTP")
	me := res.json(t)
	require.Equal(t, "user", me["kind"])
	require.Equal(t, string(tn.ID), me["tenant"].(map[string]any)["id"])

	res = e.do("GET", "/api/v1/me", nil, withCookie(c))
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, owner.userID, res.json(t)["user"].(map[string]any)["id"])

	// A role change applies to the live session at once.
	admin := ids[valdrix.RoleAdmin]
	e.login(admin)
	res = e.do("PATCH", "/api/v1/members/"+admin.userID, map[string]any{"role": "viewer"}, bearer(owner.apiKey))
	require.Equal(t, http.StatusOK, res.status, res.body)
	res = e.do("GET", "/api/v1/api-keys", nil, withCookie(admin.cookie))
	require.Equal(t, http.StatusForbidden, res.status)

	// Removing a member ends their sessions.
	res = e.do("DELETE", "/api/v1/members/"+admin.userID, nil, bearer(owner.apiKey))
	require.Equal(t, http.StatusNoContent, res.status, res.body)
	res = e.do("GET", "/api/v1/me", nil, withCookie(admin.cookie))
	require.Equal(t, http.StatusUnauthorized, res.status)

	// Logging out ends the session and clears the cookie.
	res = e.do("POST", "/api/v1/auth/logout", nil, withCookie(c))
	require.Equal(t, http.StatusNoContent, res.status, res.body)
	require.Contains(t, res.header.Get("Set-Cookie"), "Max-Age=0")
	res = e.do("GET", "/api/v1/me", nil, withCookie(c))
	require.Equal(t, http.StatusUnauthorized, res.status)
	res = e.do("POST", "/api/v1/auth/logout", nil, withCookie(c))
	require.Equal(t, http.StatusUnauthorized, res.status)

	// Wrong password and unknown user look the same.
	bad := e.do("POST", "/api/v1/auth/login", map[string]any{"email": owner.email, "password": "not-the-password"}, nil)
	unknown := e.do("POST", "/api/v1/auth/login", map[string]any{"email": "ghost@example.com", "password": "not-the-password"}, nil)
	require.Equal(t, http.StatusUnauthorized, bad.status)
	require.Equal(t, bad.json(t)["detail"], unknown.json(t)["detail"])
}

func TestLoginWithSeveralTenants(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	ta, ids := e.seedTenant("Alpha")
	tb, _ := e.seedTenant("Bravo")
	u := ids[valdrix.RoleMember]
	_, err := e.core.Governance.AddMember(context.Background(), governance.SystemActor("t"), tb.ID, u.userID, valdrix.RoleAdmin)
	require.NoError(t, err)

	res := e.do("POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": u.pass}, nil)
	require.Equal(t, http.StatusBadRequest, res.status, res.body)
	require.Contains(t, res.json(t)["detail"], "tenant")

	res = e.do("POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": u.pass, "tenant": string(tb.ID)}, nil)
	require.Equal(t, http.StatusOK, res.status, res.body)
	me := res.json(t)
	require.Equal(t, "admin", me["role"])
	require.Len(t, me["memberships"], 2)

	res = e.do("POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": u.pass, "tenant": string(ta.ID)}, nil)
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "member", res.json(t)["role"])
}

func TestInviteAndAccept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	_, ids := e.seedTenant("Alpha")
	admin := ids[valdrix.RoleAdmin]

	res := e.do("POST", "/api/v1/members", map[string]any{"email": "Newbie@Example.com", "role": "owner"}, bearer(admin.apiKey))
	require.Equal(t, http.StatusForbidden, res.status, "an admin cannot grant owner")

	res = e.do("POST", "/api/v1/members", map[string]any{"email": "Newbie@Example.com", "role": "member"}, bearer(admin.apiKey))
	require.Equal(t, http.StatusCreated, res.status, res.body)
	inv := res.json(t)
	token, _ := inv["invite_token"].(string)
	require.NotEmpty(t, token)
	require.Equal(t, "newbie@example.com", inv["member"].(map[string]any)["email"])
	require.Equal(t, false, inv["member"].(map[string]any)["has_password"])

	res = e.do("POST", "/api/v1/members", map[string]any{"email": "newbie@example.com", "role": "member"}, bearer(admin.apiKey))
	require.Equal(t, http.StatusConflict, res.status, "inviting twice")

	res = e.do("POST", "/api/v1/auth/login", map[string]any{"email": "newbie@example.com", "password": "whatever-password"}, nil)
	require.Equal(t, http.StatusUnauthorized, res.status, "no password yet")

	res = e.do("POST", "/api/v1/auth/accept-invite", map[string]any{"token": token, "password": "short"}, nil)
	require.Equal(t, http.StatusBadRequest, res.status)
	res = e.do("POST", "/api/v1/auth/accept-invite", map[string]any{"token": token, "password": "a-long-enough-password"}, nil)
	require.Equal(t, http.StatusOK, res.status, res.body)
	res = e.do("POST", "/api/v1/auth/accept-invite", map[string]any{"token": token, "password": "a-long-enough-password"}, nil)
	require.Equal(t, http.StatusConflict, res.status, "an invitation works once")
	res = e.do("POST", "/api/v1/auth/login", map[string]any{"email": "newbie@example.com", "password": "a-long-enough-password"}, nil)
	require.Equal(t, http.StatusOK, res.status, res.body)

	// The last owner cannot be demoted or removed.
	owner := ids[valdrix.RoleOwner]
	res = e.do("PATCH", "/api/v1/members/"+owner.userID, map[string]any{"role": "admin"}, bearer(owner.apiKey))
	require.Equal(t, http.StatusConflict, res.status, res.body)
	res = e.do("DELETE", "/api/v1/members/"+owner.userID, nil, bearer(owner.apiKey))
	require.Equal(t, http.StatusConflict, res.status, res.body)
	res = e.do("DELETE", "/api/v1/members/"+owner.userID, nil, bearer(admin.apiKey))
	require.Equal(t, http.StatusForbidden, res.status, "an admin cannot remove an owner")
}

func TestBadInputIsProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	_, ids := e.seedTenant("Alpha")
	key := bearer(ids[valdrix.RoleOwner].apiKey)
	tests := []struct {
		name, method, path string
		body               any
		status             int
		location           string
	}{
		{name: "unknown role", method: "POST", path: "/api/v1/api-keys", body: map[string]any{"role": "root"}, status: 400, location: "body.role"},
		{name: "unknown field", method: "POST", path: "/api/v1/members", body: map[string]any{"email": "x@example.com", "role": "viewer", "extra": 1}, status: 400, location: "body.extra"},
		{name: "bad email", method: "POST", path: "/api/v1/members", body: map[string]any{"email": "not an email", "role": "viewer"}, status: 400, location: "body.email"},
		{name: "limit too big", method: "GET", path: "/api/v1/members?limit=100000", status: 400, location: "query.limit"},
		{name: "unknown query parameter", method: "GET", path: "/api/v1/members?colour=red", status: 400, location: "query.colour"},
		{name: "bad cursor", method: "GET", path: "/api/v1/members?cursor=zzz", status: 400, location: "query.cursor"},
		{name: "bad since", method: "GET", path: "/api/v1/audit?since=yesterday", status: 400, location: "query.since"},
		{name: "expiry in the past", method: "POST", path: "/api/v1/api-keys", body: map[string]any{"role": "viewer", "expires_at": "2001-01-01T00:00:00Z"}, status: 400, location: "body.expires_at"},
		{name: "unknown member", method: "PATCH", path: "/api/v1/members/" + valdrix.NewID(), body: map[string]any{"role": "viewer"}, status: 404},
		{name: "unknown route", method: "GET", path: "/api/v1/nothing-here", status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(tt.method, tt.path, tt.body, key)
			require.Equal(t, tt.status, res.status, res.body)
			require.Equal(t, "application/problem+json", res.header.Get("Content-Type"))
			p := res.json(t)
			require.NotEmpty(t, p["code"])
			require.Equal(t, res.header.Get("X-Request-Id"), p["instance"])
			if tt.location != "" {
				errs, _ := p["errors"].([]any)
				require.NotEmpty(t, errs, res.body)
				require.Equal(t, tt.location, errs[0].(map[string]any)["location"], res.body)
			}
		})
	}

	big := strings.Repeat("x", 2<<20)
	res := e.do("POST", "/api/v1/members", map[string]any{"email": big, "role": "viewer"}, key)
	require.Equal(t, http.StatusRequestEntityTooLarge, res.status)
	require.Equal(t, "payload_too_large", res.json(t)["code"])
}

func TestCrossOriginCookieRequestsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	_, ids := e.seedTenant("Alpha")
	owner := ids[valdrix.RoleOwner]
	e.login(owner)
	body := map[string]any{"name": "x", "role": "viewer"}
	crossSite := func(r *http.Request) {
		r.AddCookie(owner.cookie)
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	}
	res := e.do("POST", "/api/v1/api-keys", body, crossSite)
	require.Equal(t, http.StatusForbidden, res.status, res.body)
	require.Equal(t, "forbidden", res.json(t)["code"])

	res = e.do("POST", "/api/v1/auth/login", map[string]any{"email": owner.email, "password": owner.pass}, func(r *http.Request) {
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	})
	require.Equal(t, http.StatusForbidden, res.status, "login CSRF is refused too")

	// Safe methods, same-origin requests and bearer requests pass.
	res = e.do("GET", "/api/v1/me", nil, crossSite)
	require.Equal(t, http.StatusOK, res.status)
	res = e.do("POST", "/api/v1/api-keys", body, func(r *http.Request) {
		r.AddCookie(owner.cookie)
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	})
	require.Equal(t, http.StatusCreated, res.status, res.body)
	res = e.do("POST", "/api/v1/api-keys", body, func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+owner.apiKey)
		r.Header.Set("Origin", "https://evil.example")
		r.Header.Set("Sec-Fetch-Site", "cross-site")
	})
	require.Equal(t, http.StatusCreated, res.status, "a bearer token cannot be forged by a browser")
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tune    func(*testEnvConfig)
		limiter string
	}{
		{name: "per IP", tune: func(c *testEnvConfig) { c.RateLimitIP, c.RateLimitIPBurst = 0.01, 3 }, limiter: "ip"},
		{name: "per API key", tune: func(c *testEnvConfig) { c.RateLimitPrincipal, c.RateLimitBurst = 0.01, 3 }, limiter: "principal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := dialectConfig(t, store.SQLite)
			tt.tune(&cfg)
			e := newEnv(t, cfg)
			_, ids := e.seedTenant("Alpha")
			key := bearer(ids[valdrix.RoleViewer].apiKey)
			for i := range 3 {
				res := e.do("GET", "/api/v1/me", nil, key)
				require.Equal(t, http.StatusOK, res.status, "request %d", i)
			}
			res := e.do("GET", "/api/v1/me", nil, key)
			require.Equal(t, http.StatusTooManyRequests, res.status)
			require.Equal(t, "rate_limited", res.json(t)["code"])
			secs, err := strconv.Atoi(res.header.Get("Retry-After"))
			require.NoError(t, err)
			require.Positive(t, secs)
			metrics := e.do("GET", "/metrics", nil, nil)
			if tt.limiter == "principal" {
				require.Contains(t, metrics.body, `valdrix_http_rate_limited_total{limiter="principal"} 1`)
			}
		})
	}
}

type testEnvConfig = app.Config

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	cfg := dialectConfig(t, store.SQLite)
	cfg.LoginFailures = 3
	e := newEnv(t, cfg)
	_, ids := e.seedTenant("Alpha")
	u := ids[valdrix.RoleMember]
	for range 3 {
		res := e.do("POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": "guess-guess-guess"}, nil)
		require.Equal(t, http.StatusUnauthorized, res.status)
	}
	res := e.do("POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": u.pass}, nil)
	require.Equal(t, http.StatusTooManyRequests, res.status, "even the right password waits")
	require.NotEmpty(t, res.header.Get("Retry-After"))
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	res := e.do("GET", "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, res.status)
	for h, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "strict-origin-when-cross-origin",
	} {
		require.Equal(t, want, res.header.Get(h), h)
	}
	require.Contains(t, res.header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.Empty(t, res.header.Get("Strict-Transport-Security"), "no HSTS over plain HTTP")
	require.Len(t, res.header.Get("X-Request-Id"), 24)

	res = e.do("GET", "/healthz", nil, func(r *http.Request) { r.Header.Set("X-Request-ID", "trace-abc.123") })
	require.Equal(t, "trace-abc.123", res.header.Get("X-Request-Id"), "a sane incoming request id is kept")

	tls := httptest.NewUnstartedServer(e.app.API.Handler())
	tls.StartTLS()
	defer tls.Close()
	r, err := tls.Client().Get(tls.URL + "/healthz")
	require.NoError(t, err)
	_ = r.Body.Close()
	require.Contains(t, r.Header.Get("Strict-Transport-Security"), "max-age=")

	_, ids := e.seedTenant("Alpha")
	owner := ids[valdrix.RoleOwner]
	body := strings.NewReader(`{"email":"` + owner.email + `","password":"` + owner.pass + `"}`)
	req, _ := http.NewRequest(http.MethodPost, tls.URL+"/api/v1/auth/login", body)
	req.Header.Set("Content-Type", "application/json")
	r, err = tls.Client().Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	require.Equal(t, http.StatusOK, r.StatusCode)
	require.Contains(t, r.Header.Get("Set-Cookie"), "Secure", "the session cookie is Secure under TLS")

	// Readiness reflects the database.
	res = e.do("GET", "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.NoError(t, e.core.Store.Close())
	res = e.do("GET", "/readyz", nil, nil)
	require.Equal(t, http.StatusServiceUnavailable, res.status)
	require.Equal(t, "unavailable", res.json(t)["code"])
}

func TestJWTAuthentication(t *testing.T) {
	t.Parallel()
	const secret = "a-shared-hs256-secret-of-at-least-32-chars"
	cfg := dialectConfig(t, store.SQLite)
	cfg.JWTIssuer, cfg.JWTAudience, cfg.JWTHS256Secret = "https://issuer.example", "authenticated", secret
	e := newEnv(t, cfg)
	tn, ids := e.seedTenant("Alpha")
	tok := func(mut func(jwt.MapClaims)) string {
		c := jwt.MapClaims{"iss": "https://issuer.example", "aud": "authenticated", "sub": "sso|42", "email": ids[valdrix.RoleMember].email,
			"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "tenant_id": string(tn.ID), "valdrix_role": "viewer"}
		if mut != nil {
			mut(c)
		}
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		require.NoError(t, err)
		return s
	}
	res := e.do("GET", "/api/v1/me", nil, bearer(tok(nil)))
	require.Equal(t, http.StatusOK, res.status, res.body)
	me := res.json(t)
	require.Equal(t, "jwt", me["kind"])
	require.Equal(t, "viewer", me["role"])
	require.Equal(t, ids[valdrix.RoleMember].userID, me["user"].(map[string]any)["id"], "the email maps to the member")

	res = e.do("POST", "/api/v1/api-keys", map[string]any{"role": "viewer"}, bearer(tok(nil)))
	require.Equal(t, http.StatusForbidden, res.status, "the token's viewer role is read-only")

	for name, bad := range map[string]string{
		"unknown tenant": tok(func(c jwt.MapClaims) { c["tenant_id"] = valdrix.NewID() }),
		"expired":        tok(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"wrong audience": tok(func(c jwt.MapClaims) { c["aud"] = "other" }),
		"not a token":    "abc.def.ghi",
	} {
		res := e.do("GET", "/api/v1/me", nil, bearer(bad))
		require.Equal(t, http.StatusUnauthorized, res.status, name)
		require.Equal(t, `Bearer realm="valdrix"`, res.header.Get("WWW-Authenticate"), name)
	}
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	res := e.do("GET", "/api/v1/openapi.json", nil, nil)
	require.Equal(t, http.StatusOK, res.status)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.body), &doc))
	require.Equal(t, "3.1.0", doc.OpenAPI)
	var documented []string
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			require.NotEmpty(t, op["summary"], "%s %s has a summary", method, path)
			// The documented operation is really served: the router knows it.
			concrete := strings.NewReplacer("{user_id}", valdrix.NewID(), "{id}", valdrix.NewID()).Replace(path)
			if strings.Contains(concrete, "/costs") {
				concrete += "?from=2026-09-01&to=2026-09-30"
			}
			r := e.do(strings.ToUpper(method), concrete, nil, nil)
			require.NotEqual(t, "No such endpoint.", r.json(t)["detail"], "%s %s is documented but not routed", method, path)
			require.NotEqual(t, http.StatusMethodNotAllowed, r.status)
		}
	}
	var served []string
	for _, r := range e.app.API.Routes() {
		if !strings.HasPrefix(r, "GET /api/v1/openapi") {
			served = append(served, r)
		}
	}
	require.ElementsMatch(t, served, documented, "the OpenAPI document lists exactly the served operations")
}

func TestMetricsUseRoutePatterns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	tn, ids := e.seedTenant("Alpha")
	id := valdrix.NewID()
	e.do("PATCH", "/api/v1/members/"+id, map[string]any{"role": "viewer"}, bearer(ids[valdrix.RoleOwner].apiKey))
	e.do("GET", "/no/such/path", nil, nil)
	m := e.do("GET", "/metrics", nil, nil).body
	require.Contains(t, m, `valdrix_http_requests_total{code="404",method="PATCH",route="/api/v1/members/{user_id}"} 1`)
	require.Contains(t, m, `route="unmatched"`)
	require.NotContains(t, m, id, "raw paths never become labels")
	require.NotContains(t, m, string(tn.ID), "tenant ids never become labels")
	require.Contains(t, m, "valdrix_build_info{")
}
