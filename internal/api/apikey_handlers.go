package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type listKeysInput struct {
	PageParams
}

type createKeyInput struct {
	Body struct {
		Name      string       `json:"name,omitempty" maxLength:"200" doc:"A label for the key"`
		Role      valdrix.Role `json:"role" enum:"owner,admin,member,viewer" doc:"The key's role (at most your own)"`
		ExpiresAt *time.Time   `json:"expires_at,omitempty" doc:"When the key stops working; never when absent"`
		_         struct{}     `json:"-" additionalProperties:"false"`
	}
}

// NewAPIKey is a created key with its secret, shown once.
type NewAPIKey struct {
	APIKey governance.APIKey `json:"api_key"`
	Key    string            `json:"key" doc:"The key itself. It is shown only now; store it safely."`
}

type createKeyOutput struct {
	Body NewAPIKey
}

type KeyPath struct {
	ID string `path:"id" doc:"The key's id"`
}

type apiKeyOutput struct {
	Body governance.APIKey
}

func (s *Server) registerAPIKeys() {
	handle(s, huma.Operation{
		OperationID: "list-api-keys", Method: http.MethodGet, Path: "/api/v1/api-keys", Tags: []string{"api keys"},
		Summary: "List API keys", Description: "Keys never include their secret.",
	}, admin, func(ctx context.Context, c call, in *listKeysInput) (*listOutput[governance.APIKey], error) {
		ks, next, err := s.gov.ListAPIKeys(ctx, c.Actor, c.Principal.TenantID, in.page())
		if err != nil {
			return nil, err
		}
		return listOf(ks, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "create-api-key", Method: http.MethodPost, Path: "/api/v1/api-keys", Tags: []string{"api keys"},
		Summary: "Create an API key", DefaultStatus: http.StatusCreated,
	}, admin, func(ctx context.Context, c call, in *createKeyInput) (*createKeyOutput, error) {
		k, plain, err := s.gov.CreateAPIKey(ctx, c.Actor, c.Principal.TenantID, in.Body.Name, in.Body.Role, in.Body.ExpiresAt)
		if err != nil {
			return nil, err
		}
		return &createKeyOutput{Body: NewAPIKey{APIKey: k, Key: plain}}, nil
	})
	handle(s, huma.Operation{
		OperationID: "revoke-api-key", Method: http.MethodDelete, Path: "/api/v1/api-keys/{id}", Tags: []string{"api keys"},
		Summary: "Revoke an API key", Description: "Revoking twice is not an error.",
	}, admin, func(ctx context.Context, c call, in *struct{ KeyPath }) (*apiKeyOutput, error) {
		k, err := s.gov.RevokeAPIKey(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &apiKeyOutput{Body: k}, nil
	})
}
