package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Run runs the whole conformance suite against stores made by open.
func Run(t *testing.T, open Opener) {
	t.Helper()
	t.Run("tenants", func(t *testing.T) { t.Parallel(); exerciseTenants(t, open) })
	t.Run("users", func(t *testing.T) { t.Parallel(); exerciseUsers(t, open) })
	t.Run("memberships", func(t *testing.T) { t.Parallel(); exerciseMemberships(t, open) })
	t.Run("api_keys", func(t *testing.T) { t.Parallel(); exerciseAPIKeys(t, open) })
	t.Run("sessions", func(t *testing.T) { t.Parallel(); exerciseSessions(t, open) })
	t.Run("invitations", func(t *testing.T) { t.Parallel(); exerciseInvitations(t, open) })
	t.Run("audit", func(t *testing.T) { t.Parallel(); exerciseAudit(t, open) })
	t.Run("secrets", func(t *testing.T) { t.Parallel(); exerciseSecrets(t, open) })
	t.Run("isolation", func(t *testing.T) { t.Parallel(); exerciseIsolation(t, open) })
	t.Run("transactions", func(t *testing.T) { t.Parallel(); exerciseTransactions(t, open) })
	t.Run("ledger", func(t *testing.T) { t.Parallel(); exerciseLedger(t, open) })
	t.Run("connections", func(t *testing.T) { t.Parallel(); exerciseConnections(t, open) })
	t.Run("resources", func(t *testing.T) { t.Parallel(); exerciseResources(t, open) })
	t.Run("ledger_concurrent_swaps", func(t *testing.T) { t.Parallel(); exerciseLedgerConcurrentSwaps(t, open) })
	t.Run("ledger_multi_period_swap", func(t *testing.T) { t.Parallel(); exerciseLedgerMultiPeriodSwap(t, open) })
	t.Run("tx_hook", func(t *testing.T) { t.Parallel(); exerciseTxHook(t, open) })
	t.Run("job_alerts", func(t *testing.T) { t.Parallel(); exerciseJobAlerts(t, open) })
	t.Run("findings", func(t *testing.T) { t.Parallel(); exerciseFindings(t, open) })
	t.Run("detection_data", func(t *testing.T) { t.Parallel(); exerciseDetectionData(t, open) })
	t.Run("api_budget", func(t *testing.T) { t.Parallel(); exerciseAPIBudget(t, open) })
}

// T0 is the fixed time the suite writes.
var T0 = time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)

// MustTenant creates a tenant.
func MustTenant(t testing.TB, db *store.DB, name string) governance.Tenant {
	t.Helper()
	tn := governance.Tenant{ID: valdrix.TenantID(valdrix.NewID()), Name: name, CreatedAt: T0}
	require.NoError(t, db.CreateTenant(context.Background(), tn))
	return tn
}

// MustUser creates a user.
func MustUser(t testing.TB, db *store.DB, email string) governance.User {
	t.Helper()
	u := governance.User{ID: valdrix.NewID(), Email: email, Name: "User " + email, PasswordHash: "$argon2id$x", CreatedAt: T0}
	require.NoError(t, db.CreateUser(context.Background(), u))
	return u
}

func code(err error) string { return valdrix.ErrorCode(err) }

func exerciseTenants(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	var made []governance.Tenant
	for _, n := range []string{"Acme", "Globex", "Initech"} {
		made = append(made, MustTenant(t, db, n))
	}
	got, err := db.GetTenant(ctx, made[1].ID)
	require.NoError(t, err)
	require.Equal(t, made[1], got)

	_, err = db.GetTenant(ctx, valdrix.TenantID(valdrix.NewID()))
	require.Equal(t, valdrix.ENOTFOUND, code(err))

	page1, next, err := db.ListTenants(ctx, governance.Page{Limit: 2})
	require.NoError(t, err)
	require.Len(t, page1, 2)
	require.NotEmpty(t, next)
	require.Equal(t, made[2].ID, page1[0].ID, "newest first")
	page2, next2, err := db.ListTenants(ctx, governance.Page{Limit: 2, Cursor: next})
	require.NoError(t, err)
	require.Empty(t, next2)
	require.Equal(t, []governance.Tenant{made[0]}, page2)

	_, _, err = db.ListTenants(ctx, governance.Page{Limit: 2, Cursor: "bogus"})
	require.Equal(t, valdrix.EINVALID, code(err))

	dup := made[0]
	require.Equal(t, valdrix.ECONFLICT, code(db.CreateTenant(ctx, dup)))
}

