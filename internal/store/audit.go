package store

import (
	"context"
	"strconv"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// AppendAudit appends e to its tenant's chain: it takes the next sequence
// number under the chain head's row lock, links e to the previous hash and
// stores both. It returns the event as stored.
func (db *DB) AppendAudit(ctx context.Context, e governance.AuditEvent) (governance.AuditEvent, error) {
	err := db.tenantWrite(ctx, e.TenantID, func(ctx context.Context, s *scope) error {
		t := string(e.TenantID)
		if _, err := s.exec(ctx, "INSERT INTO audit_chains (tenant_id, seq, hash) VALUES ($1, 0, '') ON CONFLICT (tenant_id) DO NOTHING", t); err != nil {
			return db.translate(err, "Audit chain")
		}
		var seq int64
		var prev string
		if err := s.queryRow(ctx, "UPDATE audit_chains SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash", []any{t}, &seq, &prev); err != nil {
			return db.translate(err, "Audit chain")
		}
		e.Chain(seq-1, prev)
		if _, err := s.exec(ctx, `INSERT INTO audit_log (tenant_id, seq, id, at, actor, action, target, ip, metadata, prev_hash, hash)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			t, e.Seq, e.ID, e.At, e.Actor, e.Action, e.Target, e.IP, e.Metadata, e.PrevHash, e.Hash); err != nil {
			return db.translate(err, "Audit event")
		}
		_, err := s.exec(ctx, "UPDATE audit_chains SET hash = $1 WHERE tenant_id = $2", e.Hash, t)
		return db.translate(err, "Audit chain")
	})
	return e, err
}

const auditCols = "tenant_id, seq, id, at, actor, action, target, ip, metadata, prev_hash, hash"

func scanAudit(r interface{ Scan(...any) error }) (governance.AuditEvent, error) {
	var e governance.AuditEvent
	var t string
	err := r.Scan(&t, &e.Seq, &e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.IP, &e.Metadata, &e.PrevHash, &e.Hash)
	e.TenantID = valdrix.TenantID(t)
	return e, err
}

// ListAudit lists tenant's audit events, newest first.
func (db *DB) ListAudit(ctx context.Context, tenant valdrix.TenantID, f governance.AuditFilter, page governance.Page) ([]governance.AuditEvent, string, error) {
	var before int64
	if page.Cursor != "" {
		n, err := strconv.ParseInt(page.Cursor, 10, 64)
		if err != nil || n <= 0 {
			return nil, "", valdrix.FieldError("cursor", "is not a cursor returned by this API")
		}
		before = n
	}
	var out []governance.AuditEvent
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+auditCols+" FROM audit_log WHERE tenant_id = $1", string(tenant))
		if f.Action != "" {
			b.where("action = %s", f.Action)
		}
		if f.Actor != "" {
			b.where("actor = %s", f.Actor)
		}
		if f.Since != nil {
			b.where("at >= %s", f.Since.UTC())
		}
		if f.Until != nil {
			b.where("at < %s", f.Until.UTC())
		}
		if before > 0 {
			b.where("seq < %s", before)
		}
		b.sql += " ORDER BY seq DESC LIMIT " + b.arg(page.Limit+1)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Audit log")
		}
		defer r.Close()
		for r.Next() {
			e, err := scanAudit(r)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(e governance.AuditEvent) string { return strconv.FormatInt(e.Seq, 10) })
	return out, next, nil
}

// WalkAudit calls fn for every audit event of every chain, in chain and
// sequence order (system scope).
func (db *DB) WalkAudit(ctx context.Context, fn func(e governance.AuditEvent) error) error {
	return db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT "+auditCols+" FROM audit_log ORDER BY tenant_id, seq")
		if err != nil {
			return db.translate(err, "Audit log")
		}
		defer r.Close()
		for r.Next() {
			e, err := scanAudit(r)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return r.Err()
	})
}

// AuditHeads returns every chain's head: its last sequence number and hash
// (system scope).
func (db *DB) AuditHeads(ctx context.Context) (map[valdrix.TenantID]governance.AuditEvent, error) {
	out := map[valdrix.TenantID]governance.AuditEvent{}
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT tenant_id, seq, hash FROM audit_chains")
		if err != nil {
			return db.translate(err, "Audit chains")
		}
		defer r.Close()
		for r.Next() {
			var e governance.AuditEvent
			var t string
			if err := r.Scan(&t, &e.Seq, &e.Hash); err != nil {
				return err
			}
			e.TenantID = valdrix.TenantID(t)
			out[e.TenantID] = e
		}
		return r.Err()
	})
	return out, err
}
