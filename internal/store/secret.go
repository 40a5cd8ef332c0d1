package store

import (
	"context"
	"database/sql"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// PutSecret inserts or replaces a secret's ciphertext.
func (db *DB) PutSecret(ctx context.Context, sec governance.Secret) error {
	return db.tenantWrite(ctx, sec.TenantID, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, `INSERT INTO secrets (id, tenant_id, purpose, key_id, ciphertext, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at
			WHERE secrets.tenant_id = excluded.tenant_id`,
			sec.ID, string(sec.TenantID), sec.Purpose, sec.KeyID, sec.Ciphertext, sec.CreatedAt, sec.UpdatedAt)
		if err == nil && n == 0 {
			return valdrix.Errorf(valdrix.ECONFLICT, "Secret %s belongs to another tenant.", sec.ID)
		}
		return db.translate(err, "Secret")
	})
}

const secretCols = "id, tenant_id, purpose, key_id, ciphertext, created_at, updated_at"

func scanSecret(r interface{ Scan(...any) error }) (governance.Secret, error) {
	var sec governance.Secret
	var t string
	err := r.Scan(&sec.ID, &t, &sec.Purpose, &sec.KeyID, &sec.Ciphertext, &sec.CreatedAt, &sec.UpdatedAt)
	sec.TenantID = valdrix.TenantID(t)
	return sec, err
}

// GetSecret returns one of tenant's secrets.
func (db *DB) GetSecret(ctx context.Context, tenant valdrix.TenantID, id string) (governance.Secret, error) {
	var sec governance.Secret
	if !valdrix.ValidID(id) {
		return sec, db.translate(sql.ErrNoRows, "Secret")
	}
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT "+secretCols+" FROM secrets WHERE tenant_id = $1 AND id = $2", string(tenant), id)
		if err != nil {
			return db.translate(err, "Secret")
		}
		defer r.Close()
		if !r.Next() {
			if err := r.Err(); err != nil {
				return err
			}
			return db.translate(sql.ErrNoRows, "Secret")
		}
		sec, err = scanSecret(r)
		return err
	})
	return sec, err
}

// ListAllSecrets returns every tenant's secrets, for key rotation (system scope).
func (db *DB) ListAllSecrets(ctx context.Context) ([]governance.Secret, error) {
	var out []governance.Secret
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT "+secretCols+" FROM secrets ORDER BY id")
		if err != nil {
			return db.translate(err, "Secrets")
		}
		defer r.Close()
		for r.Next() {
			sec, err := scanSecret(r)
			if err != nil {
				return err
			}
			out = append(out, sec)
		}
		return r.Err()
	})
	return out, err
}

// DeleteSecret removes one of tenant's secrets.
func (db *DB) DeleteSecret(ctx context.Context, tenant valdrix.TenantID, id string) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "DELETE FROM secrets WHERE tenant_id = $1 AND id = $2", string(tenant), id)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Secret")
	})
}

// compile-time check that the store satisfies governance.
var _ governance.Store = (*DB)(nil)
