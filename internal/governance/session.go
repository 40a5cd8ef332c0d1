package governance

import (
	"context"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// LoginResult is a new session.
type LoginResult struct {
	// Token is the session cookie's value; only its hash is stored.
	Token       string
	Session     Session
	Principal   valdrix.Principal
	Memberships []Membership
}

var errBadLogin = valdrix.Errorf(valdrix.EUNAUTHORIZED, "The email or password is wrong.")

// Login checks a password and opens a session in tenant, or in the user's
// only tenant when tenant is empty. Unknown users and wrong passwords give the
// same error after the same work.
func (s *Service) Login(ctx context.Context, email, password string, tenant valdrix.TenantID, ip, userAgent string) (LoginResult, error) {
	e, err := normalizeEmail(email)
	if err != nil {
		_, _ = s.hasher.Verify(ctx, s.dummy, password)
		return LoginResult{}, errBadLogin
	}
	u, err := s.store.GetUserByEmail(ctx, e)
	if err != nil && !errNotFound(err) {
		return LoginResult{}, err
	}
	hash := u.PasswordHash
	if err != nil || hash == "" || u.DisabledAt != nil {
		_, _ = s.hasher.Verify(ctx, s.dummy, password)
		return LoginResult{}, errBadLogin
	}
	ok, err := s.hasher.Verify(ctx, hash, password)
	if err != nil {
		return LoginResult{}, valdrix.Wrap(valdrix.EINTERNAL, err, "The password could not be checked.")
	}
	if !ok {
		return LoginResult{}, errBadLogin
	}
	ms, err := s.store.MembershipsOfUser(ctx, u.ID)
	if err != nil {
		return LoginResult{}, err
	}
	var chosen *Membership
	for i := range ms {
		if tenant == "" && len(ms) == 1 || ms[i].TenantID == tenant {
			chosen = &ms[i]
		}
	}
	switch {
	case len(ms) == 0:
		return LoginResult{}, valdrix.Errorf(valdrix.EFORBIDDEN, "Your account is not a member of any tenant.")
	case chosen == nil && tenant == "":
		return LoginResult{}, valdrix.FieldError("tenant", "you belong to %d tenants: choose one", len(ms))
	case chosen == nil:
		return LoginResult{}, valdrix.Errorf(valdrix.EFORBIDDEN, "You are not a member of that tenant.")
	}
	now := s.now().Truncate(time.Microsecond)
	token, th := newToken()
	sess := Session{
		ID: valdrix.NewID(), TokenHash: th, UserID: u.ID, TenantID: chosen.TenantID,
		CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), LastSeenAt: now,
		IP: ip, UserAgent: truncate(userAgent, 300),
	}
	p := valdrix.Principal{Kind: valdrix.PrincipalUser, TenantID: chosen.TenantID, Role: chosen.Role, UserID: u.ID, Email: u.Email, SessionID: sess.ID}
	err = s.store.Atomic(ctx, chosen.TenantID, func(ctx context.Context) error {
		if err := s.store.CreateSession(ctx, sess); err != nil {
			return err
		}
		return s.audit(ctx, chosen.TenantID, p, ip, "auth.login", u.ID, nil)
	})
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, Session: sess, Principal: p, Memberships: ms}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var errBadSession = valdrix.Errorf(valdrix.EUNAUTHORIZED, "Your session has expired; log in again.")

// AuthenticateSession returns the principal of a live session. The role is
// read from the membership on every request, so a role change or removal
// takes effect at once.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (valdrix.Principal, error) {
	if token == "" || len(token) > 100 {
		return valdrix.Principal{}, errBadSession
	}
	sess, err := s.store.GetSessionByToken(ctx, hashToken(token))
	if err != nil {
		if errNotFound(err) {
			return valdrix.Principal{}, errBadSession
		}
		return valdrix.Principal{}, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) {
		return valdrix.Principal{}, errBadSession
	}
	m, err := s.store.GetMember(ctx, sess.TenantID, sess.UserID)
	if err != nil {
		if errNotFound(err) {
			return valdrix.Principal{}, errBadSession
		}
		return valdrix.Principal{}, err
	}
	if now.Sub(sess.LastSeenAt) >= s.cfg.touchGranularity {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			s.log.WarnContext(ctx, "record session use", "session_id", sess.ID, "error", err)
		}
	}
	return valdrix.Principal{Kind: valdrix.PrincipalUser, TenantID: sess.TenantID, Role: m.Role, UserID: sess.UserID, Email: m.Email, SessionID: sess.ID}, nil
}

