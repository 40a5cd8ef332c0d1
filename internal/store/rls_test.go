package store_test

import (
	"context"
	"sort"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestPostgresRowLevelSecurity proves the database wall on its own, with raw
// SQL as the application role: no tenant set sees nothing; tenant A neither
// sees nor writes B's rows; the role cannot switch the policies off.
func TestPostgresRowLevelSecurity(t *testing.T) {
	t.Parallel()
	urls := storetest.NewPGDatabase(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: urls.App, MigrateURL: urls.Owner})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })

	// Seed two tenants through the store.
	a := storetest.MustTenant(t, db, "A")
	b := storetest.MustTenant(t, db, "B")
	ua := storetest.MustUser(t, db, "a@example.com")
	ub := storetest.MustUser(t, db, "b@example.com")
	for _, m := range []struct {
		t valdrix.TenantID
		u string
	}{{a.ID, ua.ID}, {b.ID, ub.ID}} {
		require.NoError(t, db.PutMembership(ctx, m.t, m.u, valdrix.RoleOwner, storetest.T0))
		require.NoError(t, db.CreateAPIKey(ctx, governance.APIKey{ID: valdrix.NewID(), TenantID: m.t, Name: "k", Prefix: valdrix.NewID()[:16],
			SecretHash: []byte{1}, Role: valdrix.RoleAdmin, CreatedBy: "s", CreatedAt: storetest.T0}))
		require.NoError(t, db.PutSecret(ctx, governance.Secret{ID: valdrix.NewID(), TenantID: m.t, Purpose: "p", KeyID: "k", Ciphertext: []byte{1}, CreatedAt: storetest.T0, UpdatedAt: storetest.T0}))
		_, err := db.AppendAudit(ctx, storetest.AuditEvent(m.t, "x", storetest.T0))
		require.NoError(t, err)
	}

	nov := valdrix.NewMonth(2026, 11)
	for _, tn := range []valdrix.TenantID{a.ID, b.ID} {
		imp := valdrix.NewID()
		require.NoError(t, db.InsertLedgerRows(ctx, tn, "src", imp, []ingestion.LedgerRow{storetest.LedgerRow(nov.Start(), "svc", "r", "", 1)}))
		_, err := db.SwapLedgerPeriod(ctx, tn, "src", nov, imp, storetest.T0)
		require.NoError(t, err)
	}

	owner, err := pgx.Connect(ctx, urls.Owner)
	require.NoError(t, err)
	t.Cleanup(func() { _ = owner.Close(ctx) })

	t.Run("every tenant table forces row-level security", func(t *testing.T) {
		rows, err := owner.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relrowsecurity AND c.relforcerowsecurity
			AND c.relname !~ '^ledger_p[0-9]+$'`)
		require.NoError(t, err)
		forced, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		rows, err = owner.Query(ctx, `SELECT DISTINCT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'tenant_id' AND table_name <> 'sessions'
			AND table_name !~ '^ledger_p[0-9]+$'`)
		require.NoError(t, err)
		withTenant, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		withTenant = append(withTenant, "tenants")
		want := store.TenantTables()
		sort.Strings(forced)
		sort.Strings(withTenant)
		sort.Strings(want)
		require.Equal(t, want, forced, "the store's tenant tables are exactly the forced-RLS tables")
		require.Equal(t, want, withTenant, "every table with a tenant_id (sessions excepted: global, looked up by token) is a tenant table")

		var partitions, forcedPartitions int
		require.NoError(t, owner.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE relrowsecurity AND relforcerowsecurity)
			FROM pg_class WHERE relname ~ '^ledger_p[0-9]+$'`).Scan(&partitions, &forcedPartitions))
		require.Equal(t, 1, partitions, "the ledger made its billing period's partition")
		require.Equal(t, partitions, forcedPartitions, "partitions force row-level security too")
	})

	app, err := pgx.Connect(ctx, urls.App)
	require.NoError(t, err)
	t.Cleanup(func() { _ = app.Close(ctx) })
	_, err = app.Exec(ctx, "SET ROLE valdrix_app")
	require.NoError(t, err)

	count := func(t *testing.T, tx pgx.Tx, table string) int {
		t.Helper()
		var n int
		require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n))
		return n
	}

	t.Run("no tenant set sees no rows", func(t *testing.T) {
		tx, err := app.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck
		for _, table := range append(store.TenantTables(), "ledger_p"+strconv.Itoa(int(nov))) {
			require.Zero(t, count(t, tx, table), table)
		}
	})

	t.Run("tenant A sees only A and cannot write B", func(t *testing.T) {
		tx, err := app.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck
		_, err = tx.Exec(ctx, "SELECT set_config('valdrix.tenant_id', $1, true)", string(a.ID))
		require.NoError(t, err)
		for _, table := range []string{"memberships", "api_keys", "secrets", "audit_log", "audit_chains", "ledger", "ledger_periods", "ledger_p" + strconv.Itoa(int(nov))} {
			var foreign int
			require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id <> $1", string(a.ID)).Scan(&foreign))
			require.Zero(t, foreign, table)
			require.Positive(t, count(t, tx, table), table)
		}
		var tenants int
		require.NoError(t, tx.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&tenants))
		require.Equal(t, 1, tenants)

		tag, err := tx.Exec(ctx, "UPDATE api_keys SET name = 'pwned' WHERE tenant_id = $1", string(b.ID))
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected(), "B's rows are not updatable")
		tag, err = tx.Exec(ctx, "DELETE FROM api_keys WHERE tenant_id = $1", string(b.ID))
		require.NoError(t, err)
		require.Zero(t, tag.RowsAffected(), "B's rows are not deletable")
		_, err = tx.Exec(ctx, "SAVEPOINT s")
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, 'owner', now())", string(b.ID), ua.ID)
		require.ErrorContains(t, err, "row-level security", "inserting into B is refused")
	})

	t.Run("the app role cannot disable the policies or rewrite the audit log", func(t *testing.T) {
		for _, stmt := range []string{
			"ALTER TABLE memberships DISABLE ROW LEVEL SECURITY",
			"ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY",
			"DROP POLICY tenant_isolation ON api_keys",
		} {
			_, err := app.Exec(ctx, stmt)
			require.ErrorContains(t, err, "must be owner", stmt)
		}
		var super, bypass bool
		require.NoError(t, app.QueryRow(ctx, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").Scan(&super, &bypass))
		require.False(t, super)
		require.False(t, bypass)
		tx, err := app.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck
		_, err = tx.Exec(ctx, "SELECT set_config('valdrix.tenant_id', $1, true)", string(a.ID))
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "UPDATE audit_log SET action = 'edited'")
		require.ErrorContains(t, err, "permission denied")
	})
}
