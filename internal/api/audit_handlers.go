package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/governance"
)

type listAuditInput struct {
	PageParams
	Action string    `query:"action" maxLength:"100" doc:"Only this action, e.g. member.invite"`
	Actor  string    `query:"actor" maxLength:"200" doc:"Only this actor, e.g. user:<id> or api_key:<id>"`
	Since  time.Time `query:"since" doc:"Only events at or after this time (RFC 3339)"`
	Until  time.Time `query:"until" doc:"Only events before this time (RFC 3339)"`
}

func (s *Server) registerAudit() {
	handle(s, huma.Operation{
		OperationID: "list-audit", Method: http.MethodGet, Path: "/api/v1/audit", Tags: []string{"audit"},
		Summary: "List audit events", Description: "The tenant's append-only, hash-chained audit log, newest first.",
	}, admin, func(ctx context.Context, c call, in *listAuditInput) (*listOutput[AuditEntry], error) {
		f := governance.AuditFilter{Action: in.Action, Actor: in.Actor}
		if !in.Since.IsZero() {
			f.Since = &in.Since
		}
		if !in.Until.IsZero() {
			f.Until = &in.Until
		}
		evs, next, err := s.gov.ListAudit(ctx, c.Actor, c.Principal.TenantID, f, in.page())
		if err != nil {
			return nil, err
		}
		out := make([]AuditEntry, len(evs))
		for i, e := range evs {
			out[i] = auditEntry(e)
		}
		return listOf(out, next), nil
	})
}

// AuditEntry is one audit event.
type AuditEntry struct {
	Seq      int64          `json:"seq" doc:"Position in the tenant's chain, from 1"`
	ID       string         `json:"id"`
	At       time.Time      `json:"at"`
	Actor    string         `json:"actor" doc:"user:<id>, api_key:<id>, jwt:<subject> or system:<name>"`
	Action   string         `json:"action" doc:"What was done, e.g. member.invite"`
	Target   string         `json:"target" doc:"What it was done to"`
	IP       string         `json:"ip"`
	Metadata map[string]any `json:"metadata"`
	PrevHash string         `json:"prev_hash" doc:"Hash of the previous entry"`
	Hash     string         `json:"hash" doc:"SHA-256 over this entry and prev_hash"`
}

func auditEntry(e governance.AuditEvent) AuditEntry {
	md := map[string]any{}
	_ = json.Unmarshal([]byte(e.Metadata), &md) // written canonical by governance
	return AuditEntry{Seq: e.Seq, ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action, Target: e.Target,
		IP: e.IP, Metadata: md, PrevHash: e.PrevHash, Hash: e.Hash}
}