// Logout ends the principal's session. Logging out twice is not an error.
func (s *Service) Logout(ctx context.Context, actor Actor) error {
	p := actor.Principal
	if p.SessionID == "" {
		return valdrix.Errorf(valdrix.EINVALID, "Only cookie sessions can log out; revoke API keys instead.")
	}
	return s.store.Atomic(ctx, p.TenantID, func(ctx context.Context) error {
		if err := s.store.DeleteSession(ctx, p.SessionID); err != nil && !errNotFound(err) {
			return err
		}
		return s.audit(ctx, p.TenantID, p, actor.IP, "auth.logout", p.UserID, nil)
	})
}

// AcceptInvite sets the invited user's password; they can then log in.
func (s *Service) AcceptInvite(ctx context.Context, token, password, ip string) (Member, error) {
	if err := validatePassword(password); err != nil {
		return Member{}, err
	}
	inv, err := s.store.LookupInvitation(ctx, hashToken(token))
	if err != nil {
		if errNotFound(err) {
			return Member{}, valdrix.Errorf(valdrix.ENOTFOUND, "The invitation is not valid.")
		}
		return Member{}, err
	}
	now := s.now().Truncate(time.Microsecond)
	if inv.AcceptedAt != nil || !now.Before(inv.ExpiresAt) {
		return Member{}, valdrix.Errorf(valdrix.ECONFLICT, "The invitation was already used or has expired.")
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return Member{}, err
	}
	var m Member
	err = s.store.Atomic(ctx, inv.TenantID, func(ctx context.Context) error {
		if err := s.store.AcceptInvitation(ctx, inv.TenantID, inv.ID, now); err != nil {
			return err
		}
		if err := s.store.SetUserPassword(ctx, inv.UserID, hash); err != nil {
			return err
		}
		if m, err = s.store.GetMember(ctx, inv.TenantID, inv.UserID); err != nil {
			return err
		}
		p := valdrix.Principal{Kind: valdrix.PrincipalUser, TenantID: inv.TenantID, Role: m.Role, UserID: inv.UserID}
		return s.audit(ctx, inv.TenantID, p, ip, "auth.accept_invite", inv.UserID, nil)
	})
	return m, err
}

// SetPassword sets a user's password (installation administrators only).
func (s *Service) SetPassword(ctx context.Context, actor Actor, userID, password string) error {
	if !actor.isSystem() {
		return valdrix.Errorf(valdrix.EFORBIDDEN, "Only an administrator of the installation can set passwords.")
	}
	if err := validatePassword(password); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	return s.store.System(ctx, func(ctx context.Context) error {
		if err := s.store.SetUserPassword(ctx, userID, hash); err != nil {
			return err
		}
		return s.audit(ctx, SystemTenant, actor.Principal, actor.IP, "user.set_password", userID, nil)
	})
}

// ExternalPrincipal is the principal of a verified bearer JWT: its tenant
// must exist; its role is the token's; when its email belongs to a member of
// that tenant, the principal is that user.
func (s *Service) ExternalPrincipal(ctx context.Context, subject, email string, tenant valdrix.TenantID, role valdrix.Role) (valdrix.Principal, error) {
	if _, err := s.store.GetTenant(ctx, tenant); err != nil {
		if errNotFound(err) {
			return valdrix.Principal{}, valdrix.Errorf(valdrix.EUNAUTHORIZED, "The bearer token names an unknown tenant.")
		}
		return valdrix.Principal{}, err
	}
	p := valdrix.Principal{Kind: valdrix.PrincipalJWT, TenantID: tenant, Role: role, Subject: subject, Email: email}
	if email != "" {
		u, err := s.store.GetUserByEmail(ctx, email)
		switch {
		case err == nil:
			if _, err := s.store.GetMember(ctx, tenant, u.ID); err == nil {
				p.UserID = u.ID
			} else if !errNotFound(err) {
				return valdrix.Principal{}, err
			}
		case !errNotFound(err):
			return valdrix.Principal{}, err
		}
	}
	return p, nil
}
