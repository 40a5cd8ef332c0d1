package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// CreateSession inserts a session (sessions are global: they are looked up
// before the tenant is known).
func (db *DB) CreateSession(ctx context.Context, se governance.Session) error {
	return db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, `INSERT INTO sessions (id, token_hash, user_id, tenant_id, created_at, expires_at, last_seen_at, ip, user_agent)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			se.ID, se.TokenHash, se.UserID, string(se.TenantID), se.CreatedAt, se.ExpiresAt, se.LastSeenAt, se.IP, se.UserAgent)
		return db.translate(err, "Session")
	})
}

// GetSessionByToken finds a session by its token hash.
func (db *DB) GetSessionByToken(ctx context.Context, tokenHash []byte) (governance.Session, error) {
	var se governance.Session
	err := db.globalRead(ctx, func(ctx context.Context, s *scope) error {
		var tenant string
		err := s.queryRow(ctx, `SELECT id, token_hash, user_id, tenant_id, created_at, expires_at, last_seen_at, ip, user_agent
			FROM sessions WHERE token_hash = $1`, []any{tokenHash},
			&se.ID, &se.TokenHash, &se.UserID, &tenant, &se.CreatedAt, &se.ExpiresAt, &se.LastSeenAt, &se.IP, &se.UserAgent)
		se.TenantID = valdrix.TenantID(tenant)
		return db.translate(err, "Session")
	})
	return se, err
}

// TouchSession records a session's last use.
func (db *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	return db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE id = $2", at, id)
		return db.translate(err, "Session")
	})
}

// DeleteSession removes a session.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	return db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "DELETE FROM sessions WHERE id = $1", id)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Session")
	})
}

// DeleteTenantSessions removes a user's sessions in tenant.
func (db *DB) DeleteTenantSessions(ctx context.Context, tenant valdrix.TenantID, userID string) error {
	return db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2", string(tenant), userID)
		return db.translate(err, "Session")
	})
}

// DeleteExpiredSessions removes sessions that expired before now.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	err := db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		var err error
		n, err = s.exec(ctx, "DELETE FROM sessions WHERE expires_at < $1", now)
		return db.translate(err, "Session")
	})
	return n, err
}

// CreateInvitation inserts an invitation.
func (db *DB) CreateInvitation(ctx context.Context, inv governance.Invitation) error {
	return db.tenantWrite(ctx, inv.TenantID, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, `INSERT INTO invitations (id, tenant_id, user_id, token_hash, role, created_by, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			inv.ID, string(inv.TenantID), inv.UserID, inv.TokenHash, string(inv.Role), inv.CreatedBy, inv.CreatedAt, inv.ExpiresAt)
		return db.translate(err, "Invitation")
	})
}

// LookupInvitation finds an invitation by token hash (system scope: the
// tenant is not known until it is found).
func (db *DB) LookupInvitation(ctx context.Context, tokenHash []byte) (governance.Invitation, error) {
	var inv governance.Invitation
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		var tenant, role string
		err := s.queryRow(ctx, `SELECT id, tenant_id, user_id, token_hash, role, created_by, created_at, expires_at, accepted_at
			FROM invitations WHERE token_hash = $1`, []any{tokenHash},
			&inv.ID, &tenant, &inv.UserID, &inv.TokenHash, &role, &inv.CreatedBy, &inv.CreatedAt, &inv.ExpiresAt, &inv.AcceptedAt)
		inv.TenantID, inv.Role = valdrix.TenantID(tenant), valdrix.Role(role)
		return db.translate(err, "Invitation")
	})
	return inv, err
}

// AcceptInvitation marks an invitation used; it fails if it already was.
func (db *DB) AcceptInvitation(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "UPDATE invitations SET accepted_at = $1 WHERE tenant_id = $2 AND id = $3 AND accepted_at IS NULL", at, string(tenant), id)
		if err == nil && n == 0 {
			return valdrix.Errorf(valdrix.ECONFLICT, "The invitation was already used.")
		}
		return db.translate(err, "Invitation")
	})
}
