package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// PutMembership gives a user a role in tenant, or changes it.
func (db *DB) PutMembership(ctx context.Context, tenant valdrix.TenantID, userID string, role valdrix.Role, at time.Time) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, `INSERT INTO memberships (tenant_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role`, string(tenant), userID, string(role), at)
		return db.translate(err, "Membership")
	})
}

const memberSelect = `SELECT m.tenant_id, m.user_id, u.email, u.name, m.role, u.password_hash IS NOT NULL, m.created_at
	FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.tenant_id = $1`

func scanMember(r interface{ Scan(...any) error }) (governance.Member, error) {
	var m governance.Member
	var tenant, role string
	err := r.Scan(&tenant, &m.UserID, &m.Email, &m.Name, &role, &m.HasPassword, &m.CreatedAt)
	m.TenantID, m.Role = valdrix.TenantID(tenant), valdrix.Role(role)
	return m, err
}

// GetMember returns one member of tenant.
func (db *DB) GetMember(ctx context.Context, tenant valdrix.TenantID, userID string) (governance.Member, error) {
	var m governance.Member
	if !valdrix.ValidID(userID) {
		return m, db.translate(sql.ErrNoRows, "Member")
	}
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, memberSelect+" AND m.user_id = $2", string(tenant), userID)
		if err != nil {
			return db.translate(err, "Member")
		}
		defer r.Close()
		if !r.Next() {
			if err := r.Err(); err != nil {
				return err
			}
			return db.translate(sql.ErrNoRows, "Member")
		}
		m, err = scanMember(r)
		return err
	})
	return m, err
}

// ListMembers lists tenant's members, newest user first.
func (db *DB) ListMembers(ctx context.Context, tenant valdrix.TenantID, page governance.Page) ([]governance.Member, string, error) {
	if err := validCursor(page); err != nil {
		return nil, "", err
	}
	var out []governance.Member
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL(memberSelect, string(tenant))
		b.pageDesc("m.user_id", page)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Members")
		}
		defer r.Close()
		for r.Next() {
			m, err := scanMember(r)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(m governance.Member) string { return m.UserID })
	return out, next, nil
}

// DeleteMembership removes a user from tenant.
func (db *DB) DeleteMembership(ctx context.Context, tenant valdrix.TenantID, userID string) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2", string(tenant), userID)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Member")
	})
}

// CountOwners counts tenant's owners.
func (db *DB) CountOwners(ctx context.Context, tenant valdrix.TenantID) (int, error) {
	var n int
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		return db.translate(s.queryRow(ctx, "SELECT COUNT(*) FROM memberships WHERE tenant_id = $1 AND role = 'owner'", []any{string(tenant)}, &n), "Members")
	})
	return n, err
}

// MembershipsOfUser lists every tenant a user belongs to (system scope: it
// spans tenants).
func (db *DB) MembershipsOfUser(ctx context.Context, userID string) ([]governance.Membership, error) {
	var out []governance.Membership
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT m.tenant_id, t.name, m.role FROM memberships m JOIN tenants t ON t.id = m.tenant_id
			WHERE m.user_id = $1 ORDER BY t.name, m.tenant_id`, userID)
		if err != nil {
			return db.translate(err, "Memberships")
		}
		defer r.Close()
		for r.Next() {
			var m governance.Membership
			var tenant, role string
			if err := r.Scan(&tenant, &m.TenantName, &role); err != nil {
				return err
			}
			m.TenantID, m.Role = valdrix.TenantID(tenant), valdrix.Role(role)
			out = append(out, m)
		}
		return r.Err()
	})
	return out, err
}
