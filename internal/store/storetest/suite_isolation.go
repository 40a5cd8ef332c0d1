package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// exerciseIsolation writes data for tenant A and checks that every
// tenant-scoped method called for tenant B neither sees nor changes it.
func exerciseIsolation(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	ua := MustUser(t, db, "a@example.com")
	ub := MustUser(t, db, "b@example.com")
	require.NoError(t, db.PutMembership(ctx, a.ID, ua.ID, valdrix.RoleOwner, T0))
	require.NoError(t, db.PutMembership(ctx, b.ID, ub.ID, valdrix.RoleOwner, T0))
	key := governance.APIKey{ID: valdrix.NewID(), TenantID: a.ID, Name: "a", Prefix: "aaaaaaaaaaaaaaaa", SecretHash: []byte{1}, Role: valdrix.RoleAdmin, CreatedBy: "system", CreatedAt: T0}
	require.NoError(t, db.CreateAPIKey(ctx, key))
	sec := governance.Secret{ID: valdrix.NewID(), TenantID: a.ID, Purpose: "p", KeyID: "k", Ciphertext: []byte{7}, CreatedAt: T0, UpdatedAt: T0}
	require.NoError(t, db.PutSecret(ctx, sec))
	_, err := db.AppendAudit(ctx, AuditEvent(a.ID, "a.only", T0))
	require.NoError(t, err)
	inv := governance.Invitation{ID: valdrix.NewID(), TenantID: a.ID, UserID: ua.ID, TokenHash: []byte("t"), Role: valdrix.RoleMember, CreatedBy: "s", CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}
	require.NoError(t, db.CreateInvitation(ctx, inv))

	notFound := func(err error) { t.Helper(); require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err), "%v", err) }

	_, err = db.GetMember(ctx, b.ID, ua.ID)
	notFound(err)
	ms, _, err := db.ListMembers(ctx, b.ID, governance.Page{Limit: 50})
	require.NoError(t, err)
	require.Len(t, ms, 1)
	require.Equal(t, ub.ID, ms[0].UserID)
	notFound(db.DeleteMembership(ctx, b.ID, ua.ID))
	_, err = db.GetMember(ctx, a.ID, ua.ID)
	require.NoError(t, err, "A's membership survives B's delete")

	_, err = db.GetAPIKey(ctx, b.ID, key.ID)
	notFound(err)
	keys, _, err := db.ListAPIKeys(ctx, b.ID, governance.Page{Limit: 50})
	require.NoError(t, err)
	require.Empty(t, keys)
	notFound(db.RevokeAPIKey(ctx, b.ID, key.ID, T0))
	require.NoError(t, db.TouchAPIKey(ctx, b.ID, key.ID, T0.Add(time.Hour)))
	k, err := db.GetAPIKey(ctx, a.ID, key.ID)
	require.NoError(t, err)
	require.Nil(t, k.RevokedAt)
	require.Nil(t, k.LastUsedAt, "B cannot touch A's key")

	_, err = db.GetSecret(ctx, b.ID, sec.ID)
	notFound(err)
	notFound(db.DeleteSecret(ctx, b.ID, sec.ID))

	evs, _, err := db.ListAudit(ctx, b.ID, governance.AuditFilter{}, governance.Page{Limit: 50})
	require.NoError(t, err)
	require.Empty(t, evs)

	require.Equal(t, valdrix.ECONFLICT, valdrix.ErrorCode(db.AcceptInvitation(ctx, b.ID, inv.ID, T0)))
	got, err := db.LookupInvitation(ctx, []byte("t"))
	require.NoError(t, err)
	require.Nil(t, got.AcceptedAt, "B cannot accept A's invitation")

	tb, err := db.GetTenant(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, "B", tb.Name)

	// A transaction scoped to B refuses work for A.
	err = db.Atomic(ctx, b.ID, func(ctx context.Context) error {
		_, err := db.GetSecret(ctx, a.ID, sec.ID)
		return err
	})
	require.Error(t, err)
	require.Equal(t, valdrix.EINTERNAL, valdrix.ErrorCode(err))
	require.ErrorContains(t, err, "scope")
}

func exerciseTransactions(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	u := MustUser(t, db, "a@example.com")

	boom := errors.New("boom")
	err := db.Atomic(ctx, a.ID, func(ctx context.Context) error {
		require.NoError(t, db.PutMembership(ctx, a.ID, u.ID, valdrix.RoleOwner, T0))
		_, err := db.AppendAudit(ctx, AuditEvent(a.ID, "rolled.back", T0))
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	_, err = db.GetMember(ctx, a.ID, u.ID)
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err), "a failed transaction leaves nothing behind")
	heads, err := db.AuditHeads(ctx)
	require.NoError(t, err)
	require.NotContains(t, heads, a.ID)

	require.NoError(t, db.Atomic(ctx, a.ID, func(ctx context.Context) error {
		if err := db.PutMembership(ctx, a.ID, u.ID, valdrix.RoleOwner, T0); err != nil {
			return err
		}
		_, err := db.AppendAudit(ctx, AuditEvent(a.ID, "committed", T0))
		return err
	}))
	_, err = db.GetMember(ctx, a.ID, u.ID)
	require.NoError(t, err)

	// Concurrent writers on one tenant all succeed.
	errs := make(chan error, 10)
	for range 10 {
		go func() {
			errs <- db.Atomic(ctx, a.ID, func(ctx context.Context) error {
				_, err := db.AppendAudit(ctx, AuditEvent(a.ID, "parallel", T0))
				return err
			})
		}()
	}
	for range 10 {
		require.NoError(t, <-errs)
	}
	heads, err = db.AuditHeads(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(11), heads[a.ID].Seq)

	// The system scope sees every tenant; a tenant scope cannot open it.
	err = db.Atomic(ctx, a.ID, func(ctx context.Context) error {
		_, err := db.LookupAPIKey(ctx, "nothing")
		return err
	})
	require.Equal(t, valdrix.EINTERNAL, valdrix.ErrorCode(err))
}

// exerciseTxHook checks DB.Tx: the transaction of a read-write scope, in
// the dialect's type, and nothing outside a scope.
func exerciseTxHook(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	_, _, ok := db.Tx(ctx)
	require.False(t, ok, "no transaction outside a scope")
	a := MustTenant(t, db, "A")
	for _, scope := range []func(context.Context, func(context.Context) error) error{
		func(ctx context.Context, fn func(context.Context) error) error { return db.Atomic(ctx, a.ID, fn) },
		db.System,
	} {
		require.NoError(t, scope(ctx, func(ctx context.Context) error {
			pg, lite, ok := db.Tx(ctx)
			require.True(t, ok)
			var one int
			if db.Dialect() == store.Postgres {
				require.Nil(t, lite)
				require.NoError(t, pg.QueryRow(ctx, "SELECT 1").Scan(&one))
			} else {
				require.Nil(t, pg)
				require.NoError(t, lite.QueryRowContext(ctx, "SELECT 1").Scan(&one))
			}
			require.Equal(t, 1, one)
			return nil
		}))
	}
	other := open(t)
	require.NoError(t, db.System(ctx, func(ctx context.Context) error {
		_, _, ok := other.Tx(ctx)
		require.False(t, ok, "another store's scope is not this store's transaction")
		return nil
	}))
}
