package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Defaults.
const (
	// DefaultTimeout bounds a job of a kind that sets no timeout.
	DefaultTimeout = time.Minute
	// ScanTimeout is the default timeout of a scan job.
	ScanTimeout = 5 * time.Minute
	// DefaultMaxAttempts is the attempts of a kind that sets none.
	DefaultMaxAttempts = 10
	// DefaultQueue is where jobs go unless their kind names a queue.
	DefaultQueue = river.QueueDefault
	// MaintenanceQueue runs the runtime's own periodic jobs (the stuck-job
	// detector and the daily-spread planners) so busy workers never starve
	// them.
	MaintenanceQueue = "maintenance"
)

// Config configures a Runtime. Exactly one of Postgres and SQLite is set.
type Config struct {
	// Postgres is the application's pool (store.DB.Pool).
	Postgres *pgxpool.Pool
	// SQLite is the single-connection writer pool (store.DB.SQLite().Write),
	// shared with the store: River and the store then never write at once.
	SQLite *sql.DB
	// SQLiteRead, optional, serves the metrics' counting queries on SQLite.
	SQLiteRead *sql.DB
	// CurrentTx returns the read-write store transaction that ctx carries
	// (store.DB.Tx). EnqueueTx needs it.
	CurrentTx func(ctx context.Context) (pgx.Tx, *sql.Tx, bool)
	// Alerts stores stuck-job alerts (store.DB). Without it stuck jobs are
	// still logged and counted.
	Alerts AlertStore

	Logger *slog.Logger
	Clock  valdrix.Clock
	// Registerer receives the metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// Tracer makes a span per job; nil traces nothing.
	Tracer trace.TracerProvider

	// Work makes this process work jobs, take part in leader election and,
	// when leader, enqueue periodic jobs, rescue jobs whose worker died and
	// detect stuck jobs. Without it the runtime only enqueues and inspects.
	Work bool
	// MaxWorkers bounds the jobs this process works at once in each queue
	// (default 10).
	MaxWorkers int
	// Timeouts override kinds' timeouts by kind name.
	Timeouts map[string]time.Duration
	// RescueAfter is how long a job may be running before River's rescuer
	// takes it as abandoned (its worker died) and retries it (default 1h).
	// It must be at least twice every kind's timeout: River v0.47's rescuer
	// can overwrite a job that finishes while it is being rescued, so a job
	// must be long dead, not merely slow, when it is rescued.
	RescueAfter time.Duration
	// StuckAfter is how long past its scheduled time a job may wait before
	// the stuck-job detector flags it (default 1h).
	StuckAfter time.Duration
	// StuckMargin is added to a running job's timeout before the detector
	// flags it as past its deadline (default 5m).
	StuckMargin time.Duration
	// StuckCheckEvery is the detector's period (default 5m).
	StuckCheckEvery time.Duration
	// PlanEvery is how often daily-spread planners run (default 1h).
	PlanEvery time.Duration
	// CompletedRetention keeps completed jobs this long (default 48h). Unique
	// keys see completed jobs only while they are kept, so keep it longer
	// than the period of any key (a day for daily keys).
	CompletedRetention time.Duration
	// DiscardedRetention keeps failed and cancelled jobs (default 7 days).
	DiscardedRetention time.Duration
	// ShutdownTimeout is how long Stop lets running jobs finish before
	// cancelling them (default 30s).
	ShutdownTimeout time.Duration
	// PollInterval is how often idle workers poll for jobs when no
	// notification arrives (default 1s).
	PollInterval time.Duration
	// ID names this process among the workers (default: River's, from the
	// host name and time).
	ID string
	// TestMode removes River's start-up jitter and polls fast. Tests only.
	TestMode bool
}

// Runtime runs and manages jobs. Its methods are safe for concurrent use.
type Runtime struct {
	cfg     Config
	log     *slog.Logger
	clock   valdrix.Clock
	client  riverClient
	workers *river.Workers
	tracer  trace.Tracer
	metrics *metrics
	dialect string

	life    sync.Mutex // serialises Start and Stop; held while River starts or stops
	running bool       // under life

	mu      sync.Mutex // guards what follows; never held while calling River
	kinds   map[string]*kindInfo
	spreads map[string]planFunc
	queues  map[string]bool
	started bool // registration is closed
}

