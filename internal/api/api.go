// Package api is Valdrix's REST API under /api/v1: JSON in and out, errors as
// application/problem+json with stable codes, an OpenAPI 3.1 document
// generated from the same operations that serve requests, authentication by
// cookie session, API key or bearer JWT, role checks on every operation,
// CSRF protection, rate limits, security headers and metrics.
//
// Handlers decode, authorise and call the modules with the tenant and actor
// as explicit arguments. Nothing imports api except app.
package api

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/jwtauth"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Readiness reports whether the backing services can serve.
type Readiness interface {
	Ready(ctx context.Context) error
}

// RateLimits configures the per-process token buckets. A zero rate disables
// a limiter.
type RateLimits struct {
	PerIP             float64 // requests per second per client IP
	PerIPBurst        int
	PerPrincipal      float64 // requests per second per API key, user or JWT subject
	PerPrincipalBurst int
	LoginFailures     int           // failed logins allowed per IP and per email in LoginWindow
	LoginWindow       time.Duration // default 15 minutes
}

// DefaultRateLimits are generous for people and scripts, strict on guessing.
var DefaultRateLimits = RateLimits{PerIP: 100, PerIPBurst: 200, PerPrincipal: 50, PerPrincipalBurst: 100, LoginFailures: 5, LoginWindow: 15 * time.Minute}

// Config configures the API server.
type Config struct {
	Governance *governance.Service
	// Jobs, when set, serves the job endpoints.
	Jobs      *jobs.Runtime
	Readiness Readiness
	// Tracer makes a span per request; nil traces nothing.
	Tracer trace.TracerProvider
	// Reporting and Ledger serve the cost endpoints, Reporting the carbon
	// endpoint (optional).
	Reporting *reporting.Service
	Ledger    Ledger
	// Inventory serves connections, resources and scans (optional).
	Inventory *inventory.Service
	// Optimization serves findings and rules (optional).
	Optimization *optimization.Service
	// JWT, when set, accepts bearer JWTs from the configured issuer.
	JWT      *jwtauth.Verifier
	Logger   *slog.Logger
	Registry *prometheus.Registry
	Clock    valdrix.Clock
	Version  string

	RateLimits RateLimits
	// BodyLimit caps request bodies (default 1 MiB).
	BodyLimit int64
	// TrustProxy takes the client IP and scheme from X-Forwarded-For and
	// X-Forwarded-Proto (set it only behind a proxy that overwrites them).
	TrustProxy bool
	// SecureCookies forces the Secure cookie attribute (it is always set
	// under TLS).
	SecureCookies bool
	// TrustedOrigins may make cross-origin cookie requests (e.g. a dashboard
	// on another host).
	TrustedOrigins []string
	// AccessLog logs every request at info level.
	AccessLog bool
	// SessionTTL is the cookie lifetime; match governance's session TTL.
	SessionTTL time.Duration
}

// Server is the HTTP API.
type Server struct {
	gov           *governance.Service
	jobs          *jobs.Runtime
	ready         Readiness
	reporting     *reporting.Service
	ledger        Ledger
	inventory     *inventory.Service
	optimization  *optimization.Service
	jwt           *jwtauth.Verifier
	log           *slog.Logger
	clock         valdrix.Clock
	metrics       *httpMetrics
	registry      *prometheus.Registry
	api           huma.API
	mux           *http.ServeMux
	handler       http.Handler
	ipLimit       *limiterSet
	principalLim  *limiterSet
	loginFailures *failureLimiter
	bodyLimit     int64
	trustProxy    bool
	secureCookies bool
	accessLog     bool
	sessionTTL    time.Duration
	csrf          *http.CrossOriginProtection
	routes        []string
}

