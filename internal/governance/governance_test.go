package governance_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var fast = governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}

type bundle struct {
	db   *store.DB
	gov  *governance.Service
	keys *keyring.Keyring
	now  *time.Time
}

func setup(t *testing.T, db *store.DB) *bundle {
	t.Helper()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	b := &bundle{db: db, keys: keyring.Generate(now), now: &now}
	gov, err := governance.New(governance.Config{
		Store: db, Keyring: b.keys, PasswordParams: fast,
		Clock: valdrix.ClockFunc(func() time.Time { return *b.now }),
	})
	require.NoError(t, err)
	b.gov = gov
	return b
}

var sys = governance.SystemActor("test")

// tamperers edit the audit log behind the application's back, as an attacker
// with database access would.
type tamperer func(t *testing.T, ctx context.Context, sql string, args ...any)

func sqliteTamper(db *store.DB) tamperer {
	return func(t *testing.T, ctx context.Context, q string, args ...any) {
		w := db.SQLite().Write
		_, err := w.ExecContext(ctx, "DROP TRIGGER IF EXISTS audit_log_no_update")
		require.NoError(t, err)
		_, err = w.ExecContext(ctx, "DROP TRIGGER IF EXISTS audit_log_no_delete")
		require.NoError(t, err)
		_, err = w.ExecContext(ctx, q, args...)
		require.NoError(t, err)
	}
}

func pgTamper(ownerURL string) tamperer {
	return func(t *testing.T, ctx context.Context, q string, args ...any) {
		c, err := pgx.Connect(ctx, ownerURL)
		require.NoError(t, err)
		defer c.Close(ctx)
		tx, err := c.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, "SELECT set_config('valdrix.scope', 'system', true)")
		require.NoError(t, err)
		_, err = tx.Exec(ctx, q, args...)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
	}
}

func TestAuditVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tamper  string
		problem string
	}{
		{name: "edited entry", tamper: "UPDATE audit_log SET actor = 'user:someone-else' WHERE seq = 2 AND tenant_id = $1", problem: "modified"},
		{name: "deleted entry in the middle", tamper: "DELETE FROM audit_log WHERE seq = 2 AND tenant_id = $1", problem: "missing"},
		{name: "deleted last entry", tamper: "DELETE FROM audit_log WHERE seq = 4 AND tenant_id = $1", problem: "entries deleted at the end"},
		{name: "rewritten metadata", tamper: `UPDATE audit_log SET metadata = '{"role":"viewer"}' WHERE seq = 3 AND tenant_id = $1`, problem: "modified"},
		{name: "whole chain deleted", tamper: "DELETE FROM audit_log WHERE tenant_id = $1", problem: "every entry"},
	}
	openers := map[string]func(t *testing.T) (*store.DB, tamperer){
		store.SQLite: func(t *testing.T) (*store.DB, tamperer) {
			db := storetest.OpenSQLite(t)
			return db, sqliteTamper(db)
		},
		store.Postgres: func(t *testing.T) (*store.DB, tamperer) {
			u := storetest.NewPGDatabase(t)
			db, err := store.Open(context.Background(), store.Config{URL: u.App, MigrateURL: u.Owner})
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			return db, pgTamper(u.Owner)
		},
	}
	for dialect, open := range openers {
		for _, tc := range cases {
			t.Run(dialect+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db, tamper := open(t)
				b := setup(t, db)
				tn, err := b.gov.CreateTenant(ctx, sys, "Acme") // seq 1
				require.NoError(t, err)
				u, err := b.gov.CreateUser(ctx, sys, "a@example.com", "A", "")
				require.NoError(t, err)
				_, err = b.gov.AddMember(ctx, sys, tn.ID, u.ID, valdrix.RoleOwner) // seq 2
				require.NoError(t, err)
				_, _, err = b.gov.CreateAPIKey(ctx, sys, tn.ID, "k", valdrix.RoleAdmin, nil) // seq 3
				require.NoError(t, err)
				_, _, err = b.gov.CreateAPIKey(ctx, sys, tn.ID, "k2", valdrix.RoleViewer, nil) // seq 4
				require.NoError(t, err)

				rep, err := b.gov.VerifyAudit(ctx)
				require.NoError(t, err)
				require.True(t, rep.OK(), "%+v", rep.Problems)
				require.Equal(t, int64(5), rep.Events)

				tamper(t, ctx, tc.tamper, string(tn.ID))
				rep, err = b.gov.VerifyAudit(ctx)
				require.NoError(t, err)
				require.False(t, rep.OK())
				require.Equal(t, tn.ID, rep.Problems[0].TenantID)
				require.Contains(t, rep.Problems[0].Problem, tc.problem)
			})
		}
	}
}

