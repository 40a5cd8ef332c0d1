package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/valdrix/valdrix/internal/store/sqlite"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// tenantTables are the tables that hold tenant data. On PostgreSQL each has
// forced row-level security (a test checks the list against the schema);
// outside a tenant or system scope they are refused.
var tenantTables = map[string]bool{
	"tenants": true, "memberships": true, "api_keys": true, "invitations": true,
	"audit_log": true, "audit_chains": true, "secrets": true,
	"ledger_imports": true, "ledger_periods": true, "ledger": true, "ledger_default": true, "reconciliation_alerts": true,
	"connections": true, "scans": true, "resources": true,
	"findings": true, "finding_events": true, "detection_runs": true, "rule_overrides": true, "api_budget_usage": true,
}

// TenantTables lists the tables that hold tenant data.
func TenantTables() []string {
	out := make([]string, 0, len(tenantTables))
	for t := range tenantTables {
		out = append(out, t)
	}
	return out
}

type scopeKind int

const (
	scopeGlobal scopeKind = iota // no tenant: only global tables (users, sessions)
	scopeTenant                  // one tenant's rows
	scopeSystem                  // explicit cross-tenant scope
)

func (k scopeKind) String() string {
	return [...]string{"global", "tenant", "system"}[k]
}

// rows is what a query returns on either database.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Close()
	Err() error
}

// querier runs statements inside a scope's transaction.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	query(ctx context.Context, query string, args ...any) (rows, error)
}

type pgQuerier struct{ tx pgx.Tx }

func (q pgQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.tx.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (q pgQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	return q.tx.Query(ctx, query, args...)
}

type liteQuerier struct{ q sqlite.Querier }

func (q liteQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	return q.q.Exec(ctx, query, args...)
}

func (q liteQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// scope is an open transaction and what it may see.
type scope struct {
	db       *DB
	kind     scopeKind
	tenant   valdrix.TenantID
	readOnly bool
	q        querier
	pgTx     pgx.Tx  // the transaction on PostgreSQL
	liteTx   *sql.Tx // the transaction on SQLite
}

type scopeKey struct{}

func scopeFrom(ctx context.Context) *scope {
	s, _ := ctx.Value(scopeKey{}).(*scope)
	return s
}

// exec runs a statement in the scope, refusing unscoped tenant-table access.
func (s *scope) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if err := s.check(ctx, query); err != nil {
		return 0, err
	}
	return s.q.exec(ctx, query, args...)
}

func (s *scope) query(ctx context.Context, query string, args ...any) (rows, error) {
	if err := s.check(ctx, query); err != nil {
		return nil, err
	}
	return s.q.query(ctx, query, args...)
}

// queryRow runs a query expected to return one row and scans it.
func (s *scope) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	r, err := s.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := r.Scan(dest...); err != nil {
		return err
	}
	return r.Err()
}

// ErrUnscoped is returned for a query on a tenant table outside any tenant or
// system scope.
var ErrUnscoped = errors.New("query on a tenant table outside a tenant or system scope")

func (s *scope) check(ctx context.Context, query string) error {
	if s.kind != scopeGlobal {
		return nil
	}
	table := s.db.tenantTableIn(query)
	if table == "" {
		return nil
	}
	s.db.unscoped.Inc()
	s.db.log.ErrorContext(ctx, "refused unscoped query on a tenant table", "table", table, "query", query)
	if s.db.onUnscoped != nil {
		s.db.onUnscoped(query)
	}
	return valdrix.Wrap(valdrix.EINTERNAL, fmt.Errorf("%w: table %s", ErrUnscoped, table), "Internal data-access error.")
}

// tenantTableIn returns the first tenant table that query names, or "".
// It tokenises identifiers (string literals and comments are skipped).
func (db *DB) tenantTableIn(query string) string {
	if v, ok := db.tableCache.Load(query); ok {
		return v.(string)
	}
	found := ""
	for _, tok := range identifiers(query) {
		if tenantTables[tok] {
			found = tok
			break
		}
	}
	db.tableCache.Store(query, found)
	return found
}

func identifiers(q string) []string {
	var out []string
	q = strings.ToLower(q)
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'':
			j := i + 1
			for j < len(q) && !(q[j] == '\'' && (j+1 >= len(q) || q[j+1] != '\'')) {
				if q[j] == '\'' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '"':
			j := strings.IndexByte(q[i+1:], '"')
			if j < 0 {
				return append(out, q[i+1:])
			}
			out = append(out, q[i+1:i+1+j])
			i += j + 2
		case c == '_' || c >= 'a' && c <= 'z':
			j := i
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= '0' && q[j] <= '9') {
				j++
			}
			out = append(out, q[i:j])
			i = j
		default:
			i++
		}
	}
	return out
}

// run opens a transaction of the given scope, puts it in ctx and calls fn.
// A call inside an open scope joins it when compatible.
func (db *DB) run(ctx context.Context, kind scopeKind, tenant valdrix.TenantID, readOnly bool, fn func(ctx context.Context, s *scope) error) error {
	if cur := scopeFrom(ctx); cur != nil {
		if err := cur.admits(kind, tenant, readOnly); err != nil {
			return err
		}
		return fn(ctx, cur)
	}
	if kind == scopeTenant && !valdrix.ValidID(string(tenant)) {
		return valdrix.FieldError("tenant", "%q is not a tenant id", tenant)
	}
	s := &scope{db: db, kind: kind, tenant: tenant, readOnly: readOnly}
	var err error
	if db.pg != nil {
		err = db.runPG(ctx, s, fn)
	} else {
		err = db.runLite(ctx, s, fn)
	}
	return err
}

