package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/prometheus/client_golang/prometheus"
	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/valdrix/valdrix/internal/store/postgres"
	"github.com/valdrix/valdrix/internal/store/sqlite"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Config configures Open.
type Config struct {
	// URL selects the database: "postgres://…" or "postgresql://…" for
	// PostgreSQL (the application's connection, running as the valdrix_app
	// role); "sqlite:PATH" or a plain file path for SQLite.
	URL string
	// MigrateURL is the schema owner's PostgreSQL URL used by Migrate;
	// defaults to URL.
	MigrateURL string
	// MaxConns bounds the PostgreSQL pool or the SQLite read pool.
	MaxConns int
	Logger   *slog.Logger
	// Registerer receives the store's metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// OnUnscopedQuery, when set, is called with the SQL of every refused
	// unscoped query on a tenant table. Tests set it to fail the test.
	OnUnscopedQuery func(query string)
	// WriteTimeout bounds the wait for SQLite's single writer (default 15s).
	WriteTimeout time.Duration
}

// DB is an open store.
type DB struct {
	dialect    string
	lite       *sqlite.DB
	pg         *pgxpool.Pool
	migrateURL string
	log        *slog.Logger
	unscoped   prometheus.Counter
	onUnscoped func(string)
	writeSem   chan struct{}
	writeWait  time.Duration
	tableCache sync.Map // SQL text → tenant table it touches ("" for none)
}

// Open connects to the database described by cfg. It does not migrate.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{
		log:        cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		onUnscoped: cfg.OnUnscopedQuery,
		writeSem:   make(chan struct{}, 1),
		writeWait:  cmp.Or(cfg.WriteTimeout, 15*time.Second),
		unscoped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "valdrix_db_unscoped_queries_total",
			Help: "Queries on tenant tables attempted outside any tenant or system scope (refused).",
		}),
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(db.unscoped); err != nil {
			return nil, fmt.Errorf("register store metrics: %w", err)
		}
	}
	dialect, target := ParseURL(cfg.URL)
	db.dialect = dialect
	switch dialect {
	case Postgres:
		pool, err := postgres.OpenApp(ctx, target, int32(cmp.Or(cfg.MaxConns, 10))) //nolint:gosec // small config value
		if err != nil {
			return nil, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot connect to PostgreSQL: %s", safeErr(err))
		}
		db.pg = pool
		db.migrateURL = cmp.Or(cfg.MigrateURL, target)
	default:
		lite, err := sqlite.Open(ctx, target, cmp.Or(cfg.MaxConns, 4))
		if err != nil {
			return nil, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot open the SQLite database %s.", target)
		}
		db.lite = lite
	}
	return db, nil
}

// safeErr renders a connection error without the URL's password.
func safeErr(err error) string {
	var pgErr *pgconn.ConnectError
	if errors.As(err, &pgErr) {
		return "could not connect to the server"
	}
	msg := err.Error()
	if strings.Contains(msg, "://") {
		return "check the database URL"
	}
	return msg
}

// ParseURL returns the dialect and the driver target of a database URL.
func ParseURL(url string) (dialect, target string) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return Postgres, url
	case strings.HasPrefix(url, "sqlite://"):
		return SQLite, strings.TrimPrefix(url, "sqlite://")
	case strings.HasPrefix(url, "sqlite:"):
		return SQLite, strings.TrimPrefix(url, "sqlite:")
	}
	return SQLite, url
}

// DefaultSQLitePath is the database file inside a data directory.
func DefaultSQLitePath(dataDir string) string { return filepath.Join(dataDir, "valdrix.db") }

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// Pool returns the PostgreSQL pool (nil on SQLite), for the job runtime.
func (db *DB) Pool() *pgxpool.Pool { return db.pg }

// SQLite returns the SQLite pools (nil on PostgreSQL), for the job runtime.
func (db *DB) SQLite() *sqlite.DB { return db.lite }

// Close closes the database.
func (db *DB) Close() error {
	if db.pg != nil {
		db.pg.Close()
		return nil
	}
	return db.lite.Close()
}

// ---- migrations

// Migration sources: Valdrix's own schema (goose) and the job queue's (River).
const (
	SourceValdrix = "valdrix"
	SourceRiver   = "river"
)