// New builds a runtime. Register kinds and periodic jobs before Start.
func New(cfg Config) (*Runtime, error) {
	if (cfg.Postgres == nil) == (cfg.SQLite == nil) {
		return nil, errors.New("jobs: set exactly one of Postgres and SQLite")
	}
	cfg.MaxWorkers = cmp.Or(cfg.MaxWorkers, 10)
	cfg.RescueAfter = cmp.Or(cfg.RescueAfter, time.Hour)
	cfg.StuckAfter = cmp.Or(cfg.StuckAfter, time.Hour)
	cfg.StuckMargin = cmp.Or(cfg.StuckMargin, 5*time.Minute)
	cfg.StuckCheckEvery = cmp.Or(cfg.StuckCheckEvery, 5*time.Minute)
	cfg.PlanEvery = cmp.Or(cfg.PlanEvery, time.Hour)
	cfg.CompletedRetention = cmp.Or(cfg.CompletedRetention, 48*time.Hour)
	cfg.DiscardedRetention = cmp.Or(cfg.DiscardedRetention, 7*24*time.Hour)
	cfg.ShutdownTimeout = cmp.Or(cfg.ShutdownTimeout, 30*time.Second)
	cfg.PollInterval = cmp.Or(cfg.PollInterval, time.Second)
	if cfg.TestMode {
		cfg.PollInterval = min(cfg.PollInterval, 50*time.Millisecond)
	}
	if cfg.MaxWorkers < 1 || cfg.MaxWorkers > 10_000 {
		return nil, valdrix.FieldError("job-workers", "%d is out of range 1–10000", cfg.MaxWorkers)
	}
	for kind, d := range cfg.Timeouts {
		if d <= 0 || 2*d > cfg.RescueAfter {
			return nil, valdrix.FieldError("job-timeouts", "the timeout of %s (%s) must be positive and at most half of the rescue delay (%s)", kind, d, cfg.RescueAfter)
		}
	}
	rt := &Runtime{
		cfg:     cfg,
		log:     cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		clock:   cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{}),
		workers: river.NewWorkers(),
		kinds:   map[string]*kindInfo{},
		spreads: map[string]planFunc{},
		queues:  map[string]bool{},
	}
	tp := cfg.Tracer
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	rt.tracer = tp.Tracer("github.com/valdrix/valdrix/internal/jobs")
	m, err := newMetrics(rt, cfg.Registerer)
	if err != nil {
		return nil, err
	}
	rt.metrics = m

	rc := &river.Config{
		ID:                          cfg.ID,
		Logger:                      RiverLogger(rt.log),
		Workers:                     rt.workers,
		JobTimeout:                  rt.defaultTimeout(),
		MaxAttempts:                 DefaultMaxAttempts,
		RescueStuckJobsAfter:        cfg.RescueAfter,
		RetryPolicy:                 retryPolicy{rt},
		CompletedJobRetentionPeriod: cfg.CompletedRetention,
		CancelledJobRetentionPeriod: cfg.DiscardedRetention,
		DiscardedJobRetentionPeriod: cfg.DiscardedRetention,
		FetchPollInterval:           cfg.PollInterval,
		FetchCooldown:               min(100*time.Millisecond, cfg.PollInterval),
		SoftStopTimeout:             cfg.ShutdownTimeout,
		Middleware:                  []rivertype.Middleware{&observer{rt: rt}},
		// River reindexes its GIN indexes daily, which needs the table's
		// owner; the application role owns nothing (docs/jobs.md).
		ReindexerSchedule: river.NeverSchedule(),
		TestOnly:          cfg.TestMode,
	}
	if cfg.Work {
		rc.Queues = map[string]river.QueueConfig{
			DefaultQueue:     {MaxWorkers: cfg.MaxWorkers},
			MaintenanceQueue: {MaxWorkers: 2},
		}
		rt.queues[DefaultQueue], rt.queues[MaintenanceQueue] = true, true
	}
	txf := cfg.CurrentTx
	if txf == nil {
		txf = func(context.Context) (pgx.Tx, *sql.Tx, bool) { return nil, nil, false }
	}
	if cfg.Postgres != nil {
		c, err := river.NewClient(riverpgxv5.New(cfg.Postgres), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		rt.client, rt.dialect = txClient[pgx.Tx]{Client: c, tx: func(ctx context.Context) (pgx.Tx, bool) {
			tx, _, ok := txf(ctx)
			return tx, ok && tx != nil
		}}, "postgres"
	} else {
		c, err := river.NewClient(riversqlite.New(cfg.SQLite), rc)
		if err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		rt.client, rt.dialect = txClient[*sql.Tx]{Client: c, tx: func(ctx context.Context) (*sql.Tx, bool) {
			_, tx, ok := txf(ctx)
			return tx, ok && tx != nil
		}}, "sqlite"
	}
	if err := rt.addMaintenance(); err != nil {
		return nil, err
	}
	return rt, nil
}