func exerciseUsers(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	u := MustUser(t, db, "ada@example.com")
	got, err := db.GetUserByEmail(ctx, "ada@example.com")
	require.NoError(t, err)
	require.Equal(t, u, got)
	got, err = db.GetUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, u, got)

	dup := governance.User{ID: valdrix.NewID(), Email: "ada@example.com", CreatedAt: T0}
	require.Equal(t, valdrix.ECONFLICT, code(db.CreateUser(ctx, dup)))

	nopw := governance.User{ID: valdrix.NewID(), Email: "invited@example.com", CreatedAt: T0}
	require.NoError(t, db.CreateUser(ctx, nopw))
	got, err = db.GetUser(ctx, nopw.ID)
	require.NoError(t, err)
	require.Empty(t, got.PasswordHash, "no password is not an empty-string password")
	require.NoError(t, db.SetUserPassword(ctx, nopw.ID, "$argon2id$new"))
	got, err = db.GetUser(ctx, nopw.ID)
	require.NoError(t, err)
	require.Equal(t, "$argon2id$new", got.PasswordHash)
	require.Equal(t, valdrix.ENOTFOUND, code(db.SetUserPassword(ctx, valdrix.NewID(), "x")))

	_, err = db.GetUserByEmail(ctx, "nobody@example.com")
	require.Equal(t, valdrix.ENOTFOUND, code(err))

	all, next, err := db.ListUsers(ctx, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, all, 2)
}

func exerciseMemberships(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	tn := MustTenant(t, db, "Acme")
	other := MustTenant(t, db, "Other")
	a := MustUser(t, db, "a@example.com")
	b := MustUser(t, db, "b@example.com")
	require.NoError(t, db.PutMembership(ctx, tn.ID, a.ID, valdrix.RoleOwner, T0))
	require.NoError(t, db.PutMembership(ctx, tn.ID, b.ID, valdrix.RoleViewer, T0))
	require.NoError(t, db.PutMembership(ctx, other.ID, a.ID, valdrix.RoleMember, T0))

	m, err := db.GetMember(ctx, tn.ID, b.ID)
	require.NoError(t, err)
	require.Equal(t, governance.Member{TenantID: tn.ID, UserID: b.ID, Email: b.Email, Name: b.Name, Role: valdrix.RoleViewer, HasPassword: true, CreatedAt: T0}, m)

	// Changing the role keeps one row.
	require.NoError(t, db.PutMembership(ctx, tn.ID, b.ID, valdrix.RoleAdmin, T0))
	ms, next, err := db.ListMembers(ctx, tn.ID, governance.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, next)
	require.Len(t, ms, 2)
	n, err := db.CountOwners(ctx, tn.ID)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	of, err := db.MembershipsOfUser(ctx, a.ID)
	require.NoError(t, err)
	require.ElementsMatch(t, []governance.Membership{
		{TenantID: tn.ID, TenantName: "Acme", Role: valdrix.RoleOwner},
		{TenantID: other.ID, TenantName: "Other", Role: valdrix.RoleMember},
	}, of)

	require.Equal(t, valdrix.EINVALID, code(db.PutMembership(ctx, tn.ID, valdrix.NewID(), valdrix.RoleMember, T0)), "unknown user")
	require.Equal(t, valdrix.EINVALID, code(db.PutMembership(ctx, tn.ID, a.ID, valdrix.Role("root"), T0)), "unknown role")

	require.NoError(t, db.DeleteMembership(ctx, tn.ID, b.ID))
	require.Equal(t, valdrix.ENOTFOUND, code(db.DeleteMembership(ctx, tn.ID, b.ID)))
	_, err = db.GetMember(ctx, tn.ID, b.ID)
	require.Equal(t, valdrix.ENOTFOUND, code(err))
	_, err = db.GetMember(ctx, tn.ID, "not-an-id")
	require.Equal(t, valdrix.ENOTFOUND, code(err))
}

