package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TenantRef names a tenant.
type TenantRef struct {
	ID   valdrix.TenantID `json:"id" doc:"Tenant id"`
	Name string           `json:"name" doc:"Tenant name"`
}

// UserRef names a user.
type UserRef struct {
	ID    string `json:"id" doc:"User id"`
	Email string `json:"email" doc:"Email address"`
}

// Me describes the caller.
type Me struct {
	Kind        valdrix.PrincipalKind   `json:"kind" enum:"user,api_key,jwt" doc:"How the caller authenticated"`
	Tenant      TenantRef               `json:"tenant"`
	Role        valdrix.Role            `json:"role" enum:"owner,admin,member,viewer"`
	User        *UserRef                `json:"user,omitempty" doc:"The user, for sessions and JWTs that map to a member"`
	APIKeyID    string                  `json:"api_key_id,omitempty" doc:"The API key, for API-key callers"`
	Subject     string                  `json:"subject,omitempty" doc:"The JWT subject, for JWT callers"`
	Memberships []governance.Membership `json:"memberships,omitempty" doc:"Every tenant the user belongs to (login only)"`
}

type loginInput struct {
	Body struct {
		Email    string   `json:"email" maxLength:"254" doc:"Account email"`
		Password string   `json:"password" maxLength:"1024" doc:"Account password"`
		Tenant   string   `json:"tenant,omitempty" doc:"Tenant to log into; optional when the user belongs to one tenant"`
		_        struct{} `json:"-" additionalProperties:"false"`
	}
}

type loginOutput struct {
	SetCookie string `header:"Set-Cookie"`
	Body      Me
}

type emptyInput struct{}

type logoutOutput struct {
	SetCookie string `header:"Set-Cookie"`
}

type meOutput struct {
	Body Me
}

type acceptInput struct {
	Body struct {
		Token    string   `json:"token" minLength:"1" maxLength:"100" doc:"The invitation token"`
		Password string   `json:"password" minLength:"12" maxLength:"1024" doc:"The new account password"`
		_        struct{} `json:"-" additionalProperties:"false"`
	}
}

type memberOutput struct {
	Body governance.Member
}

func (s *Server) registerAuth() {
	handle(s, huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login", Tags: []string{"auth"},
		Summary: "Log in", Description: "Checks the email and password and sets the session cookie. Failed attempts are throttled per IP and per email.",
	}, public, s.login)
	handle(s, huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout", Tags: []string{"auth"},
		Summary: "Log out", Description: "Ends the cookie session.", DefaultStatus: http.StatusNoContent,
	}, anyRole, func(ctx context.Context, c call, _ *emptyInput) (*logoutOutput, error) {
		if err := s.gov.Logout(ctx, c.Actor); err != nil {
			return nil, err
		}
		return &logoutOutput{SetCookie: s.cookie(ctx, "", -1).String()}, nil
	})
	handle(s, huma.Operation{
		OperationID: "accept-invite", Method: http.MethodPost, Path: "/api/v1/auth/accept-invite", Tags: []string{"auth"},
		Summary: "Accept an invitation", Description: "Sets the invited user's password; they can then log in.",
	}, public, func(ctx context.Context, c call, in *acceptInput) (*memberOutput, error) {
		m, err := s.gov.AcceptInvite(ctx, in.Body.Token, in.Body.Password, c.Client.IP)
		if err != nil {
			return nil, err
		}
		return &memberOutput{Body: m}, nil
	})
	handle(s, huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/me", Tags: []string{"auth"},
		Summary: "Who am I", Description: "The caller's tenant, role and identity.",
	}, viewer, func(ctx context.Context, c call, _ *emptyInput) (*meOutput, error) {
		t := governance.Tenant{ID: c.Principal.TenantID, Name: c.Principal.TenantName}
		if t.Name == "" { // not known from authentication
			var err error
			if t, err = s.gov.GetTenant(ctx, c.Actor, c.Principal.TenantID); err != nil {
				return nil, err
			}
		}
		return &meOutput{Body: meOf(c.Principal, t)}, nil
	})
}

func meOf(p valdrix.Principal, t governance.Tenant) Me {
	m := Me{Kind: p.Kind, Tenant: TenantRef{ID: t.ID, Name: t.Name}, Role: p.Role, APIKeyID: p.APIKeyID, Subject: p.Subject}
	if p.UserID != "" {
		m.User = &UserRef{ID: p.UserID, Email: p.Email}
	}
	return m
}

func (s *Server) login(ctx context.Context, c call, in *loginInput) (*loginOutput, error) {
	now := s.clock.Now()
	email := strings.ToLower(strings.TrimSpace(in.Body.Email))
	keys := []string{"ip:" + c.Client.IP, "email:" + email}
	for _, k := range keys {
		if blocked, wait := s.loginFailures.blocked(k, now); blocked {
			s.metrics.limited.WithLabelValues("login").Inc()
			return nil, huma.ErrorWithHeaders(newProblem(ctx, http.StatusTooManyRequests, codeRateLimited,
				"Too many failed logins; retry after the time in Retry-After."), http.Header{"Retry-After": {retryAfter(wait)}})
		}
	}
	var tenant valdrix.TenantID
	if in.Body.Tenant != "" {
		t, err := valdrix.ParseTenantID("tenant", in.Body.Tenant)
		if err != nil {
			return nil, err
		}
		tenant = t
	}
	res, err := s.gov.Login(ctx, in.Body.Email, in.Body.Password, tenant, c.Client.IP, c.Client.UserAgent)
	if err != nil {
		if valdrix.ErrorCode(err) == valdrix.EUNAUTHORIZED {
			for _, k := range keys {
				s.loginFailures.fail(k, now)
			}
		}
		return nil, err
	}
	for _, k := range keys {
		s.loginFailures.succeed(k)
	}
	var name string
	for _, m := range res.Memberships {
		if m.TenantID == res.Principal.TenantID {
			name = m.TenantName
		}
	}
	me := meOf(res.Principal, governance.Tenant{ID: res.Principal.TenantID, Name: name})
	me.Memberships = res.Memberships
	return &loginOutput{
		SetCookie: s.cookie(ctx, res.Token, int(s.sessionTTL/time.Second)).String(),
		Body:      me,
	}, nil
}
