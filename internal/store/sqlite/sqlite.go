// Package sqlite opens Valdrix's embedded SQLite database (modernc.org/sqlite,
// pure Go) and adapts database/sql to the store's query interface. It holds
// the SQLite migrations. It must not import modules; only package store uses it.
//
// SQLite allows one writer at a time, so writes go through a pool of exactly
// one connection (transactions begin IMMEDIATE) and reads through a separate
// read-only pool, which WAL lets run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed migration/*.sql
var migrations embed.FS

// Migrations returns the SQLite migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// DB is an open SQLite database: one writer connection and a read pool.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
	Path  string
}

// Open opens (creating if needed) the database file at path. readers bounds
// the read pool.
func Open(ctx context.Context, path string, readers int) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("database path %s: %w", path, err)
	}
	path = abs
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database directory %s: %w", dir, err)
		}
	}
	// Create the file owner-only before SQLite creates it world-readable.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		_ = f.Close()
	}
	pragmas := "_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
	u := (&url.URL{Scheme: "file", Path: path}).String()
	// The one writer gets a 64 MiB page cache (SQLite's default is 2 MiB):
	// an import's rows land all over the ledger's indexes (resource ids in
	// no order), and with the default cache nearly every index page is read
	// back and rewritten for each batch. Importing 10M CUR lines (600k
	// ledger rows) took 39 s with it, 29 s with this (docs/ingestion.md).
	w, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=cache_size(-65536)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", u+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	readers = max(readers, 1)
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	r.SetConnMaxIdleTime(0)
	r.SetConnMaxLifetime(0)
	return &DB{Write: w, Read: r, Path: path}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.Read.Close(), db.Write.Close())
}

// Querier runs statements on a *sql.Tx (or *sql.DB) with the store's
// interface: $N placeholders, affected-row counts, and scanning that turns
// SQLite's text timestamps into time.Time.
type Querier struct {
	q interface {
		ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	}
}

// NewQuerier wraps a *sql.Tx, *sql.Conn or *sql.DB.
func NewQuerier(q interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) Querier {
	return Querier{q: q}
}

// Exec runs a statement and returns the number of affected rows.
func (q Querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.q.ExecContext(ctx, query, convertArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Stmt is a statement prepared once and run many times (a transaction's
// batches of one multi-row INSERT: SQLite would parse it again each time).
type Stmt struct{ st *sql.Stmt }

// Prepare prepares query on the querier's transaction or connection.
func (q Querier) Prepare(ctx context.Context, query string) (*Stmt, error) {
	p, ok := q.q.(interface {
		PrepareContext(ctx context.Context, query string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, errors.New("sqlite: this querier cannot prepare statements")
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &Stmt{st: st}, nil
}

// Exec runs the statement and returns the number of affected rows.
func (s *Stmt) Exec(ctx context.Context, args ...any) (int64, error) {
	res, err := s.st.ExecContext(ctx, convertArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Close releases the statement.
func (s *Stmt) Close() error { return s.st.Close() }

// Query runs a query.
func (q Querier) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	rows, err := q.q.QueryContext(ctx, query, convertArgs(args)...)
	if err != nil {
		return nil, err
	}
	return &Rows{rows: rows}, nil
}

// Rows iterates query results.
type Rows struct{ rows *sql.Rows }

// Next advances to the next row.
func (r *Rows) Next() bool { return r.rows.Next() }

// Err returns the iteration error.
func (r *Rows) Err() error { return r.rows.Err() }

// Close closes the rows.
func (r *Rows) Close() { _ = r.rows.Close() }

// Scan copies the current row into dest. Destinations of type *time.Time
// and **time.Time accept SQLite's text timestamps.
func (r *Rows) Scan(dest ...any) error {
	var args []any
	var fix []func() error
	for i, d := range dest {
		switch d.(type) {
		case *time.Time, **time.Time:
			if args == nil {
				args = slices.Clone(dest)
			}
			raw := new(any)
			args[i] = raw
			fix = append(fix, func() error {
				if err := assignTime(d, *raw); err != nil {
					return fmt.Errorf("column %d: %w", i+1, err)
				}
				return nil
			})
		}
	}
	if args == nil {
		args = dest
	}
	if err := r.rows.Scan(args...); err != nil {
		return err
	}
	for _, f := range fix {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

func assignTime(dest, raw any) error {
	t, ok, err := toTime(raw)
	if err != nil {
		return err
	}
	switch p := dest.(type) {
	case *time.Time:
		if !ok {
			return errors.New("NULL into time.Time")
		}
		*p = t
	case **time.Time:
		if !ok {
			*p = nil
		} else {
			*p = &t
		}
	}
	return nil
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func toTime(v any) (time.Time, bool, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return t.UTC(), true, nil
	case string:
		return parseTime(t)
	case []byte:
		return parseTime(string(t))
	case int64:
		return time.Unix(t, 0).UTC(), true, nil
	}
	return time.Time{}, false, fmt.Errorf("cannot scan %T into time.Time", v)
}

func parseTime(s string) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("cannot parse %q as a time", s)
}

// convertArgs writes times in UTC, so that text order is time order, and at
// microsecond precision, as PostgreSQL keeps them.
func convertArgs(args []any) []any {
	for i, a := range args {
		switch t := a.(type) {
		case time.Time:
			args[i] = t.UTC().Truncate(time.Microsecond)
		case *time.Time:
			if t != nil {
				args[i] = t.UTC().Truncate(time.Microsecond)
			} else {
				args[i] = nil
			}
		}
	}
	return args
}