func exerciseAPIKeys(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	tn := MustTenant(t, db, "Acme")
	exp := T0.Add(24 * time.Hour)
	k := governance.APIKey{ID: valdrix.NewID(), TenantID: tn.ID, Name: "ci", Prefix: "abcdefghijklmnop", SecretHash: []byte{1, 2, 3},
		Role: valdrix.RoleMember, CreatedBy: "system", CreatedAt: T0, ExpiresAt: &exp}
	require.NoError(t, db.CreateAPIKey(ctx, k))
	got, err := db.GetAPIKey(ctx, tn.ID, k.ID)
	require.NoError(t, err)
	require.Equal(t, k, got)
	got, err = db.LookupAPIKey(ctx, "abcdefghijklmnop")
	require.NoError(t, err)
	withName := k
	withName.TenantName = "Acme"
	require.Equal(t, withName, got, "the lookup also names the tenant")
	_, err = db.LookupAPIKey(ctx, "zzzzzzzzzzzzzzzz")
	require.Equal(t, valdrix.ENOTFOUND, code(err))

	dup := k
	dup.ID = valdrix.NewID()
	require.Equal(t, valdrix.ECONFLICT, code(db.CreateAPIKey(ctx, dup)), "prefixes are unique")

	used := T0.Add(time.Minute)
	require.NoError(t, db.TouchAPIKey(ctx, tn.ID, k.ID, used))
	rev := T0.Add(time.Hour)
	require.NoError(t, db.RevokeAPIKey(ctx, tn.ID, k.ID, rev))
	require.NoError(t, db.RevokeAPIKey(ctx, tn.ID, k.ID, rev.Add(time.Hour)), "revoking twice is fine")
	got, err = db.GetAPIKey(ctx, tn.ID, k.ID)
	require.NoError(t, err)
	require.Equal(t, used, *got.LastUsedAt)
	require.Equal(t, rev, *got.RevokedAt, "the first revocation time is kept")
	require.Equal(t, valdrix.ENOTFOUND, code(db.RevokeAPIKey(ctx, tn.ID, valdrix.NewID(), rev)))

	for i := range 3 {
		require.NoError(t, db.CreateAPIKey(ctx, governance.APIKey{ID: valdrix.NewID(), TenantID: tn.ID, Name: "k", Prefix: "p" + string(rune('a'+i)) + "cdefghijklmnop",
			SecretHash: []byte{9}, Role: valdrix.RoleViewer, CreatedBy: "system", CreatedAt: T0}))
	}
	var all []governance.APIKey
	cursor := ""
	for {
		page, next, err := db.ListAPIKeys(ctx, tn.ID, governance.Page{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		all = append(all, page...)
		if next == "" {
			break
		}
		cursor = next
	}
	require.Len(t, all, 4)
}

func exerciseSessions(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	tn := MustTenant(t, db, "Acme")
	u := MustUser(t, db, "a@example.com")
	s := governance.Session{ID: valdrix.NewID(), TokenHash: []byte("hash-1"), UserID: u.ID, TenantID: tn.ID,
		CreatedAt: T0, ExpiresAt: T0.Add(time.Hour), LastSeenAt: T0, IP: "192.0.2.1", UserAgent: "test"}
	require.NoError(t, db.CreateSession(ctx, s))
	got, err := db.GetSessionByToken(ctx, []byte("hash-1"))
	require.NoError(t, err)
	require.Equal(t, s, got)
	require.NoError(t, db.TouchSession(ctx, s.ID, T0.Add(time.Minute)))
	got, err = db.GetSessionByToken(ctx, []byte("hash-1"))
	require.NoError(t, err)
	require.Equal(t, T0.Add(time.Minute), got.LastSeenAt)

	s2 := s
	s2.ID, s2.TokenHash, s2.ExpiresAt = valdrix.NewID(), []byte("hash-2"), T0.Add(-time.Hour)
	require.NoError(t, db.CreateSession(ctx, s2))
	n, err := db.DeleteExpiredSessions(ctx, T0)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)

	require.NoError(t, db.DeleteTenantSessions(ctx, tn.ID, u.ID))
	_, err = db.GetSessionByToken(ctx, []byte("hash-1"))
	require.Equal(t, valdrix.ENOTFOUND, code(err))
	require.Equal(t, valdrix.ENOTFOUND, code(db.DeleteSession(ctx, s.ID)))
}

func exerciseInvitations(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	tn := MustTenant(t, db, "Acme")
	u := MustUser(t, db, "a@example.com")
	inv := governance.Invitation{ID: valdrix.NewID(), TenantID: tn.ID, UserID: u.ID, TokenHash: []byte("inv"), Role: valdrix.RoleMember,
		CreatedBy: "system", CreatedAt: T0, ExpiresAt: T0.Add(time.Hour)}
	require.NoError(t, db.CreateInvitation(ctx, inv))
	got, err := db.LookupInvitation(ctx, []byte("inv"))
	require.NoError(t, err)
	require.Equal(t, inv, got)
	require.NoError(t, db.AcceptInvitation(ctx, tn.ID, inv.ID, T0.Add(time.Minute)))
	require.Equal(t, valdrix.ECONFLICT, code(db.AcceptInvitation(ctx, tn.ID, inv.ID, T0.Add(2*time.Minute))), "an invitation is used once")
	got, err = db.LookupInvitation(ctx, []byte("inv"))
	require.NoError(t, err)
	require.Equal(t, T0.Add(time.Minute), *got.AcceptedAt)
}

func exerciseSecrets(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	s := governance.Secret{ID: valdrix.NewID(), TenantID: a.ID, Purpose: "azure", KeyID: "k1", Ciphertext: []byte{1, 2}, CreatedAt: T0, UpdatedAt: T0}
	require.NoError(t, db.PutSecret(ctx, s))
	s.KeyID, s.Ciphertext, s.UpdatedAt = "k2", []byte{3, 4}, T0.Add(time.Hour)
	require.NoError(t, db.PutSecret(ctx, s), "put replaces")
	got, err := db.GetSecret(ctx, a.ID, s.ID)
	require.NoError(t, err)
	require.Equal(t, s, got)

	steal := s
	steal.TenantID = b.ID
	require.Equal(t, valdrix.ECONFLICT, code(db.PutSecret(ctx, steal)), "another tenant cannot overwrite a secret by id")
	got, err = db.GetSecret(ctx, a.ID, s.ID)
	require.NoError(t, err)
	require.Equal(t, []byte{3, 4}, got.Ciphertext)

	all, err := db.ListAllSecrets(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.NoError(t, db.DeleteSecret(ctx, a.ID, s.ID))
	require.Equal(t, valdrix.ENOTFOUND, code(db.DeleteSecret(ctx, a.ID, s.ID)))
}