// defaultTimeout is the timeout of a kind that sets none.
func (rt *Runtime) defaultTimeout() time.Duration { return min(DefaultTimeout, rt.cfg.RescueAfter/2) }

// Start starts working jobs (when Config.Work is set); it returns once the
// workers run. Starting twice, or a runtime that does not work, is a no-op.
func (rt *Runtime) Start(ctx context.Context) error {
	rt.life.Lock()
	defer rt.life.Unlock()
	rt.mu.Lock()
	rt.started = true
	kinds := len(rt.kinds)
	rt.mu.Unlock()
	if rt.running || !rt.cfg.Work {
		return nil
	}
	if err := rt.checkTimeouts(); err != nil {
		return err
	}
	// River stops its workers when the context passed to Start ends; Stop
	// does that, so the workers outlive a request-scoped ctx.
	if err := rt.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("start the job runtime: %w", err)
	}
	rt.running = true
	rt.log.InfoContext(ctx, "job runtime started", "database", rt.dialect, "max_workers", rt.cfg.MaxWorkers, "kinds", kinds)
	return nil
}

// Stop lets running jobs finish for up to Config.ShutdownTimeout, or until
// ctx ends, then cancels them; cancelled jobs return to the queue without
// losing an attempt. Stopping an unstarted or stopped runtime is a no-op.
func (rt *Runtime) Stop(ctx context.Context) error {
	rt.life.Lock()
	defer rt.life.Unlock()
	if !rt.running {
		return nil
	}
	rt.running = false
	err := rt.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = rt.client.StopAndCancel(hard)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop the job runtime: %w", err)
	}
	return nil
}

// RiverLogger is the logger to hand River (its client, its migrator): only
// its warnings and errors, tagged component=river. River logs routine
// events at info; Valdrix logs each job and migration itself.
func RiverLogger(log *slog.Logger) *slog.Logger {
	return slog.New(floorHandler{log.Handler().WithAttrs([]slog.Attr{slog.String("component", "river")}), slog.LevelWarn})
}

// floorHandler drops records below a level.
type floorHandler struct {
	slog.Handler
	floor slog.Level
}

func (h floorHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.floor && h.Handler.Enabled(ctx, l)
}

func (h floorHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return floorHandler{h.Handler.WithAttrs(as), h.floor}
}

func (h floorHandler) WithGroup(name string) slog.Handler {
	return floorHandler{h.Handler.WithGroup(name), h.floor}
}

// checkTimeouts refuses timeouts set for kinds nobody registered (a typo
// would otherwise be ignored).
func (rt *Runtime) checkTimeouts() error {
	known := rt.kindNames()
	var unknown []string
	for _, name := range sortedNames(rt.cfg.Timeouts) {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return valdrix.FieldError("job-timeouts", "no job kind named %s (kinds: %s)", strings.Join(unknown, ", "), strings.Join(known, ", "))
}
