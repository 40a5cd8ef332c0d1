package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// AuditEvent returns an unchained event for tenant.
func AuditEvent(tenant valdrix.TenantID, action string, at time.Time) governance.AuditEvent {
	return governance.AuditEvent{TenantID: tenant, ID: valdrix.NewID(), At: at, Actor: "system", Action: action, Target: "x", IP: "192.0.2.1", Metadata: `{"k":"v"}`}
}

func exerciseAudit(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	tn := MustTenant(t, db, "Acme")

	var stored []governance.AuditEvent
	for i := range 5 {
		e, err := db.AppendAudit(ctx, AuditEvent(tn.ID, fmt.Sprintf("act.%d", i%2), T0.Add(time.Duration(i)*time.Minute)))
		require.NoError(t, err)
		require.Equal(t, int64(i+1), e.Seq)
		require.Equal(t, e.ComputeHash(), e.Hash)
		if i > 0 {
			require.Equal(t, stored[i-1].Hash, e.PrevHash, "each entry links to the one before")
		}
		stored = append(stored, e)
	}

	got, next, err := db.ListAudit(ctx, tn.ID, governance.AuditFilter{}, governance.Page{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []governance.AuditEvent{stored[4], stored[3]}, got, "newest first, exactly as stored")
	got, _, err = db.ListAudit(ctx, tn.ID, governance.AuditFilter{}, governance.Page{Limit: 10, Cursor: next})
	require.NoError(t, err)
	require.Len(t, got, 3)
	got, _, err = db.ListAudit(ctx, tn.ID, governance.AuditFilter{Action: "act.1"}, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, got, 2)
	since := T0.Add(3 * time.Minute)
	got, _, err = db.ListAudit(ctx, tn.ID, governance.AuditFilter{Since: &since}, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, got, 2)
	_, _, err = db.ListAudit(ctx, tn.ID, governance.AuditFilter{}, governance.Page{Limit: 10, Cursor: "x"})
	require.Equal(t, valdrix.EINVALID, code(err))

	// Concurrent appends to one chain stay contiguous.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			_, err := db.AppendAudit(ctx, AuditEvent(tn.ID, "concurrent", T0.Add(time.Duration(i)*time.Second)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	heads, err := db.AuditHeads(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(25), heads[tn.ID].Seq)
	var seqs []int64
	prev := ""
	require.NoError(t, db.WalkAudit(ctx, func(e governance.AuditEvent) error {
		seqs = append(seqs, e.Seq)
		require.Equal(t, prev, e.PrevHash)
		require.Equal(t, e.ComputeHash(), e.Hash)
		prev = e.Hash
		return nil
	}))
	require.Len(t, seqs, 25)
	for i, s := range seqs {
		require.Equal(t, int64(i+1), s)
	}
	require.Equal(t, prev, heads[tn.ID].Hash)
}