// MigrationStatus is one migration and whether it is applied.
type MigrationStatus struct {
	// Source is SourceValdrix or SourceRiver; versions are per source.
	Source    string    `json:"source"`
	Version   int64     `json:"version"`
	Name      string    `json:"name"`
	Applied   bool      `json:"applied"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
}

// migrators are the two migration sets of one database, opened as the
// schema owner.
type migrators struct {
	goose *goose.Provider
	river riverMigrator
	// lock serialises River's migrations between processes (PostgreSQL).
	lock func(ctx context.Context) (unlock func(), err error)
}

func withMigrators(ctx context.Context, cfg Config, fn func(m migrators) error) error {
	var (
		sqlDB   *sql.DB
		dialect goose.Dialect
		fsys    fs.FS
		opts    []goose.ProviderOption
		m       migrators
	)
	kind, target := ParseURL(cfg.URL)
	log := cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	if kind == Postgres {
		owner, err := postgres.OpenOwner(ctx, cmp.Or(cfg.MigrateURL, target))
		if err != nil {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot connect to PostgreSQL with the migration URL: %s", safeErr(err))
		}
		defer owner.Close()
		sqlDB = stdlib.OpenDBFromPool(owner)
		defer sqlDB.Close() //nolint:errcheck // the pool is closed above
		dialect, fsys = goose.DialectPostgres, postgres.Migrations()
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
		if m.river, err = newRiverMigrator(Postgres, owner, nil, log); err != nil {
			return err
		}
		m.lock = func(ctx context.Context) (func(), error) { return pgSessionLock(ctx, owner, riverMigrateLock) }
	} else {
		lite, err := sqlite.Open(ctx, target, 1)
		if err != nil {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot open the SQLite database %s.", target)
		}
		defer lite.Close() //nolint:errcheck // nothing to do on failure
		sqlDB, dialect, fsys = lite.Write, goose.DialectSQLite3, sqlite.Migrations()
		if m.river, err = newRiverMigrator(SQLite, nil, lite.Write, log); err != nil {
			return err
		}
		m.lock = func(context.Context) (func(), error) { return func() {}, nil }
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, opts...)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	m.goose = p
	return fn(m)
}

// Migrate applies pending migrations to the database of cfg (on PostgreSQL
// as the owner, through MigrateURL) and returns those it applied: Valdrix's
// schema first (it creates the application role and grants it privileges on
// every table the owner creates later), then the job queue's (River). It is
// safe to run from several processes at once.
func Migrate(ctx context.Context, cfg Config) ([]MigrationStatus, error) {
	var out []MigrationStatus
	err := withMigrators(ctx, cfg, func(m migrators) error {
		res, err := m.goose.Up(ctx)
		for _, r := range res {
			if r.Source != nil {
				out = append(out, MigrationStatus{Source: SourceValdrix, Version: r.Source.Version, Name: filepath.Base(r.Source.Path), Applied: r.Error == nil})
			}
		}
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		unlock, err := m.lock(ctx)
		if err != nil {
			return fmt.Errorf("lock for the job queue's migrations: %w", err)
		}
		defer unlock()
		applied, err := migrateRiver(ctx, m.river)
		out = append(out, applied...)
		return err
	})
	return out, err
}

// Migrations lists every known migration of cfg's database, Valdrix's then
// River's, and whether each is applied.
func Migrations(ctx context.Context, cfg Config) ([]MigrationStatus, error) {
	var out []MigrationStatus
	err := withMigrators(ctx, cfg, func(m migrators) error {
		st, err := m.goose.Status(ctx)
		if err != nil {
			return fmt.Errorf("migration status: %w", err)
		}
		for _, s := range st {
			out = append(out, MigrationStatus{
				Source: SourceValdrix, Version: s.Source.Version, Name: filepath.Base(s.Source.Path),
				Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt.UTC(),
			})
		}
		river, err := riverStatus(ctx, m.river)
		out = append(out, river...)
		return err
	})
	return out, err
}

// latestMigration is the newest embedded migration version.
func (db *DB) latestMigration() (int64, error) {
	fsys := sqlite.Migrations()
	if db.pg != nil {
		fsys = postgres.Migrations()
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		name := e.Name()
		n := strings.IndexFunc(name, func(r rune) bool { return r < '0' || r > '9' })
		if n <= 0 {
			continue
		}
		if v, err := strconv.ParseInt(name[:n], 10, 64); err == nil && v > latest {
			latest = v
		}
	}
	return latest, nil
}

// Ready reports whether the database answers and every migration, Valdrix's
// and River's, is applied.
func (db *DB) Ready(ctx context.Context) error {
	latest, err := db.latestMigration()
	if err != nil {
		return err
	}
	var current, river int64
	q := "SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied"
	rq := "SELECT COALESCE(MAX(version), 0) FROM river_migration WHERE line = 'main'"
	if db.pg != nil {
		err = db.pg.QueryRow(ctx, q).Scan(&current)
		if err == nil {
			err = db.pg.QueryRow(ctx, rq).Scan(&river)
		}
	} else {
		err = db.lite.Read.QueryRowContext(ctx, q).Scan(&current)
		if err == nil {
			err = db.lite.Read.QueryRowContext(ctx, rq).Scan(&river)
		}
	}
	if err != nil {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "The database is not reachable or not migrated. Run `valdrix migrate up`.")
	}
	if current < latest {
		return valdrix.Errorf(valdrix.EUNAVAILABLE, "The database schema is at version %d; version %d is needed. Run `valdrix migrate up`.", current, latest)
	}
	if want := riverLatest(db.dialect); river < want {
		return valdrix.Errorf(valdrix.EUNAVAILABLE, "The job queue's schema is at version %d; version %d is needed. Run `valdrix migrate up`.", river, want)
	}
	return nil
}

// ---- writer serialisation (SQLite allows one writer)

func (db *DB) acquireWrite(ctx context.Context) error {
	if db.lite == nil {
		return nil
	}
	t := time.NewTimer(db.writeWait)
	defer t.Stop()
	select {
	case db.writeSem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return valdrix.Errorf(valdrix.EUNAVAILABLE, "The database is busy; try again.")
	}
}

func (db *DB) releaseWrite() {
	if db.lite != nil {
		<-db.writeSem
	}
}

// ---- error translation

func (db *DB) translate(err error, what string) error {
	if err == nil {
		return nil
	}
	var ve *valdrix.Error
	if errors.As(err, &ve) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows) {
		return valdrix.Wrap(valdrix.ENOTFOUND, err, "%s not found.", what)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return valdrix.Wrap(valdrix.ECONFLICT, err, "%s already exists.", what)
		case "42501":
			if strings.Contains(pgErr.Message, "row-level security") {
				// Writing over a row another tenant owns (an upsert whose key
				// exists in that tenant) is refused by the policy.
				return valdrix.Wrap(valdrix.ECONFLICT, err, "%s already exists.", what)
			}
			return valdrix.Wrap(valdrix.EFORBIDDEN, err, "The database refused the operation.")
		case "23503":
			return valdrix.Wrap(valdrix.EINVALID, err, "%s refers to something that does not exist.", what)
		case "23514", "22P02":
			return valdrix.Wrap(valdrix.EINVALID, err, "%s has an invalid value.", what)
		case "40001", "40P01", "55P03":
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "The database was busy; try again.")
		}
	}
	var liteErr *sqlite3.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqlite3lib.SQLITE_CONSTRAINT_UNIQUE, sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY:
			return valdrix.Wrap(valdrix.ECONFLICT, err, "%s already exists.", what)
		case sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY:
			return valdrix.Wrap(valdrix.EINVALID, err, "%s refers to something that does not exist.", what)
		case sqlite3lib.SQLITE_CONSTRAINT_CHECK:
			return valdrix.Wrap(valdrix.EINVALID, err, "%s has an invalid value.", what)
		case sqlite3lib.SQLITE_BUSY, sqlite3lib.SQLITE_LOCKED:
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "The database was busy; try again.")
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%s: %w", strings.ToLower(what), err)
}

// ParseURLDialect returns the dialect a database URL selects.
func ParseURLDialect(url string) string {
	d, _ := ParseURL(url)
	return d
}
