package governance

import (
	"context"
	"sort"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// ListAudit lists a tenant's audit log, newest first (admins and owners).
func (s *Service) ListAudit(ctx context.Context, actor Actor, tenant valdrix.TenantID, f AuditFilter, page Page) ([]AuditEvent, string, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return nil, "", err
	}
	return s.store.ListAudit(ctx, tenant, f, page.Normalize())
}

// Record appends an audit event on behalf of another module.
func (s *Service) Record(ctx context.Context, actor Actor, tenant valdrix.TenantID, action, target string, meta map[string]any) error {
	return s.audit(ctx, tenant, actor.Principal, actor.IP, action, target, meta)
}

// VerifyAudit walks every audit chain and reports entries that were edited,
// inserted or deleted, and tenants whose chain is missing.
func (s *Service) VerifyAudit(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	err := s.store.System(ctx, func(ctx context.Context) error {
		heads, err := s.store.AuditHeads(ctx)
		if err != nil {
			return err
		}
		verifiers := map[valdrix.TenantID]*chainVerifier{}
		if err := s.store.WalkAudit(ctx, func(e AuditEvent) error {
			v := verifiers[e.TenantID]
			if v == nil {
				v = &chainVerifier{tenant: e.TenantID}
				verifiers[e.TenantID] = v
			}
			v.add(e)
			return nil
		}); err != nil {
			return err
		}
		for t, v := range verifiers {
			h, ok := heads[t]
			v.finish(h.Seq, h.Hash, ok)
			rep.Events += v.events
			rep.Problems = append(rep.Problems, v.problems...)
		}
		for t, h := range heads {
			if _, ok := verifiers[t]; !ok {
				rep.Problems = append(rep.Problems, AuditProblem{TenantID: t, Seq: h.Seq, Problem: "every entry of this chain was deleted"})
			}
		}
		rep.Chains = len(heads)
		// Every tenant has a chain from its creation.
		var page Page
		for {
			ts, next, err := s.store.ListTenants(ctx, Page{Limit: MaxPageLimit, Cursor: page.Cursor})
			if err != nil {
				return err
			}
			for _, t := range ts {
				if _, ok := heads[t.ID]; !ok {
					rep.Problems = append(rep.Problems, AuditProblem{TenantID: t.ID, Problem: "tenant has no audit chain (its log was removed)"})
				}
			}
			if next == "" {
				break
			}
			page.Cursor = next
		}
		return nil
	})
	sort.Slice(rep.Problems, func(i, j int) bool {
		a, b := rep.Problems[i], rep.Problems[j]
		if a.TenantID != b.TenantID {
			return a.TenantID < b.TenantID
		}
		return a.Seq < b.Seq
	})
	return rep, err
}
