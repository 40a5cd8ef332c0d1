// Package postgres opens Valdrix's PostgreSQL database with pgx and holds the
// PostgreSQL migrations, which create the application role and the row-level
// security policies. It must not import modules; only package store uses it.
//
// Two connections matter: migrations run as the schema owner; the application
// runs as AppRole, a role without BYPASSRLS that owns nothing, so the forced
// row-level security policies apply to every query it makes.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AppRole is the role the application runs as. Migrations create it.
const AppRole = "valdrix_app"

//go:embed migration/*.sql
var migrations embed.FS

// Migrations returns the PostgreSQL migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return sub
}

// ErrPrivilegedRole is returned when the application connection would run
// with a role that bypasses row-level security.
var ErrPrivilegedRole = errors.New("the application role bypasses row-level security")

// OpenApp opens the application pool. Every connection switches to AppRole
// (the login role must be AppRole or a member of it) and is checked not to
// bypass row-level security.
func OpenApp(ctx context.Context, url string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		useUTC(c)
		if _, err := c.Exec(ctx, "SET ROLE "+AppRole); err != nil {
			return fmt.Errorf("switch to role %s (run `valdrix migrate up` with the owner's URL first, and grant %s to the login role): %w", AppRole, AppRole, err)
		}
		var super, bypass bool
		if err := c.QueryRow(ctx, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").Scan(&super, &bypass); err != nil {
			return fmt.Errorf("check application role: %w", err)
		}
		if super || bypass {
			return ErrPrivilegedRole
		}
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	return pool, nil
}

// OpenOwner opens a pool as the login role itself (the schema owner), for
// migrations and administrative checks only.
func OpenOwner(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse migration database url: %w", err)
	}
	cfg.MaxConns = 3 // goose, River's migrator and the advisory lock that serialises it
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		useUTC(c)
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	return pool, nil
}

// useUTC makes timestamptz values scan in UTC, as the store writes them.
func useUTC(c *pgx.Conn) {
	c.TypeMap().RegisterType(&pgtype.Type{
		Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
}
