package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const apiKeyCols = "id, tenant_id, name, prefix, secret_hash, role, created_by, created_at, expires_at, last_used_at, revoked_at"

func scanAPIKey(r interface{ Scan(...any) error }) (governance.APIKey, error) {
	var k governance.APIKey
	var tenant, role string
	err := r.Scan(&k.ID, &tenant, &k.Name, &k.Prefix, &k.SecretHash, &role, &k.CreatedBy, &k.CreatedAt, &k.ExpiresAt, &k.LastUsedAt, &k.RevokedAt)
	k.TenantID, k.Role = valdrix.TenantID(tenant), valdrix.Role(role)
	return k, err
}

// CreateAPIKey inserts a key.
func (db *DB) CreateAPIKey(ctx context.Context, k governance.APIKey) error {
	return db.tenantWrite(ctx, k.TenantID, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, `INSERT INTO api_keys (id, tenant_id, name, prefix, secret_hash, role, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			k.ID, string(k.TenantID), k.Name, k.Prefix, k.SecretHash, string(k.Role), k.CreatedBy, k.CreatedAt, k.ExpiresAt)
		return db.translate(err, "API key")
	})
}

func (db *DB) oneAPIKey(ctx context.Context, s *scope, where string, args ...any) (governance.APIKey, error) {
	r, err := s.query(ctx, "SELECT "+apiKeyCols+" FROM api_keys WHERE "+where, args...)
	if err != nil {
		return governance.APIKey{}, db.translate(err, "API key")
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return governance.APIKey{}, err
		}
		return governance.APIKey{}, db.translate(sql.ErrNoRows, "API key")
	}
	return scanAPIKey(r)
}

// GetAPIKey returns one of tenant's keys.
func (db *DB) GetAPIKey(ctx context.Context, tenant valdrix.TenantID, id string) (governance.APIKey, error) {
	var k governance.APIKey
	if !valdrix.ValidID(id) {
		return k, db.translate(sql.ErrNoRows, "API key")
	}
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		k, err = db.oneAPIKey(ctx, s, "tenant_id = $1 AND id = $2", string(tenant), id)
		return err
	})
	return k, err
}

// ListAPIKeys lists tenant's keys, newest first.
func (db *DB) ListAPIKeys(ctx context.Context, tenant valdrix.TenantID, page governance.Page) ([]governance.APIKey, string, error) {
	if err := validCursor(page); err != nil {
		return nil, "", err
	}
	var out []governance.APIKey
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+apiKeyCols+" FROM api_keys WHERE tenant_id = $1", string(tenant))
		b.pageDesc("id", page)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "API keys")
		}
		defer r.Close()
		for r.Next() {
			k, err := scanAPIKey(r)
			if err != nil {
				return err
			}
			out = append(out, k)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(k governance.APIKey) string { return k.ID })
	return out, next, nil
}

// RevokeAPIKey marks a key revoked (keeping the first revocation time).
func (db *DB) RevokeAPIKey(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3", at, string(tenant), id)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "API key")
	})
}

// TouchAPIKey records a key's last use.
func (db *DB) TouchAPIKey(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "UPDATE api_keys SET last_used_at = $1 WHERE tenant_id = $2 AND id = $3", at, string(tenant), id)
		return db.translate(err, "API key")
	})
}

// LookupAPIKey finds a key by its lookup prefix. It runs in the system scope
// because the tenant is not known until the key is found.
func (db *DB) LookupAPIKey(ctx context.Context, prefix string) (governance.APIKey, error) {
	var k governance.APIKey
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		var err error
		if k, err = db.oneAPIKey(ctx, s, "prefix = $1", prefix); err != nil {
			return err
		}
		return db.translate(s.queryRow(ctx, "SELECT name FROM tenants WHERE id = $1", []any{string(k.TenantID)}, &k.TenantName), "Tenant")
	})
	return k, err
}