func (s *scope) admits(kind scopeKind, tenant valdrix.TenantID, readOnly bool) error {
	if !readOnly && s.readOnly {
		return valdrix.Wrap(valdrix.EINTERNAL, errors.New("write inside a read-only scope"), "Internal data-access error.")
	}
	switch {
	case kind == scopeGlobal:
		return nil // global tables are visible in every scope
	case s.kind == scopeSystem:
		return nil
	case kind == scopeSystem:
		return valdrix.Wrap(valdrix.EINTERNAL, fmt.Errorf("system call inside a %s scope", s.kind), "Internal data-access error.")
	case s.kind == scopeTenant && s.tenant == tenant:
		return nil
	}
	return valdrix.Wrap(valdrix.EINTERNAL, fmt.Errorf("tenant %s call inside a %s scope for %q", tenant, s.kind, s.tenant), "Internal data-access error.")
}

func (db *DB) runPG(ctx context.Context, s *scope, fn func(ctx context.Context, s *scope) error) error {
	opts := pgx.TxOptions{}
	if s.readOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	tx, err := db.pg.BeginTx(ctx, opts)
	if err != nil {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "The database is not reachable.")
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	switch s.kind {
	case scopeTenant:
		_, err = tx.Exec(ctx, "SELECT set_config('valdrix.tenant_id', $1, true), set_config('valdrix.scope', 'tenant', true)", string(s.tenant))
	case scopeSystem:
		_, err = tx.Exec(ctx, "SELECT set_config('valdrix.tenant_id', '', true), set_config('valdrix.scope', 'system', true)")
	}
	if err != nil {
		return fmt.Errorf("set scope: %w", err)
	}
	s.q, s.pgTx = pgQuerier{tx: tx}, tx
	if err := fn(context.WithValue(ctx, scopeKey{}, s), s); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return db.translate(err, "Transaction")
	}
	return nil
}

func (db *DB) runLite(ctx context.Context, s *scope, fn func(ctx context.Context, s *scope) error) error {
	pool := db.lite.Read
	if !s.readOnly {
		if err := db.acquireWrite(ctx); err != nil {
			return err
		}
		defer db.releaseWrite()
		pool = db.lite.Write
	}
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return db.translate(err, "Transaction")
	}
	defer tx.Rollback() //nolint:errcheck // no-op after commit
	s.q, s.liteTx = liteQuerier{q: sqlite.NewQuerier(tx)}, tx
	if err := fn(context.WithValue(ctx, scopeKey{}, s), s); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return db.translate(err, "Transaction")
	}
	return nil
}

// Atomic runs fn in one read-write transaction scoped to tenant. Store calls
// made with the context passed to fn join the transaction.
func (db *DB) Atomic(ctx context.Context, tenant valdrix.TenantID, fn func(ctx context.Context) error) error {
	return db.run(ctx, scopeTenant, tenant, false, func(ctx context.Context, _ *scope) error { return fn(ctx) })
}

// Tx returns the transaction of the read-write scope that ctx carries — a
// pgx.Tx on PostgreSQL, a *sql.Tx on SQLite — so that work outside the store
// (the job runtime enqueuing a job) can join it and commit or roll back with
// the scope's writes. ok is false outside a scope of db or in a read-only one.
// On SQLite the caller must use this transaction and never the pool while it
// is open: the single writer connection is the transaction's.
func (db *DB) Tx(ctx context.Context) (pg pgx.Tx, lite *sql.Tx, ok bool) {
	s := scopeFrom(ctx)
	if s == nil || s.db != db || s.readOnly {
		return nil, nil, false
	}
	return s.pgTx, s.liteTx, true
}

// System runs fn in one read-write transaction in the explicit cross-tenant
// system scope. Use it only for work that must span tenants.
func (db *DB) System(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.run(ctx, scopeSystem, "", false, func(ctx context.Context, _ *scope) error { return fn(ctx) })
}

// tenantRead runs fn in tenant's scope, read-only unless joined.
func (db *DB) tenantRead(ctx context.Context, tenant valdrix.TenantID, fn func(ctx context.Context, s *scope) error) error {
	return db.run(ctx, scopeTenant, tenant, true, fn)
}

func (db *DB) tenantWrite(ctx context.Context, tenant valdrix.TenantID, fn func(ctx context.Context, s *scope) error) error {
	return db.run(ctx, scopeTenant, tenant, false, fn)
}

func (db *DB) systemRead(ctx context.Context, fn func(ctx context.Context, s *scope) error) error {
	return db.run(ctx, scopeSystem, "", true, fn)
}

func (db *DB) systemWrite(ctx context.Context, fn func(ctx context.Context, s *scope) error) error {
	return db.run(ctx, scopeSystem, "", false, fn)
}

func (db *DB) globalRead(ctx context.Context, fn func(ctx context.Context, s *scope) error) error {
	return db.run(ctx, scopeGlobal, "", true, fn)
}

func (db *DB) globalWrite(ctx context.Context, fn func(ctx context.Context, s *scope) error) error {
	return db.run(ctx, scopeGlobal, "", false, fn)
}
