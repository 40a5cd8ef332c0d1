// Package storetest holds the store's conformance suite, which every store
// method must pass on SQLite and on PostgreSQL, and helpers that open a fresh,
// migrated database per test on either.
//
// PostgreSQL tests use VALDRIX_TEST_PG_DSN (a superuser URL such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable). Without it they
// skip — unless VALDRIX_REQUIRE_PG=1, when they fail, so CI cannot pass by
// skipping. Each test gets its own database, cloned from a template that holds
// the current migrations.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/postgres"
)

// Opener opens a fresh, migrated, empty store for one test.
type Opener func(t testing.TB) *store.DB

// Dialects returns the openers to run a suite on: SQLite always, PostgreSQL
// when configured (see the package comment).
func Dialects() map[string]Opener {
	return map[string]Opener{store.SQLite: OpenSQLite, store.Postgres: OpenPostgres}
}

// failOnUnscoped makes a refused unscoped query fail the test that caused it.
func failOnUnscoped(t testing.TB) func(string) {
	return func(q string) { t.Errorf("query on a tenant table outside any scope: %s", q) }
}

// OpenSQLite opens a migrated SQLite store in a temporary directory.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "valdrix.db")
	cfg := store.Config{URL: "sqlite:" + path, OnUnscopedQuery: failOnUnscoped(t)}
	_, err := store.Migrate(context.Background(), cfg)
	require.NoError(t, err)
	db, err := store.Open(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// PGURLs are the two URLs of a fresh PostgreSQL test database.
type PGURLs struct {
	// Owner is the superuser URL (schema owner; migrations ran as it).
	Owner string
	// App is the URL the application uses; store.Open switches it to the
	// valdrix_app role.
	App string
	// Name is the database name.
	Name string
}

// RequirePG skips the test without a PostgreSQL DSN, or fails it when
// VALDRIX_REQUIRE_PG=1. It returns the DSN.
func RequirePG(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("VALDRIX_TEST_PG_DSN")
	if dsn == "" {
		if os.Getenv("VALDRIX_REQUIRE_PG") == "1" {
			t.Fatal("VALDRIX_REQUIRE_PG=1 but VALDRIX_TEST_PG_DSN is not set: PostgreSQL tests must run")
		}
		t.Skip("PostgreSQL tests skipped: set VALDRIX_TEST_PG_DSN")
	}
	return dsn
}

// NewPGDatabase creates a fresh database with every migration applied and
// drops it when the test ends.
func NewPGDatabase(t testing.TB) PGURLs {
	t.Helper()
	dsn := RequirePG(t)
	ctx := context.Background()
	tmpl, err := template(ctx, dsn)
	require.NoError(t, err)

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "valdrix_t_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	// Serialise clones: CREATE DATABASE … TEMPLATE refuses a busy template.
	_, err = conn.Exec(ctx, "SELECT pg_advisory_lock(72707301)")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
	_, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock(72707301)")
	require.NoError(t, err)
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u := withDatabase(dsn, name)
	return PGURLs{Owner: u, App: u, Name: name}
}

// OpenPostgres opens a store on a fresh PostgreSQL database.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	urls := NewPGDatabase(t)
	db, err := store.Open(context.Background(), store.Config{URL: urls.App, MigrateURL: urls.Owner, MaxConns: 4, OnUnscopedQuery: failOnUnscoped(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

var templates sync.Map // dsn → template name

// template returns the name of a database holding the current migrations,
// creating it once per migration set (under an advisory lock, since test
// binaries of several packages run at once).
func template(ctx context.Context, dsn string) (string, error) {
	if v, ok := templates.Load(dsn); ok {
		return v.(string), nil
	}
	h := sha256.New()
	fsys := postgres.Migrations()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	for _, n := range store.RiverMigrations(store.Postgres) {
		h.Write([]byte(n))
	}
	name := "valdrix_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", dsn, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(72707300)"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(72707300)") //nolint:errcheck // released on close anyway
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		building := name + "_building"
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)"); err != nil {
			return "", err
		}
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+building); err != nil {
			return "", err
		}
		u := withDatabase(dsn, building)
		if _, err := store.Migrate(ctx, store.Config{URL: u}); err != nil {
			return "", err
		}
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
			return "", err
		}
	}
	templates.Store(dsn, name)
	return name, nil
}
