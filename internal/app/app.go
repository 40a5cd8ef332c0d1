// Package app is the composition root: it builds the store, the modules and
// the HTTP server from a Config, in reading order, and runs and stops them.
// The CLI and end-to-end tests share it. Only cli (and cmd) import app.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/valdrix/valdrix/internal/api"
	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/jwtauth"
	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/telemetry"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Core is what every command needs: the store, the keyring and governance.
type Core struct {
	Config     Config
	Log        *slog.Logger
	Clock      valdrix.Clock
	Registry   *prometheus.Registry
	Store      *store.DB
	Keyring    *keyring.Keyring
	Governance *governance.Service
	Importer   *ingestion.Importer
	Reporting  *reporting.Service
	Carbon     *carbon.Estimator // the one estimator (CCF defaults): hand it to every module that estimates CO2e
	Inventory  *inventory.Service
	Scan       *scan.Runner
	// Optimization runs waste detection and keeps the findings ledger.
	Optimization *optimization.Service
	// Budget rations metered cloud API calls per tenant and day.
	Budget   *governance.APIBudget
	Adapters cloud.Set
	// Jobs is the job runtime; it works jobs only when opened with
	// Options.Work (serve, worker).
	Jobs    *jobs.Runtime
	Tracing *telemetry.Tracing
	// KeysFromFile reports whether the keyring is the data directory's key
	// file (and so is rewritten on rotation).
	KeysFromFile bool
}

// Options adjust how the core is built (tests use them).
type Options struct {
	Clock          valdrix.Clock
	PasswordParams governance.PasswordParams
	// OnUnscopedQuery is passed to the store (tests fail on it).
	OnUnscopedQuery func(string)
	Build           telemetry.Build
	// Adapters replace or add cloud adapters (tests, the demo's simulator).
	Adapters cloud.Set
	// Work makes this process work background jobs (serve, worker).
	Work bool
	// JobsTestMode makes the job runtime poll fast and skip start-up
	// jitter (tests only).
	JobsTestMode bool
}

// StoreConfig returns the store configuration for cfg.
func StoreConfig(cfg Config, log *slog.Logger, reg prometheus.Registerer, onUnscoped func(string)) store.Config {
	return store.Config{
		URL: cfg.DatabaseTarget(), MigrateURL: cfg.MigrateDatabaseURL, MaxConns: cfg.MaxDBConns,
		Logger: log, Registerer: reg, OnUnscopedQuery: onUnscoped,
	}
}

