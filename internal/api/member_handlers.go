package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type listMembersInput struct {
	PageParams
}

type inviteInput struct {
	Body struct {
		Email string       `json:"email" maxLength:"254" doc:"The person's email"`
		Role  valdrix.Role `json:"role" enum:"owner,admin,member,viewer" doc:"Role to grant (at most your own)"`
		_     struct{}     `json:"-" additionalProperties:"false"`
	}
}

// Invitation is the result of inviting a member.
type Invitation struct {
	Member governance.Member `json:"member"`
	// InviteToken is shown once, when the account has no password yet.
	InviteToken string `json:"invite_token,omitempty" doc:"Shown once: the new user sets a password with POST /api/v1/auth/accept-invite"`
}

type inviteOutput struct {
	Body Invitation
}

type MemberPath struct {
	UserID string `path:"user_id" doc:"The member's user id"`
}

type changeRoleInput struct {
	MemberPath
	Body struct {
		Role valdrix.Role `json:"role" enum:"owner,admin,member,viewer" doc:"The new role"`
		_    struct{}     `json:"-" additionalProperties:"false"`
	}
}

type removeMemberInput struct {
	MemberPath
}

type noContent struct{}

func (s *Server) registerMembers() {
	handle(s, huma.Operation{
		OperationID: "list-members", Method: http.MethodGet, Path: "/api/v1/members", Tags: []string{"members"},
		Summary: "List members",
	}, viewer, func(ctx context.Context, c call, in *listMembersInput) (*listOutput[governance.Member], error) {
		ms, next, err := s.gov.ListMembers(ctx, c.Actor, c.Principal.TenantID, in.page())
		if err != nil {
			return nil, err
		}
		return listOf(ms, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "invite-member", Method: http.MethodPost, Path: "/api/v1/members", Tags: []string{"members"},
		Summary: "Invite a member", DefaultStatus: http.StatusCreated,
		Description: "Gives the person a role in your tenant, creating their account if needed.",
	}, admin, func(ctx context.Context, c call, in *inviteInput) (*inviteOutput, error) {
		inv, err := s.gov.InviteMember(ctx, c.Actor, c.Principal.TenantID, in.Body.Email, in.Body.Role)
		if err != nil {
			return nil, err
		}
		return &inviteOutput{Body: Invitation{Member: inv.Member, InviteToken: inv.Token}}, nil
	})
	handle(s, huma.Operation{
		OperationID: "change-member-role", Method: http.MethodPatch, Path: "/api/v1/members/{user_id}", Tags: []string{"members"},
		Summary: "Change a member's role", Description: "You cannot grant or change a role above your own, or demote the last owner.",
	}, admin, func(ctx context.Context, c call, in *changeRoleInput) (*memberOutput, error) {
		m, err := s.gov.ChangeRole(ctx, c.Actor, c.Principal.TenantID, in.UserID, in.Body.Role)
		if err != nil {
			return nil, err
		}
		return &memberOutput{Body: m}, nil
	})
	handle(s, huma.Operation{
		OperationID: "remove-member", Method: http.MethodDelete, Path: "/api/v1/members/{user_id}", Tags: []string{"members"},
		Summary: "Remove a member", DefaultStatus: http.StatusNoContent, Description: "Also ends their sessions in this tenant.",
	}, admin, func(ctx context.Context, c call, in *removeMemberInput) (*noContent, error) {
		return &noContent{}, s.gov.RemoveMember(ctx, c.Actor, c.Principal.TenantID, in.UserID)
	})
}