// New builds the API server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Governance == nil || cfg.Readiness == nil {
		return nil, errors.New("api: Governance and Readiness are required")
	}
	useProblemErrors()
	rl := cfg.RateLimits
	s := &Server{
		gov: cfg.Governance, jobs: cfg.Jobs, ready: cfg.Readiness, jwt: cfg.JWT, reporting: cfg.Reporting, ledger: cfg.Ledger, inventory: cfg.Inventory,
		optimization:  cfg.Optimization,
		log:           cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		clock:         cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{}),
		registry:      cfg.Registry,
		ipLimit:       newLimiterSet(rl.PerIP, rl.PerIPBurst),
		principalLim:  newLimiterSet(rl.PerPrincipal, rl.PerPrincipalBurst),
		loginFailures: newFailureLimiter(rl.LoginFailures, cmp.Or(rl.LoginWindow, 15*time.Minute)),
		bodyLimit:     cmp.Or(cfg.BodyLimit, 1<<20),
		trustProxy:    cfg.TrustProxy,
		secureCookies: cfg.SecureCookies,
		accessLog:     cfg.AccessLog,
		sessionTTL:    cmp.Or(cfg.SessionTTL, 12*time.Hour),
		csrf:          http.NewCrossOriginProtection(),
	}
	var reg prometheus.Registerer
	if cfg.Registry != nil {
		reg = cfg.Registry
	}
	m, err := newHTTPMetrics(reg)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	for _, o := range cfg.TrustedOrigins {
		if err := s.csrf.AddTrustedOrigin(o); err != nil {
			return nil, valdrix.FieldError("trusted-origins", "%q: %v", o, err)
		}
	}
	s.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, newProblem(r.Context(), http.StatusForbidden, valdrix.EFORBIDDEN,
			"Cross-origin requests with a session cookie are not allowed."))
	}))

	s.mux = http.NewServeMux()
	hc := huma.DefaultConfig("Valdrix API", cmp.Or(cfg.Version, "dev"))
	hc.OpenAPIPath = "/api/v1/openapi"
	hc.DocsPath = ""
	hc.SchemasPath = ""
	hc.CreateHooks = nil
	hc.RejectUnknownQueryParameters = true
	hc.Info.Description = "The Valdrix REST API. Authenticate with a session cookie (POST /api/v1/auth/login), " +
		"an API key (Authorization: Bearer vdx_…) or a bearer JWT from the configured issuer. Errors are RFC 9457 problem documents with a stable `code`."
	hc.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer":  {Type: "http", Scheme: "bearer", Description: "An API key (vdx_…) or a JWT from the configured OIDC/Supabase issuer."},
		"session": {Type: "apiKey", In: "cookie", Name: sessionCookie, Description: "The session cookie set by POST /api/v1/auth/login."},
	}
	s.api = humago.New(s.mux, hc)
	s.routes = append(s.routes, "GET /api/v1/openapi.json", "GET /api/v1/openapi.yaml")

	s.registerAuth()
	s.registerMembers()
	s.registerAPIKeys()
	s.registerAudit()
	s.registerCosts()
	s.registerCarbon()
	s.registerConnections()
	s.registerFindings()
	if s.jobs != nil {
		s.registerJobs()
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if cfg.Registry != nil {
		s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{Registry: cfg.Registry}))
	}

	h := http.Handler(recordRoute(s.mux))
	h = s.csrfCheck(h)
	h = s.authenticate(h)
	h = s.limitIP(h)
	h = s.limitBody(h)
	h = s.securityHeaders(h)
	h = s.observe(h)
	if cfg.Tracer != nil {
		// The span is named "METHOD /route/pattern" once the route is known (observe).
		h = otelhttp.NewHandler(h, "http", otelhttp.WithTracerProvider(cfg.Tracer),
			otelhttp.WithPropagators(propagation.TraceContext{}))
	}
	s.handler = h
	return s, nil
}

// Handler returns the server's root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenAPI returns the API description.
func (s *Server) OpenAPI() *huma.OpenAPI { return s.api.OpenAPI() }

// Routes lists the "METHOD /path" of every /api/v1 route the server serves.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := s.ready.Ready(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", "error", err)
		writeProblem(w, newProblem(ctx, http.StatusServiceUnavailable, valdrix.EUNAVAILABLE, valdrix.ErrorMessage(err)))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(`{"status":"ready"}` + "\n"))
}