func TestSecretsAndKeyRotation(t *testing.T) {
	t.Parallel()
	for dialect, open := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, open(t))
			a, err := b.gov.CreateTenant(ctx, sys, "A")
			require.NoError(t, err)
			other, err := b.gov.CreateTenant(ctx, sys, "B")
			require.NoError(t, err)
			id, err := b.gov.PutSecret(ctx, a.ID, "", "azure.client_secret", []byte("s3cr3t-value"))
			require.NoError(t, err)
			_, err = b.gov.PutSecret(ctx, other.ID, "", "gcp.key", []byte("other-value"))
			require.NoError(t, err)

			stored, err := b.db.GetSecret(ctx, a.ID, id)
			require.NoError(t, err)
			require.NotContains(t, string(stored.Ciphertext), "s3cr3t-value")
			oldKey := stored.KeyID

			_, err = b.gov.GetSecret(ctx, other.ID, id)
			require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err), "another tenant cannot read it")

			rep, err := b.gov.RotateKeys(ctx, sys, true)
			require.NoError(t, err)
			require.Equal(t, 2, rep.Reencrypted)
			require.Equal(t, []string{oldKey}, rep.RetiredKeys)
			require.Equal(t, []string{rep.NewKeyID}, b.keys.IDs())
			stored, err = b.db.GetSecret(ctx, a.ID, id)
			require.NoError(t, err)
			require.Equal(t, rep.NewKeyID, stored.KeyID)
			got, err := b.gov.GetSecret(ctx, a.ID, id)
			require.NoError(t, err)
			require.Equal(t, "s3cr3t-value", string(got))

			// A ciphertext moved to another row (another tenant) does not open.
			stolen := stored
			stolen.ID, stolen.TenantID = valdrix.NewID(), other.ID
			require.NoError(t, b.db.PutSecret(ctx, stolen))
			_, err = b.gov.GetSecret(ctx, other.ID, stolen.ID)
			require.Equal(t, valdrix.EINTERNAL, valdrix.ErrorCode(err))
		})
	}
}

