package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/valdrix/valdrix/internal/jobs"
)

// The job queue (River, see internal/jobs) keeps its tables in the same
// database. Its migrations ship with the River driver and run after
// Valdrix's own, in the same `valdrix migrate up` and auto-migrate path, as
// the schema owner: the default privileges granted by the first migration
// then give valdrix_app its rights on River's tables.

// riverMigrateLock is the advisory-lock key that serialises River's
// migrations between processes on PostgreSQL ("valdrix river" in ASCII).
const riverMigrateLock = 0x7664_7872_6976_6572

// riverMigrator is what Migrate needs of rivermigrate.Migrator on either
// driver.
type riverMigrator interface {
	Migrate(ctx context.Context, direction rivermigrate.Direction, opts *rivermigrate.MigrateOpts) (*rivermigrate.MigrateResult, error)
	ExistingVersions(ctx context.Context) ([]rivermigrate.Migration, error)
	AllVersions() []rivermigrate.Migration
}

func newRiverMigrator(dialect string, pool *pgxpool.Pool, lite *sql.DB, log *slog.Logger) (riverMigrator, error) {
	// River's migrator logs "No migrations to apply" at info on every start.
	cfg := &rivermigrate.Config{Logger: jobs.RiverLogger(log)}
	if dialect == Postgres {
		m, err := rivermigrate.New(riverpgxv5.New(pool), cfg)
		if err != nil {
			return nil, fmt.Errorf("job queue migrations: %w", err)
		}
		return m, nil
	}
	m, err := rivermigrate.New(riversqlite.New(lite), cfg)
	if err != nil {
		return nil, fmt.Errorf("job queue migrations: %w", err)
	}
	return m, nil
}

func migrateRiver(ctx context.Context, m riverMigrator) ([]MigrationStatus, error) {
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate the job queue: %w", err)
	}
	out := make([]MigrationStatus, 0, len(res.Versions))
	for _, v := range res.Versions {
		out = append(out, MigrationStatus{Source: SourceRiver, Version: int64(v.Version), Name: v.Name, Applied: true})
	}
	return out, nil
}

func riverStatus(ctx context.Context, m riverMigrator) ([]MigrationStatus, error) {
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("job queue migration status: %w", err)
	}
	applied := map[int]bool{}
	for _, e := range existing {
		applied[e.Version] = true
	}
	all := m.AllVersions()
	out := make([]MigrationStatus, 0, len(all))
	for _, v := range all {
		out = append(out, MigrationStatus{Source: SourceRiver, Version: int64(v.Version), Name: v.Name, Applied: applied[v.Version]})
	}
	return out, nil
}

// RiverMigrations names River's migrations for dialect, in order ("001
// create river migration", …). Test helpers hash them with Valdrix's to
// know when a template database is stale.
func RiverMigrations(dialect string) []string {
	m, err := newRiverMigrator(dialect, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil
	}
	var out []string
	for _, v := range m.AllVersions() {
		out = append(out, fmt.Sprintf("%03d %s", v.Version, v.Name))
	}
	return out
}

// riverLatest is the newest River migration version for dialect.
func riverLatest(dialect string) int64 {
	m, err := newRiverMigrator(dialect, nil, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0
	}
	versions := m.AllVersions()
	if len(versions) == 0 {
		return 0
	}
	return int64(slices.MaxFunc(versions, func(a, b rivermigrate.Migration) int { return a.Version - b.Version }).Version)
}

// pgSessionLock takes a session-level advisory lock on a connection of pool
// until unlock is called.
func pgSessionLock(ctx context.Context, pool *pgxpool.Pool, key int64) (func(), error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		conn.Release()
		return nil, err
	}
	return func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)
		conn.Release()
	}, nil
}
