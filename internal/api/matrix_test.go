package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// fixture is one tenant's seeded data.
type fixture struct {
	tenant governance.Tenant
	ids    map[valdrix.Role]*identity
}

// target makes a fresh member (to change or remove) in the fixture's tenant.
func (e *testEnv) freshMember(f fixture) string {
	e.t.Helper()
	ctx := context.Background()
	sys := governance.SystemActor("test")
	u, err := e.core.Governance.CreateUser(ctx, sys, "t-"+valdrix.NewID()+"@example.com", "", "")
	require.NoError(e.t, err)
	_, err = e.core.Governance.AddMember(ctx, sys, f.tenant.ID, u.ID, valdrix.RoleViewer)
	require.NoError(e.t, err)
	return u.ID
}

func (e *testEnv) freshImport(f fixture) string {
	e.t.Helper()
	imp := ingestion.Import{ID: valdrix.NewID(), TenantID: f.tenant.ID, SourceID: "local:test", Status: ingestion.ImportFailed,
		Files: []string{"x.csv"}, Error: "test", StartedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(e.t, e.core.Store.CreateImport(context.Background(), imp))
	return imp.ID
}

func randomAccount() string {
	id := strings.ReplaceAll(valdrix.NewID(), "-", "")
	out := make([]byte, 12)
	for i := range out {
		out[i] = '0' + id[len(id)-1-i]%10
	}
	return string(out)
}

func (e *testEnv) freshConnection(f fixture) string {
	e.t.Helper()
	c, _, err := e.core.Inventory.CreateConnection(context.Background(), governance.SystemActor("test"), f.tenant.ID,
		inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "c", AWS: &inventory.AWSSettings{AccountID: randomAccount()}})
	require.NoError(e.t, err)
	return c.ID
}

