package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
)

// TestRiverMigrations checks that migrate applies the job queue's schema
// with Valdrix's, lists it in the status, that Ready waits for it, and that
// the application role (valdrix_app on PostgreSQL) may use River's tables.
func TestRiverMigrations(t *testing.T) {
	t.Parallel()
	configs := map[string]func(t *testing.T) store.Config{
		store.SQLite: func(t *testing.T) store.Config {
			return store.Config{URL: "sqlite:" + filepath.Join(t.TempDir(), "v.db")}
		},
		store.Postgres: func(t *testing.T) store.Config {
			u := storetest.NewPGDatabase(t)
			return store.Config{URL: u.App, MigrateURL: u.Owner}
		},
	}
	for dialect, config := range configs {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := config(t)
			if dialect == store.SQLite {
				db, err := store.Open(ctx, cfg)
				require.NoError(t, err)
				require.Error(t, db.Ready(ctx), "not ready before migrating")
				require.NoError(t, db.Close())
				applied, err := store.Migrate(ctx, cfg)
				require.NoError(t, err)
				var river int
				for _, m := range applied {
					if m.Source == store.SourceRiver {
						river++
					}
				}
				require.Len(t, store.RiverMigrations(dialect), river, "every River migration applied on a fresh database")
			}
			again, err := store.Migrate(ctx, cfg)
			require.NoError(t, err)
			require.Empty(t, again, "a second run applies nothing")

			st, err := store.Migrations(ctx, cfg)
			require.NoError(t, err)
			var names []string
			for _, m := range st {
				require.True(t, m.Applied, "%s %d %s", m.Source, m.Version, m.Name)
				if m.Source == store.SourceRiver {
					names = append(names, m.Name)
				}
			}
			require.Len(t, names, len(store.RiverMigrations(dialect)))

			db, err := store.Open(ctx, cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			require.NoError(t, db.Ready(ctx))
			for _, table := range []string{"river_job", "river_leader", "river_queue", "river_migration"} {
				var n int
				q := "SELECT count(*) FROM " + table
				if db.Pool() != nil {
					err = db.Pool().QueryRow(ctx, q).Scan(&n)
				} else {
					err = db.SQLite().Read.QueryRowContext(ctx, q).Scan(&n)
				}
				require.NoError(t, err, "the application may read %s", table)
			}
		})
	}
}
