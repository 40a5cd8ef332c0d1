// Package store is Valdrix's persistence seam: one store code path over
// embedded SQLite (the default) and PostgreSQL (multi-tenant production).
// Queries are written once in a portable SQL subset ($N placeholders,
// RETURNING, ON CONFLICT) and run on either database; per-dialect DDL lives in
// the migrations of store/sqlite and store/postgres.
//
// Every query runs in a scope. A tenant scope is a transaction that, on
// PostgreSQL, sets valdrix.tenant_id so forced row-level security admits only
// that tenant's rows; the explicit system scope (valdrix.scope = 'system') is
// for cross-tenant work such as looking up an API key or listing all
// connections for the scheduler. Queries on tenant tables outside both are
// refused, counted in valdrix_db_unscoped_queries_total and logged.
//
// store implements the Store interfaces that modules declare; it imports
// modules for their types and never imports api, cli or app.
package store