func (e *testEnv) freshScan(f fixture) string {
	e.t.Helper()
	sc := inventory.Scan{ID: valdrix.NewID(), TenantID: f.tenant.ID, ConnectionID: e.freshConnection(f), Kind: "discover",
		Status: inventory.ScanSucceeded, StartedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(e.t, e.core.Store.CreateScan(context.Background(), sc))
	return sc.ID
}

// freshFinding stores a finding of the fixture's tenant in a status and
// returns its id.
func (e *testEnv) freshFinding(f fixture, status optimization.Status) string {
	e.t.Helper()
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r := storetest.FindingRecord(f.tenant.ID, e.freshConnection(f), "vol-"+valdrix.NewID(), "aws.ec2.unattached_volume", 12, 1, at)
	r.Status = status
	require.NoError(e.t, e.core.Store.SaveFindings(context.Background(), f.tenant.ID, optimization.FindingWrite{Upserts: []optimization.Record{r}}))
	return r.ID
}

// freshDetection records a detection run of a new connection and returns
// the connection's id.
func (e *testEnv) freshDetection(f fixture) string {
	e.t.Helper()
	id := e.freshConnection(f)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(e.t, e.core.Store.PutDetectionRun(context.Background(), f.tenant.ID, optimization.DetectionRun{ConnectionID: id, StartedAt: at, FinishedAt: at}))
	return id
}

// freshJob enqueues a job of the fixture's tenant and returns its id.
func (e *testEnv) freshJob(f fixture) string {
	e.t.Helper()
	r, err := e.core.Jobs.Enqueue(context.Background(), tenantJob{Tenant: f.tenant.ID, Note: "matrix"}, jobs.EnqueueOpts{})
	require.NoError(e.t, err)
	return strconv.FormatInt(r.ID, 10)
}

func (e *testEnv) freshKey(f fixture) string {
	e.t.Helper()
	k, _, err := e.core.Governance.CreateAPIKey(context.Background(), governance.SystemActor("test"), f.tenant.ID, "victim", valdrix.RoleViewer, nil)
	require.NoError(e.t, err)
	return k.ID
}

// endpoint is one row of the matrix: a request built for a caller's tenant
// and the status each role must get.
type endpoint struct {
	method, pattern string
	build           func(e *testEnv, own fixture) (path string, body any)
	want            map[valdrix.Role]int
	cookieOnly      map[valdrix.Role]int // different expectations for cookie sessions
}

func all(status int) map[valdrix.Role]int {
	return map[valdrix.Role]int{valdrix.RoleOwner: status, valdrix.RoleAdmin: status, valdrix.RoleMember: status, valdrix.RoleViewer: status}
}

func adminOnly(status int) map[valdrix.Role]int {
	return map[valdrix.Role]int{valdrix.RoleOwner: status, valdrix.RoleAdmin: status, valdrix.RoleMember: http.StatusForbidden, valdrix.RoleViewer: http.StatusForbidden}
}

func static(path string, body any) func(*testEnv, fixture) (string, any) {
	return func(*testEnv, fixture) (string, any) { return path, body }
}

var endpoints = []endpoint{
	{method: "GET", pattern: "/api/v1/me", build: static("/api/v1/me", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/members", build: static("/api/v1/members", nil), want: all(http.StatusOK)},
	{method: "POST", pattern: "/api/v1/members", build: func(*testEnv, fixture) (string, any) {
		return "/api/v1/members", map[string]any{"email": "new-" + valdrix.NewID() + "@example.com", "role": "viewer"}
	}, want: adminOnly(http.StatusCreated)},
	{method: "PATCH", pattern: "/api/v1/members/{user_id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/members/" + e.freshMember(f), map[string]any{"role": "member"}
	}, want: adminOnly(http.StatusOK)},
	{method: "DELETE", pattern: "/api/v1/members/{user_id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/members/" + e.freshMember(f), nil
	}, want: adminOnly(http.StatusNoContent)},
	{method: "GET", pattern: "/api/v1/api-keys", build: static("/api/v1/api-keys", nil), want: adminOnly(http.StatusOK)},
	{method: "POST", pattern: "/api/v1/api-keys", build: static("/api/v1/api-keys", map[string]any{"name": "m", "role": "viewer"}), want: adminOnly(http.StatusCreated)},
	{method: "DELETE", pattern: "/api/v1/api-keys/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/api-keys/" + e.freshKey(f), nil
	}, want: adminOnly(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/audit", build: static("/api/v1/audit?limit=5", nil), want: adminOnly(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/costs", build: static("/api/v1/costs?from=2026-09-01&to=2026-09-30&group_by=service,tag:team", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/costs/imports", build: static("/api/v1/costs/imports", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/costs/imports/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/costs/imports/" + e.freshImport(f), nil
	}, want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/costs/export", build: static("/api/v1/costs/export?from=2026-09-01&to=2026-09-30", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/carbon", build: static("/api/v1/carbon?from=2026-09-01&to=2026-09-30&group_by=service,region", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/reconciliation/alerts", build: static("/api/v1/reconciliation/alerts", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/settings", build: static("/api/v1/settings", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/connections", build: static("/api/v1/connections", nil), want: all(http.StatusOK)},
	{method: "POST", pattern: "/api/v1/connections", build: func(*testEnv, fixture) (string, any) {
		return "/api/v1/connections", map[string]any{"provider": "aws", "name": "prod", "aws": map[string]any{"account_id": randomAccount()}}
	}, want: adminOnly(http.StatusCreated)},
	{method: "GET", pattern: "/api/v1/connections/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshConnection(f), nil
	}, want: all(http.StatusOK)},
	{method: "PATCH", pattern: "/api/v1/connections/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshConnection(f), map[string]any{"name": "renamed"}
	}, want: adminOnly(http.StatusOK)},
	{method: "DELETE", pattern: "/api/v1/connections/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshConnection(f), nil
	}, want: adminOnly(http.StatusNoContent)},
	{method: "GET", pattern: "/api/v1/connections/{id}/onboarding", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshConnection(f) + "/onboarding", nil
	}, want: adminOnly(http.StatusOK)},
	// No cloud adapter is configured in this server: members get 501, viewers 403.
	{method: "POST", pattern: "/api/v1/connections/{id}/test", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshConnection(f) + "/test", nil
	}, want: map[valdrix.Role]int{valdrix.RoleOwner: 501, valdrix.RoleAdmin: 501, valdrix.RoleMember: 501, valdrix.RoleViewer: 403}},
	{method: "POST", pattern: "/api/v1/connections/{id}/scan", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshConnection(f) + "/scan", nil
	}, want: map[valdrix.Role]int{valdrix.RoleOwner: 202, valdrix.RoleAdmin: 202, valdrix.RoleMember: 202, valdrix.RoleViewer: 403}},
	{method: "GET", pattern: "/api/v1/resources", build: static("/api/v1/resources?type=aws.ec2.volume", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/scans", build: static("/api/v1/scans", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/scans/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/scans/" + e.freshScan(f), nil
	}, want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/findings", build: static("/api/v1/findings?status=all&sort=-carbon&min_savings=1", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/findings/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/findings/" + e.freshFinding(f, optimization.StatusOpen), nil
	}, want: all(http.StatusOK)},
	{method: "POST", pattern: "/api/v1/findings/{id}/snooze", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/findings/" + e.freshFinding(f, optimization.StatusOpen) + "/snooze", map[string]any{"until": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}
	}, want: map[valdrix.Role]int{valdrix.RoleOwner: 200, valdrix.RoleAdmin: 200, valdrix.RoleMember: 200, valdrix.RoleViewer: 403}},
	{method: "POST", pattern: "/api/v1/findings/{id}/dismiss", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/findings/" + e.freshFinding(f, optimization.StatusOpen) + "/dismiss", map[string]any{"reason": "test volume"}
	}, want: map[valdrix.Role]int{valdrix.RoleOwner: 200, valdrix.RoleAdmin: 200, valdrix.RoleMember: 200, valdrix.RoleViewer: 403}},
	{method: "POST", pattern: "/api/v1/findings/{id}/reopen", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/findings/" + e.freshFinding(f, optimization.StatusDismissed) + "/reopen", nil
	}, want: map[valdrix.Role]int{valdrix.RoleOwner: 200, valdrix.RoleAdmin: 200, valdrix.RoleMember: 200, valdrix.RoleViewer: 403}},
	{method: "GET", pattern: "/api/v1/connections/{id}/detection", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/connections/" + e.freshDetection(f) + "/detection", nil
	}, want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/rules", build: static("/api/v1/rules?provider=aws", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/rules/{id}", build: static("/api/v1/rules/aws.ec2.old_snapshot", nil), want: all(http.StatusOK)},
	{method: "PUT", pattern: "/api/v1/rules/{id}", build: static("/api/v1/rules/aws.ec2.old_snapshot", map[string]any{"thresholds": map[string]any{"max_age_days": 120}}), want: adminOnly(http.StatusOK)},
	{method: "PATCH", pattern: "/api/v1/settings", build: static("/api/v1/settings", map[string]any{"reconciliation_threshold_percent": "5"}), want: adminOnly(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/jobs", build: static("/api/v1/jobs?limit=5&state=available", nil), want: adminOnly(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/jobs/{id}", build: func(e *testEnv, f fixture) (string, any) {
		return "/api/v1/jobs/" + e.freshJob(f), nil
	}, want: adminOnly(http.StatusOK)},
	// Logging out is for cookie sessions; API keys get a clear 400.
	{method: "POST", pattern: "/api/v1/auth/logout", build: static("/api/v1/auth/logout", nil), want: all(http.StatusBadRequest), cookieOnly: all(http.StatusNoContent)},
	// Public endpoints answer the same whoever calls.
	{method: "POST", pattern: "/api/v1/auth/login", build: static("/api/v1/auth/login", map[string]any{"email": "nobody@example.com", "password": "wrong-password-1"}), want: all(http.StatusUnauthorized)},
	{method: "POST", pattern: "/api/v1/auth/accept-invite", build: static("/api/v1/auth/accept-invite", map[string]any{"token": "nope", "password": "a-good-long-password"}), want: all(http.StatusNotFound)},
	{method: "GET", pattern: "/api/v1/openapi.json", build: static("/api/v1/openapi.json", nil), want: all(http.StatusOK)},
	{method: "GET", pattern: "/api/v1/openapi.yaml", build: static("/api/v1/openapi.yaml", nil), want: all(http.StatusOK)},
}

