package cloudsim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// gcpServer serves the Google APIs on its own loopback port, each under its
// service name (/cloudasset/v1/…, /compute/compute/v1/…), as Google serves
// them on their own hosts.
type gcpServer struct {
	s    *Sim
	base string // http://127.0.0.1:port
	srv  *http.Server

	mu         sync.Mutex
	retryAfter time.Duration
	accounts   map[string]*gcpAccount // service account email →
	keys       map[string]*gcpKey     // private key id →
	pools      map[string]*gcpPool    // workload identity provider audience →
	tokens     map[string]gcpToken    // access token →
	issued     int
	disabled   map[string]bool // "project|service" of APIs that are not enabled
	jobs       map[string]*bqJob
	jobOrder   []string
	partCount  map[valdrix.Date]int       // billing export partitions: rows
	partTime   map[valdrix.Date]time.Time // and last export time
}

func newGCPServer(s *Sim) *gcpServer {
	return &gcpServer{
		s: s, accounts: map[string]*gcpAccount{}, keys: map[string]*gcpKey{}, pools: map[string]*gcpPool{},
		tokens: map[string]gcpToken{}, disabled: map[string]bool{}, jobs: map[string]*bqJob{},
	}
}

func (g *gcpServer) start(ctx context.Context) error {
	var err error
	g.srv, g.base, err = serveLoopback(ctx, http.HandlerFunc(g.serve), nil)
	return err
}

func (g *gcpServer) close(ctx context.Context) { shutdown(ctx, g.srv) }

// DisableGCPAPI turns an API ("cloudasset", "compute", "sqladmin",
// "monitoring", "bigquery") off in a project: calls get SERVICE_DISABLED.
func (s *Sim) DisableGCPAPI(project, service string) {
	s.gcp.mu.Lock()
	defer s.gcp.mu.Unlock()
	s.gcp.disabled[project+"|"+service] = true
}

// GCPTokenCount returns how many access tokens the GCP token endpoints
// issued (OAuth2, STS and impersonation).
func (s *Sim) GCPTokenCount() int {
	s.gcp.mu.Lock()
	defer s.gcp.mu.Unlock()
	return s.gcp.issued
}

// ExpireGCPTokens makes every issued GCP access token expire now.
func (s *Sim) ExpireGCPTokens() {
	g := s.gcp
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, t := range g.tokens {
		t.expires = s.clock.Now().Add(-time.Second)
		g.tokens[k] = t
	}
}

// gcpReq is one decoded Google API request.
type gcpReq struct {
	w       http.ResponseWriter
	r       *http.Request
	service string   // first path segment
	parts   []string // path segments after the service
	tok     gcpToken
}

// serve routes a request by its service segment.
func (g *gcpServer) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	q := &gcpReq{w: w, r: r, service: parts[0], parts: parts[1:]}
	switch q.service {
	case "oauth2":
		g.serveOAuth2(q)
		return
	case "sts":
		g.serveSTS(q)
		return
	}
	if !g.authenticate(q) {
		return
	}
	switch q.service {
	case "iamcredentials":
		g.serveImpersonation(q)
	case "cloudasset":
		g.serveAsset(q)
	case "compute":
		g.serveCompute(q)
	case "sqladmin":
		g.serveSQL(q)
	case "monitoring":
		g.serveMonitoring(q)
	case "bigquery":
		g.serveBigQuery(q)
	default:
		writeGCPError(w, http.StatusNotFound, "NOT_FOUND", "The simulator does not serve "+r.URL.Path, nil)
	}
}

