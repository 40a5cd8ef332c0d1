package store

import (
	"context"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// CreateTenant inserts a tenant (system scope).
func (db *DB) CreateTenant(ctx context.Context, t governance.Tenant) error {
	return db.systemWrite(ctx, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", string(t.ID), t.Name, t.CreatedAt)
		return db.translate(err, "Tenant")
	})
}

// GetTenant returns a tenant.
func (db *DB) GetTenant(ctx context.Context, tenant valdrix.TenantID) (governance.Tenant, error) {
	var t governance.Tenant
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		var id string
		err := s.queryRow(ctx, "SELECT id, name, created_at FROM tenants WHERE id = $1", []any{string(tenant)}, &id, &t.Name, &t.CreatedAt)
		t.ID = valdrix.TenantID(id)
		return db.translate(err, "Tenant")
	})
	return t, err
}

// ListTenants lists every tenant, newest first (system scope).
func (db *DB) ListTenants(ctx context.Context, page governance.Page) ([]governance.Tenant, string, error) {
	if err := validCursor(page); err != nil {
		return nil, "", err
	}
	var out []governance.Tenant
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT id, name, created_at FROM tenants WHERE 1 = 1")
		b.pageDesc("id", page)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Tenants")
		}
		defer r.Close()
		for r.Next() {
			var t governance.Tenant
			var id string
			if err := r.Scan(&id, &t.Name, &t.CreatedAt); err != nil {
				return err
			}
			t.ID = valdrix.TenantID(id)
			out = append(out, t)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(t governance.Tenant) string { return string(t.ID) })
	return out, next, nil
}