func TestAPIKeyAuthentication(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, storetest.OpenSQLite(t))
	tn, err := b.gov.CreateTenant(ctx, sys, "A")
	require.NoError(t, err)
	exp := b.now.Add(time.Hour)
	k, plain, err := b.gov.CreateAPIKey(ctx, sys, tn.ID, "ci", valdrix.RoleMember, &exp)
	require.NoError(t, err)
	require.Regexp(t, `^vdx_[a-z2-7]{16}_[A-Za-z0-9_-]{43}$`, plain)

	p, err := b.gov.AuthenticateAPIKey(ctx, plain)
	require.NoError(t, err)
	require.Equal(t, valdrix.Principal{Kind: valdrix.PrincipalAPIKey, TenantID: tn.ID, TenantName: "A", Role: valdrix.RoleMember, APIKeyID: k.ID}, p)
	stored, err := b.db.GetAPIKey(ctx, tn.ID, k.ID)
	require.NoError(t, err)
	require.Equal(t, *b.now, *stored.LastUsedAt, "first use is recorded")

	for name, bad := range map[string]string{
		"wrong secret": plain[:len(plain)-3] + "AAA",
		"not a key":    "hello",
		"unknown":      "vdx_aaaaaaaaaaaaaaaa_" + plain[len(plain)-43:],
	} {
		_, err := b.gov.AuthenticateAPIKey(ctx, bad)
		require.Equal(t, valdrix.EUNAUTHORIZED, valdrix.ErrorCode(err), name)
	}

	*b.now = b.now.Add(2 * time.Hour) // past expiry and the cache TTL
	_, err = b.gov.AuthenticateAPIKey(ctx, plain)
	require.Equal(t, valdrix.EUNAUTHORIZED, valdrix.ErrorCode(err), "expired")

	k2, plain2, err := b.gov.CreateAPIKey(ctx, sys, tn.ID, "ci2", valdrix.RoleViewer, nil)
	require.NoError(t, err)
	_, err = b.gov.AuthenticateAPIKey(ctx, plain2)
	require.NoError(t, err)
	_, err = b.gov.RevokeAPIKey(ctx, sys, tn.ID, k2.ID)
	require.NoError(t, err)
	_, err = b.gov.AuthenticateAPIKey(ctx, plain2)
	require.Equal(t, valdrix.EUNAUTHORIZED, valdrix.ErrorCode(err), "revocation applies at once on this node")

	// Keys cannot outrank their creator.
	admin := governance.Actor{Principal: valdrix.Principal{Kind: valdrix.PrincipalUser, TenantID: tn.ID, Role: valdrix.RoleAdmin, UserID: valdrix.NewID()}}
	_, _, err = b.gov.CreateAPIKey(ctx, admin, tn.ID, "x", valdrix.RoleOwner, nil)
	require.Equal(t, valdrix.EFORBIDDEN, valdrix.ErrorCode(err))
	other := governance.Actor{Principal: valdrix.Principal{Kind: valdrix.PrincipalUser, TenantID: valdrix.TenantID(valdrix.NewID()), Role: valdrix.RoleOwner}}
	_, _, err = b.gov.CreateAPIKey(ctx, other, tn.ID, "x", valdrix.RoleViewer, nil)
	require.Equal(t, valdrix.EFORBIDDEN, valdrix.ErrorCode(err), "an actor of another tenant")
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t, storetest.OpenSQLite(t))
	tn, err := b.gov.CreateTenant(ctx, sys, "A")
	require.NoError(t, err)
	_, err = b.gov.CreateUser(ctx, sys, "a@example.com", "", "short")
	require.Equal(t, "password", valdrix.ErrorField(err))
	u, err := b.gov.CreateUser(ctx, sys, " A@Example.COM ", "", "a-long-password!")
	require.NoError(t, err)
	require.Equal(t, "a@example.com", u.Email)
	require.Regexp(t, `^\$argon2id\$v=19\$m=64,t=1,p=1\$`, u.PasswordHash)
	_, err = b.gov.AddMember(ctx, sys, tn.ID, u.ID, valdrix.RoleOwner)
	require.NoError(t, err)
	res, err := b.gov.Login(ctx, "a@example.com", "a-long-password!", "", "192.0.2.1", "test")
	require.NoError(t, err)
	require.Equal(t, valdrix.RoleOwner, res.Principal.Role)
	_, err = b.gov.Login(ctx, "a@example.com", "a-long-password?", "", "192.0.2.1", "test")
	require.Equal(t, valdrix.EUNAUTHORIZED, valdrix.ErrorCode(err))

	p, err := b.gov.AuthenticateSession(ctx, res.Token)
	require.NoError(t, err)
	require.Equal(t, res.Session.ID, p.SessionID)
	*b.now = b.now.Add(13 * time.Hour) // past the default 12 h TTL
	_, err = b.gov.AuthenticateSession(ctx, res.Token)
	require.Equal(t, valdrix.EUNAUTHORIZED, valdrix.ErrorCode(err), "expired session")
}