// authenticate checks the bearer token.
func (g *gcpServer) authenticate(q *gcpReq) bool {
	tok, ok := strings.CutPrefix(q.r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	t, found := g.tokens[tok]
	g.mu.Unlock()
	if !ok || !found || !g.s.clock.Now().Before(t.expires) {
		q.w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
		writeGCPError(q.w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.", nil)
		return false
	}
	q.tok = t
	return true
}

// gcpDetail is a google.rpc error detail.
type gcpDetail = map[string]any

// writeGCPError writes a Google API error: the JSON body both the
// discovery clients (googleapi.Error) and the GAPIC REST clients
// (apierror, with google.rpc details) read.
func writeGCPError(w http.ResponseWriter, code int, status, msg string, details []gcpDetail, reasons ...string) {
	reason := strings.ToLower(status)
	switch status {
	case "PERMISSION_DENIED":
		reason = "forbidden"
	case "RESOURCE_EXHAUSTED":
		reason = "rateLimitExceeded"
	case "UNAVAILABLE":
		reason = "backendError"
	case "INVALID_ARGUMENT":
		reason = "invalid"
	case "NOT_FOUND":
		reason = "notFound"
	}
	if len(reasons) > 0 {
		reason = reasons[0]
	}
	e := map[string]any{"code": code, "message": msg, "status": status,
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": reason}}}
	if len(details) > 0 {
		e["details"] = details
	}
	body, _ := json.Marshal(map[string]any{"error": e})
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func writeGCPJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeGCPError(w, http.StatusInternalServerError, "INTERNAL", "encode response", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func errorInfo(reason, domain string, meta map[string]string) gcpDetail {
	return gcpDetail{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain, "metadata": meta}
}

// permissionDenied writes IAM's answer for a missing permission.
func permissionDenied(w http.ResponseWriter, service, permission, resource string) {
	writeGCPError(w, http.StatusForbidden, "PERMISSION_DENIED",
		fmt.Sprintf("Permission '%s' denied on resource '%s' (or it may not exist).", permission, resource),
		[]gcpDetail{errorInfo("IAM_PERMISSION_DENIED", "iam.googleapis.com", map[string]string{"permission": permission, "resource": resource})})
}

// gcpFault applies an injected fault to a Google API request; it reports
// whether the request was answered.
func (g *gcpServer) gcpFault(q *gcpReq, region, op, project, permission string) bool {
	f, ok := g.s.faults.match(q.service, region, op, project)
	if !ok {
		return false
	}
	return g.applyGCPFault(q, f, region, project, permission)
}

func (g *gcpServer) applyGCPFault(q *gcpReq, f Fault, region, project, permission string) bool {
	w := q.w
	switch f.Kind {
	case FaultThrottle:
		g.s.retryAfterHeaders(w)
		writeGCPError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED",
			fmt.Sprintf("Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service '%s.googleapis.com' for consumer 'project_number:%s'.", q.service, g.projectNumber(project)),
			[]gcpDetail{errorInfo("RATE_LIMIT_EXCEEDED", "googleapis.com", map[string]string{"service": q.service + ".googleapis.com", "quota_metric": q.service + ".googleapis.com/read_requests"})})
	case FaultDeny:
		permissionDenied(w, q.service, permission, "projects/"+project)
	case FaultTimeout:
		select {
		case <-q.r.Context().Done():
		case <-g.s.closing:
		}
	case FaultDown:
		msg := "The service is currently unavailable."
		if region != "" {
			msg = "The service is currently unavailable in " + region + "."
		}
		writeGCPError(w, http.StatusServiceUnavailable, "UNAVAILABLE", msg, nil)
	case FaultRefuse:
		refuse(w)
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{\"items\": [<<<this is not a valid page"))
	default:
		return false
	}
	return true
}

// projectNumber returns a GCP project's number ("" for unknown projects).
func (g *gcpServer) projectNumber(project string) string {
	if i, ok := g.s.estate.Account(valdrix.GCP, project); ok {
		return g.s.estate.Accounts[i].Number
	}
	return ""
}

// checkProject checks that the project exists, its API is enabled and the
// caller may use permission in it; otherwise it answers.
func (g *gcpServer) checkProject(q *gcpReq, project, permission string) (int, bool) {
	e := g.s.estate
	i, ok := e.Account(valdrix.GCP, project)
	if !ok {
		// Google answers 403 for projects the caller cannot see, to not leak
		// which exist.
		permissionDenied(q.w, q.service, permission, "projects/"+project)
		return 0, false
	}
	g.mu.Lock()
	off := g.disabled[project+"|"+q.service]
	g.mu.Unlock()
	if off {
		title := map[string]string{"cloudasset": "Cloud Asset API", "compute": "Compute Engine API", "sqladmin": "Cloud SQL Admin API",
			"monitoring": "Cloud Monitoring API", "bigquery": "BigQuery API"}[q.service]
		host := q.service + ".googleapis.com"
		writeGCPError(q.w, http.StatusForbidden, "PERMISSION_DENIED",
			fmt.Sprintf("%s has not been used in project %s before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/%s/overview?project=%s then retry.",
				title, e.Accounts[i].Number, host, e.Accounts[i].Number),
			[]gcpDetail{errorInfo("SERVICE_DISABLED", "googleapis.com", map[string]string{"service": host, "consumer": "projects/" + e.Accounts[i].Number})},
			"accessNotConfigured")
		return 0, false
	}
	if !q.tok.canRead(project) {
		permissionDenied(q.w, q.service, permission, "projects/"+project)
		return 0, false
	}
	return i, true
}

// regionOfZone returns the region of a zone ("us-central1-a" →
// "us-central1").
func regionOfZone(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return zone
}