var publicPatterns = map[string]bool{
	"POST /api/v1/auth/login": true, "POST /api/v1/auth/accept-invite": true,
	"GET /api/v1/openapi.json": true, "GET /api/v1/openapi.yaml": true,
}

// TestAPIMatrix calls every endpoint as every role of two tenants, with API
// keys and with cookie sessions, on SQLite and PostgreSQL, and checks the
// status and that no response of one tenant carries the other's ids.
func TestAPIMatrix(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, dialectConfig(t, dialect))
			ta, idsA := e.seedTenant("Alpha")
			tb, idsB := e.seedTenant("Bravo")
			a, b := fixture{ta, idsA}, fixture{tb, idsB}

			// Every id of tenant B that must never show up in A's answers, and
			// the other way round.
			secretsOf := func(f fixture) []string {
				out := []string{string(f.tenant.ID)}
				for _, id := range f.ids {
					out = append(out, id.userID, id.email)
				}
				keys, _, err := e.core.Store.ListAPIKeys(context.Background(), f.tenant.ID, governance.Page{Limit: 100})
				require.NoError(t, err)
				for _, k := range keys {
					out = append(out, k.ID, k.Prefix)
				}
				return out
			}
			foreign := map[valdrix.TenantID][]string{ta.ID: secretsOf(b), tb.ID: secretsOf(a)}

			covered := map[string]bool{}
			for _, ep := range endpoints {
				covered[ep.method+" "+ep.pattern] = true
			}
			require.ElementsMatch(t, e.app.API.Routes(), keys(covered), "the matrix covers exactly the API's routes")

			for _, f := range []fixture{a, b} {
				for _, role := range valdrix.Roles {
					id := f.ids[role]
					for _, mode := range []string{"api_key", "cookie"} {
						for _, ep := range endpoints {
							if mode == "cookie" {
								e.login(id) // a fresh session each time: logout ends it
							}
							auth := bearer(id.apiKey)
							want := ep.want[role]
							if mode == "cookie" {
								auth = withCookie(id.cookie)
								if ep.cookieOnly != nil {
									want = ep.cookieOnly[role]
								}
							}
							path, body := ep.build(e, f)
							res := e.do(ep.method, path, body, auth)
							name := fmt.Sprintf("%s %s as %s via %s", ep.method, path, id.name, mode)
							require.Equal(t, want, res.status, "%s: %s", name, res.body)
							for _, s := range foreign[f.tenant.ID] {
								require.NotContains(t, res.body, s, "%s leaks another tenant's data", name)
							}
							if res.status >= 400 {
								require.Equal(t, "application/problem+json", res.header.Get("Content-Type"), name)
								require.NotEmpty(t, res.json(t)["code"], name)
							}
						}
					}
				}
			}

			// Unauthenticated: every non-public endpoint answers 401.
			for _, ep := range endpoints {
				if publicPatterns[ep.method+" "+ep.pattern] {
					continue
				}
				path, body := ep.build(e, a)
				res := e.do(ep.method, path, body, nil)
				require.Equal(t, http.StatusUnauthorized, res.status, "%s %s without credentials", ep.method, path)
				require.Equal(t, "unauthorized", res.json(t)["code"])
			}

			// Reaching into the other tenant by id finds nothing and changes nothing.
			admin := idsA[valdrix.RoleOwner]
			bMember, bKey, bImport := e.freshMember(b), e.freshKey(b), e.freshImport(b)
			bConn, bScan, bJob := e.freshConnection(b), e.freshScan(b), e.freshJob(b)
			bFinding, bDetection := e.freshFinding(b, optimization.StatusOpen), e.freshDetection(b)
			for _, c := range []struct {
				method, path string
				body         any
			}{
				{"PATCH", "/api/v1/members/" + bMember, map[string]any{"role": "admin"}},
				{"DELETE", "/api/v1/members/" + bMember, nil},
				{"DELETE", "/api/v1/api-keys/" + bKey, nil},
				{"GET", "/api/v1/costs/imports/" + bImport, nil},
				{"GET", "/api/v1/connections/" + bConn, nil},
				{"PATCH", "/api/v1/connections/" + bConn, map[string]any{"name": "mine"}},
				{"DELETE", "/api/v1/connections/" + bConn, nil},
				{"GET", "/api/v1/connections/" + bConn + "/onboarding", nil},
				{"POST", "/api/v1/connections/" + bConn + "/test", nil},
				{"POST", "/api/v1/connections/" + bConn + "/scan", nil},
				{"GET", "/api/v1/scans/" + bScan, nil},
				{"GET", "/api/v1/jobs/" + bJob, nil},
				{"GET", "/api/v1/findings/" + bFinding, nil},
				{"POST", "/api/v1/findings/" + bFinding + "/snooze", map[string]any{"until": time.Now().Add(time.Hour).Format(time.RFC3339)}},
				{"POST", "/api/v1/findings/" + bFinding + "/dismiss", map[string]any{"reason": "mine"}},
				{"POST", "/api/v1/findings/" + bFinding + "/reopen", nil},
				{"GET", "/api/v1/connections/" + bDetection + "/detection", nil},
			} {
				res := e.do(c.method, c.path, c.body, bearer(admin.apiKey))
				require.Equal(t, http.StatusNotFound, res.status, "%s %s across tenants: %s", c.method, c.path, res.body)
			}
			m, err := e.core.Store.GetMember(context.Background(), tb.ID, bMember)
			require.NoError(t, err)
			require.Equal(t, valdrix.RoleViewer, m.Role)
			k, err := e.core.Store.GetAPIKey(context.Background(), tb.ID, bKey)
			require.NoError(t, err)
			require.Nil(t, k.RevokedAt)
			fb, err := e.core.Store.GetFinding(context.Background(), tb.ID, bFinding)
			require.NoError(t, err)
			require.Equal(t, optimization.StatusOpen, fb.Status, "B's finding is untouched")
		})
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