// OpenCore validates cfg, migrates (when enabled), opens the store and loads
// or creates the keyring.
func OpenCore(ctx context.Context, cfg Config, log *slog.Logger, opts Options) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = valdrix.SystemClock{}
	}
	reg := telemetry.NewRegistry(opts.Build)
	scfg := StoreConfig(cfg, log, reg, opts.OnUnscopedQuery)
	if cfg.AutoMigrate {
		applied, err := store.Migrate(ctx, scfg)
		if err != nil {
			return nil, err
		}
		for _, m := range applied {
			log.InfoContext(ctx, "applied migration", "version", m.Version, "name", m.Name)
		}
	}
	db, err := store.Open(ctx, scfg)
	if err != nil {
		return nil, err
	}
	c := &Core{Config: cfg, Log: log, Clock: clock, Registry: reg, Store: db}
	if err := c.loadKeys(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	c.Governance, err = governance.New(governance.Config{
		Store: db, Keyring: c.Keyring, Clock: clock, Logger: log,
		SessionTTL: cfg.SessionTTL, PasswordParams: opts.PasswordParams,
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	c.Importer, err = ingestion.NewImporter(ingestion.ImporterConfig{Store: db, Clock: clock, Logger: log, Registerer: reg})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if c.Carbon, err = carbon.New(carbon.Config{}); err != nil {
		_ = db.Close()
		return nil, err
	}
	c.Reporting = reporting.New(db, c.Carbon)
	denied := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "valdrix_cloud_api_budget_denied_total",
		Help: "Metered cloud API calls refused by the tenants' daily budget, by API."}, []string{"api"})
	if err := reg.Register(denied); err != nil {
		_ = db.Close()
		return nil, err
	}
	c.Budget, err = governance.NewAPIBudget(db, cfg.CloudAPIDailyBudget, clock, func(api string, n int) {
		denied.WithLabelValues(api).Add(float64(n))
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	var onboarding inventory.OnboardingFunc
	if c.Adapters, onboarding, err = c.providers(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if opts.Adapters != nil {
		for p, a := range opts.Adapters {
			c.Adapters[p] = a
		}
	}
	c.Inventory, err = inventory.New(inventory.Config{
		Store: db, Secrets: c.Governance, Audit: c.Governance, Adapters: c.Adapters, Onboarding: onboarding, Clock: clock, Logger: log,
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	c.Scan, err = scan.New(scan.Config{Inventory: c.Inventory, Importer: c.Importer, Adapters: c.Adapters, Clock: clock, Logger: log,
		StaleAfter: cfg.JobRescueAfter})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	if c.Optimization, err = newOptimization(c); err != nil {
		_ = db.Close()
		return nil, err
	}
	c.Scan.SetDetector(c.Optimization)
	if c.Tracing, err = telemetry.NewTracing(ctx, cfg.Tracing, opts.Build); err != nil {
		_ = db.Close()
		return nil, err
	}
	if c.Jobs, err = newJobs(c, opts); err != nil {
		_ = c.Tracing.Shutdown(ctx)
		_ = db.Close()
		return nil, err
	}
	return c, nil
}

// newOptimization builds the detection engine and the findings ledger.
// Metric rules are rationed by the adapters' own API budgets, not by a
// second count of queries.
func newOptimization(c *Core) (*optimization.Service, error) {
	eng, err := optimization.NewEngine(optimization.Config{Carbon: c.Carbon, Clock: c.Clock, Logger: c.Log})
	if err != nil {
		return nil, err
	}
	return optimization.NewService(optimization.ServiceConfig{
		Store: c.Store, Engine: eng, Connections: c.Inventory, Settings: c.Governance, Audit: c.Governance,
		Adapters: c.Adapters, Clock: c.Clock, Logger: c.Log,
	})
}

// newJobs builds the job runtime on the core's database and registers the
// housekeeping jobs.
func newJobs(c *Core, opts Options) (*jobs.Runtime, error) {
	timeouts, err := c.Config.JobTimeoutMap()
	if err != nil {
		return nil, err
	}
	jc := jobs.Config{
		Postgres: c.Store.Pool(), CurrentTx: c.Store.Tx, Alerts: c.Store,
		Logger: c.Log, Clock: c.Clock, Registerer: c.Registry, Tracer: c.Tracing.Provider,
		Work: opts.Work, MaxWorkers: c.Config.JobWorkers, Timeouts: timeouts,
		RescueAfter: c.Config.JobRescueAfter, StuckAfter: c.Config.JobStuckAfter,
		ShutdownTimeout: c.Config.ShutdownTimeout, TestMode: opts.JobsTestMode,
	}
	if lite := c.Store.SQLite(); lite != nil {
		jc.SQLite, jc.SQLiteRead = lite.Write, lite.Read
	}
	rt, err := jobs.New(jc)
	if err != nil {
		return nil, err
	}
	if err := registerHousekeeping(rt, c); err != nil {
		return nil, err
	}
	if err := c.Scan.RegisterJobs(rt, c.Store); err != nil {
		return nil, err
	}
	c.Scan.SetMetrics(rt.Pipeline())
	return rt, nil
}

func (c *Core) loadKeys(ctx context.Context) error {
	if c.Config.EncryptionKeys != "" {
		k, err := keyring.Parse(c.Config.EncryptionKeys)
		if err != nil {
			return settingError("encryption-keys", "%v", err)
		}
		c.Keyring = k
		return nil
	}
	k, created, err := keyring.LoadOrCreateFile(c.Config.KeyFile(), c.Clock.Now())
	if err != nil {
		return settingError("encryption-keys", "no keyring configured and the key file cannot be used: %v", err)
	}
	if created {
		c.Log.WarnContext(ctx, "generated a new encryption key for secrets at rest; back it up, losing it makes stored cloud credentials unreadable",
			"file", c.Config.KeyFile())
	}
	if store.ParseURLDialect(c.Config.DatabaseTarget()) == store.Postgres {
		c.Log.WarnContext(ctx, "PostgreSQL with a key file in the data directory: set VALDRIX_ENCRYPTION_KEYS so that every node shares the keyring")
	}
	c.Keyring, c.KeysFromFile = k, true
	return nil
}

// Close stops the job runtime (letting running jobs finish for up to the
// shutdown timeout), flushes traces and closes the database.
func (c *Core) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.Config.ShutdownTimeout+10*time.Second)
	defer cancel()
	return errors.Join(c.Jobs.Stop(ctx), c.Tracing.Shutdown(ctx), c.Store.Close())
}

// App is a running server.
type App struct {
	*Core
	API    *api.Server
	server *http.Server
	ln     net.Listener
	cancel context.CancelFunc
}

// New builds the server from a core. ctx bounds background work (the JWKS
// refresh).
func New(ctx context.Context, core *Core, build telemetry.Build) (*App, error) {
	cfg := core.Config
	var verifier *jwtauth.Verifier
	if cfg.JWTEnabled() {
		v, err := jwtauth.New(ctx, jwtauth.Config{
			Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, JWKSURL: cfg.JWTJWKSURL, HS256Secret: cfg.JWTHS256Secret,
			TenantClaim: cfg.JWTTenantClaim, RoleClaim: cfg.JWTRoleClaim, Logger: core.Log, Clock: core.Clock,
		})
		if err != nil {
			return nil, err
		}
		verifier = v
	}
	srv, err := api.New(api.Config{
		Governance: core.Governance, Jobs: core.Jobs, Tracer: core.Tracing.Exporting(), Readiness: core.Store, JWT: verifier, Logger: core.Log,
		Reporting: core.Reporting, Ledger: core.Store, Inventory: core.Inventory, Optimization: core.Optimization,
		Registry: core.Registry, Clock: core.Clock, Version: build.Version,
		RateLimits: api.RateLimits{
			PerIP: cfg.RateLimitIP, PerIPBurst: cfg.RateLimitIPBurst,
			PerPrincipal: cfg.RateLimitPrincipal, PerPrincipalBurst: cfg.RateLimitBurst,
			LoginFailures: cfg.LoginFailures, LoginWindow: 15 * time.Minute,
		},
		TrustProxy: cfg.TrustProxy, SecureCookies: cfg.SecureCookies, TrustedOrigins: cfg.TrustedOrigins,
		AccessLog: cfg.AccessLog, SessionTTL: cfg.SessionTTL,
	})
	if err != nil {
		return nil, err
	}
	a := &App{Core: core, API: srv}
	a.server = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(core.Log.Handler(), slog.LevelWarn),
	}
	return a, nil
}

// Listen binds the HTTP address (":0" picks a free port) and returns it.
func (a *App) Listen() (net.Addr, error) {
	ln, err := net.Listen("tcp", a.Config.HTTPAddr)
	if err != nil {
		return nil, settingError("http-addr", "cannot listen on %s: %v", a.Config.HTTPAddr, err)
	}
	a.ln = ln
	return ln.Addr(), nil
}

// URL is the server's base URL once listening.
func (a *App) URL() string {
	scheme := "http"
	if a.Config.TLSCert != "" {
		scheme = "https"
	}
	return scheme + "://" + a.ln.Addr().String()
}

// Run serves until ctx is cancelled, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if a.ln == nil {
		if _, err := a.Listen(); err != nil {
			return err
		}
	}
	ctx, a.cancel = context.WithCancel(ctx)
	defer a.cancel()
	if err := a.Jobs.Start(ctx); err != nil {
		return err
	}

	errc := make(chan error, 1)
	go func() {
		var err error
		if a.Config.TLSCert != "" {
			a.server.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
			err = a.server.ServeTLS(a.ln, a.Config.TLSCert, a.Config.TLSKey)
		} else {
			err = a.server.Serve(a.ln)
		}
		errc <- err
	}()
	a.Log.InfoContext(ctx, "serving", "url", a.URL(), "database", a.Store.Dialect())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	a.Log.InfoContext(ctx, "shutting down", "timeout", a.Config.ShutdownTimeout)
	if err := a.server.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return a.Jobs.Stop(sctx)
}
