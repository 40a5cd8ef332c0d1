package store_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
)

// TestUnscopedQueriesAreRefused checks the tripwire: a query on a tenant table
// outside any scope is refused, counted, logged, and reported to the hook that
// tests use to fail.
func TestUnscopedQueriesAreRefused(t *testing.T) {
	t.Parallel()
	urls := map[string]func(t *testing.T) store.Config{
		store.SQLite: func(t *testing.T) store.Config {
			return store.Config{URL: "sqlite:" + filepath.Join(t.TempDir(), "v.db")}
		},
		store.Postgres: func(t *testing.T) store.Config {
			u := storetest.NewPGDatabase(t)
			return store.Config{URL: u.App, MigrateURL: u.Owner}
		},
	}
	for name, mk := range urls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := mk(t)
			var logs bytes.Buffer
			var mu sync.Mutex
			var caught []string
			reg := prometheus.NewRegistry()
			cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
			cfg.Registerer = reg
			cfg.OnUnscopedQuery = func(q string) { mu.Lock(); caught = append(caught, q); mu.Unlock() }
			_, err := store.Migrate(ctx, cfg)
			require.NoError(t, err)
			db, err := store.Open(ctx, cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })

			tests := []struct {
				name    string
				query   string
				refused bool
			}{
				{name: "tenant table", query: "SELECT id FROM api_keys", refused: true},
				{name: "tenant table in a join", query: "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id", refused: true},
				{name: "quoted identifier", query: `SELECT 1 FROM "secrets"`, refused: true},
				{name: "global table", query: "SELECT id FROM users"},
				{name: "name inside a string literal", query: "SELECT 'api_keys' AS t"},
				{name: "name inside a comment", query: "SELECT 1 -- from audit_log\n"},
			}
			refused := 0
			for _, tt := range tests {
				err := store.QueryUnscopedForTest(ctx, db, tt.query)
				if tt.refused {
					refused++
					require.ErrorIs(t, err, store.ErrUnscoped, tt.name)
				} else {
					require.NoError(t, err, tt.name)
				}
			}
			require.Len(t, caught, refused)
			require.Equal(t, float64(refused), testutil.ToFloat64(mustCounter(t, reg)))
			require.Contains(t, logs.String(), "refused unscoped query on a tenant table")
		})
	}
}

func mustCounter(t *testing.T, reg *prometheus.Registry) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "valdrix_db_unscoped_queries_total" {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "x"}, func() float64 { return mf.GetMetric()[0].GetCounter().GetValue() })
		}
	}
	t.Fatal("valdrix_db_unscoped_queries_total is not registered")
	return nil
}
