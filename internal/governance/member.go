package governance

import (
	"context"
	"errors"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Invite is the result of inviting a member.
type Invite struct {
	Member Member
	// Token lets a new user set a password (POST /api/v1/auth/accept-invite).
	// It is shown once and empty when the user already had a password.
	Token string
}

// ListMembers lists a tenant's members.
func (s *Service) ListMembers(ctx context.Context, actor Actor, tenant valdrix.TenantID, page Page) ([]Member, string, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return nil, "", err
	}
	return s.store.ListMembers(ctx, tenant, page.Normalize())
}

// AddMember gives an existing user a role in tenant (installation
// administrators only; members invite through InviteMember).
func (s *Service) AddMember(ctx context.Context, actor Actor, tenant valdrix.TenantID, userID string, role valdrix.Role) (Member, error) {
	if !actor.isSystem() {
		return Member{}, valdrix.Errorf(valdrix.EFORBIDDEN, "Use an invitation to add members.")
	}
	if !role.Valid() {
		return Member{}, valdrix.FieldError("role", "unknown role %q", role)
	}
	var m Member
	err := s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		if _, err := s.store.GetTenant(ctx, tenant); err != nil {
			return err
		}
		if _, err := s.store.GetUser(ctx, userID); err != nil {
			return err
		}
		if err := s.store.PutMembership(ctx, tenant, userID, role, s.now()); err != nil {
			return err
		}
		var err error
		if m, err = s.store.GetMember(ctx, tenant, userID); err != nil {
			return err
		}
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "member.add", userID, map[string]any{"role": string(role)})
	})
	return m, err
}

// InviteMember gives the user with email a role in tenant, creating the
// account if it does not exist. The actor needs admin, and cannot grant a
// role above its own.
func (s *Service) InviteMember(ctx context.Context, actor Actor, tenant valdrix.TenantID, email string, role valdrix.Role) (Invite, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return Invite{}, err
	}
	if !role.Valid() {
		return Invite{}, valdrix.FieldError("role", "unknown role %q", role)
	}
	if !actor.role().AtLeast(role) {
		return Invite{}, valdrix.Errorf(valdrix.EFORBIDDEN, "You cannot grant the %s role.", role)
	}
	e, err := normalizeEmail(email)
	if err != nil {
		return Invite{}, err
	}
	var inv Invite
	err = s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		u, err := s.store.GetUserByEmail(ctx, e)
		switch {
		case valdrix.ErrorCode(err) == valdrix.ENOTFOUND:
			if u, err = s.newUser(ctx, e, "", ""); err != nil {
				return err
			}
			if err := s.store.CreateUser(ctx, u); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if _, err := s.store.GetMember(ctx, tenant, u.ID); err == nil {
			return valdrix.Errorf(valdrix.ECONFLICT, "%s is already a member.", e)
		} else if valdrix.ErrorCode(err) != valdrix.ENOTFOUND {
			return err
		}
		now := s.now()
		if err := s.store.PutMembership(ctx, tenant, u.ID, role, now); err != nil {
			return err
		}
		if u.PasswordHash == "" {
			token, hash := newToken()
			if err := s.store.CreateInvitation(ctx, Invitation{
				ID: valdrix.NewID(), TenantID: tenant, UserID: u.ID, TokenHash: hash, Role: role,
				CreatedBy: actor.Principal.Actor(), CreatedAt: now, ExpiresAt: now.Add(s.cfg.InvitationTTL),
			}); err != nil {
				return err
			}
			inv.Token = token
		}
		if inv.Member, err = s.store.GetMember(ctx, tenant, u.ID); err != nil {
			return err
		}
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "member.invite", u.ID, map[string]any{"email": e, "role": string(role)})
	})
	return inv, err
}

// ChangeRole changes a member's role. The actor needs admin, cannot act on a
// member above its own role or grant a role above its own, and the last owner
// cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, actor Actor, tenant valdrix.TenantID, userID string, role valdrix.Role) (Member, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return Member{}, err
	}
	if !role.Valid() {
		return Member{}, valdrix.FieldError("role", "unknown role %q", role)
	}
	if !actor.role().AtLeast(role) {
		return Member{}, valdrix.Errorf(valdrix.EFORBIDDEN, "You cannot grant the %s role.", role)
	}
	var m Member
	err := s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		cur, err := s.store.GetMember(ctx, tenant, userID)
		if err != nil {
			return err
		}
		if !actor.role().AtLeast(cur.Role) {
			return valdrix.Errorf(valdrix.EFORBIDDEN, "You cannot change the role of a member with the %s role.", cur.Role)
		}
		if cur.Role == valdrix.RoleOwner && role != valdrix.RoleOwner {
			if err := s.keepAnOwner(ctx, tenant); err != nil {
				return err
			}
		}
		if err := s.store.PutMembership(ctx, tenant, userID, role, cur.CreatedAt); err != nil {
			return err
		}
		if m, err = s.store.GetMember(ctx, tenant, userID); err != nil {
			return err
		}
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "member.role_change", userID,
			map[string]any{"from": string(cur.Role), "to": string(role)})
	})
	return m, err
}

func (s *Service) keepAnOwner(ctx context.Context, tenant valdrix.TenantID) error {
	n, err := s.store.CountOwners(ctx, tenant)
	if err != nil {
		return err
	}
	if n <= 1 {
		return valdrix.Errorf(valdrix.ECONFLICT, "A tenant must keep at least one owner.")
	}
	return nil
}

// RemoveMember removes a member from tenant and ends their sessions there.
func (s *Service) RemoveMember(ctx context.Context, actor Actor, tenant valdrix.TenantID, userID string) error {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return err
	}
	return s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		cur, err := s.store.GetMember(ctx, tenant, userID)
		if err != nil {
			return err
		}
		if !actor.role().AtLeast(cur.Role) {
			return valdrix.Errorf(valdrix.EFORBIDDEN, "You cannot remove a member with the %s role.", cur.Role)
		}
		if cur.Role == valdrix.RoleOwner {
			if err := s.keepAnOwner(ctx, tenant); err != nil {
				return err
			}
		}
		if err := s.store.DeleteMembership(ctx, tenant, userID); err != nil {
			return err
		}
		if err := s.store.DeleteTenantSessions(ctx, tenant, userID); err != nil {
			return err
		}
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "member.remove", userID, map[string]any{"role": string(cur.Role)})
	})
}

// errNotFound reports whether err is a not-found error.
func errNotFound(err error) bool {
	var e *valdrix.Error
	return errors.As(err, &e) && e.Code == valdrix.ENOTFOUND
}
