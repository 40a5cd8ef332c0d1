package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type connectionBody struct {
	Body inventory.ConnectionSpec
}

// NewConnection is a created connection and, for AWS, what to deploy.
type NewConnection struct {
	Connection inventory.Connection  `json:"connection"`
	Onboarding *inventory.Onboarding `json:"onboarding,omitempty" doc:"AWS: the ExternalId and role templates to deploy"`
}

type newConnectionOutput struct {
	Body NewConnection
}

type connectionOutput struct {
	Body inventory.Connection
}

type updateConnectionInput struct {
	KeyPath
	Body inventory.ConnectionSpec
}

type onboardingOutput struct {
	Body inventory.Onboarding
}

type testOutput struct {
	Body cloud.TestReport
}

type resourcesInput struct {
	PageParams
	Connection string `query:"connection" doc:"Only this connection"`
	Provider   string `query:"provider" enum:"aws,azure,gcp" doc:"Only this provider"`
	Type       string `query:"type" maxLength:"100" doc:"Only this canonical type, e.g. aws.ec2.volume"`
	Region     string `query:"region" maxLength:"100"`
	Account    string `query:"account" maxLength:"200" doc:"AWS account, Azure subscription or GCP project"`
	Tag        string `query:"tag" maxLength:"300" doc:"key (present) or key=value"`
	State      string `query:"state" maxLength:"100" doc:"A provider state (running, available…), present, or gone"`
}

type scansInput struct {
	PageParams
	Connection string `query:"connection" doc:"Only this connection's scans"`
}

type scanOutput struct {
	Body inventory.Scan
}

// resourcePage is a list page with its own cursor format.
type resourcePage struct {
	Items      []inventory.Resource `json:"items" nullable:"false"`
	NextCursor string               `json:"next_cursor,omitempty"`
}

func (s *Server) registerConnections() {
	if s.inventory == nil {
		return
	}
	inv := s.inventory
	handle(s, huma.Operation{
		OperationID: "list-connections", Method: http.MethodGet, Path: "/api/v1/connections", Tags: []string{"connections"},
		Summary: "List cloud connections", Description: "Secrets are never returned.",
	}, viewer, func(ctx context.Context, c call, in *struct{ PageParams }) (*listOutput[inventory.Connection], error) {
		items, next, err := inv.ListConnections(ctx, c.Actor, c.Principal.TenantID, in.page())
		if err != nil {
			return nil, err
		}
		return listOf(items, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "create-connection", Method: http.MethodPost, Path: "/api/v1/connections", Tags: []string{"connections"},
		Summary: "Connect a cloud account", DefaultStatus: http.StatusCreated,
		Description: "AWS: give account_id (and optionally role_arn, regions, the CUR 2.0 export bucket); Valdrix generates the ExternalId and returns the role templates to deploy. Azure: tenant, client id and secret (stored encrypted), subscriptions, export storage. GCP: service-account key (stored encrypted) or workload identity, projects, billing export table. One AWS role can serve only one tenant.",
	}, admin, func(ctx context.Context, c call, in *connectionBody) (*newConnectionOutput, error) {
		conn, onboarding, err := inv.CreateConnection(ctx, c.Actor, c.Principal.TenantID, in.Body)
		if err != nil {
			return nil, err
		}
		return &newConnectionOutput{Body: NewConnection{Connection: conn, Onboarding: onboarding}}, nil
	})
	handle(s, huma.Operation{
		OperationID: "get-connection", Method: http.MethodGet, Path: "/api/v1/connections/{id}", Tags: []string{"connections"},
		Summary: "Get a cloud connection",
	}, viewer, func(ctx context.Context, c call, in *struct{ KeyPath }) (*connectionOutput, error) {
		conn, err := inv.GetConnection(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &connectionOutput{Body: conn}, nil
	})
	handle(s, huma.Operation{
		OperationID: "update-connection", Method: http.MethodPatch, Path: "/api/v1/connections/{id}", Tags: []string{"connections"},
		Summary: "Change a cloud connection", Description: "Changes the settings given; omitted secrets are kept. The provider cannot change.",
	}, admin, func(ctx context.Context, c call, in *updateConnectionInput) (*connectionOutput, error) {
		conn, err := inv.UpdateConnection(ctx, c.Actor, c.Principal.TenantID, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &connectionOutput{Body: conn}, nil
	})
	handle(s, huma.Operation{
		OperationID: "delete-connection", Method: http.MethodDelete, Path: "/api/v1/connections/{id}", Tags: []string{"connections"},
		Summary: "Remove a cloud connection", DefaultStatus: http.StatusNoContent, Description: "Also removes its secrets, scans and inventory.",
	}, admin, func(ctx context.Context, c call, in *struct{ KeyPath }) (*noContent, error) {
		return &noContent{}, inv.DeleteConnection(ctx, c.Actor, c.Principal.TenantID, in.ID)
	})
	handle(s, huma.Operation{
		OperationID: "get-connection-onboarding", Method: http.MethodGet, Path: "/api/v1/connections/{id}/onboarding", Tags: []string{"connections"},
		Summary: "Get what to deploy for a connection", Description: "AWS: the ExternalId, the CloudFormation template and Terraform module rendered with it, and the quick-create link.",
	}, admin, func(ctx context.Context, c call, in *struct{ KeyPath }) (*onboardingOutput, error) {
		o, err := inv.Onboarding(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &onboardingOutput{Body: o}, nil
	})
	handle(s, huma.Operation{
		OperationID: "test-connection", Method: http.MethodPost, Path: "/api/v1/connections/{id}/test", Tags: []string{"connections"},
		Summary:     "Test a cloud connection",
		Description: "Tries each permission (assume the role, search resources, read the export…) and says which one is missing and how to grant it. The connection becomes active or failing.",
	}, member, func(ctx context.Context, c call, in *struct{ KeyPath }) (*testOutput, error) {
		rep, err := inv.TestConnection(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &testOutput{Body: rep}, nil
	})
	if s.jobs != nil {
		handle(s, huma.Operation{
			OperationID: "scan-connection", Method: http.MethodPost, Path: "/api/v1/connections/{id}/scan", Tags: []string{"connections"},
			Summary: "Scan a connection now", DefaultStatus: http.StatusAccepted,
			Description: "Enqueues a scan (import the billing export, discover resources, detect waste). Asking again while one is waiting or running returns the same job (duplicate: true). Follow it with GET /api/v1/jobs/{id}; the scan's record appears under GET /api/v1/scans.",
		}, member, func(ctx context.Context, c call, in *struct{ KeyPath }) (*struct{ Body jobs.Result }, error) {
			conn, err := inv.GetConnection(ctx, c.Actor, c.Principal.TenantID, in.ID)
			if err != nil {
				return nil, err
			}
			if conn.Status == inventory.StatusDisabled {
				return nil, valdrix.Errorf(valdrix.ECONFLICT, "The connection is disabled.")
			}
			res, err := scan.Enqueue(ctx, s.jobs, c.Principal.TenantID, conn.ID, s.clock.Now())
			if err != nil {
				return nil, err
			}
			return &struct{ Body jobs.Result }{Body: res}, nil
		})
	}
	handle(s, huma.Operation{
		OperationID: "list-resources", Method: http.MethodGet, Path: "/api/v1/resources", Tags: []string{"inventory"},
		Summary: "List inventoried resources", Description: "Ordered by type and id.",
	}, viewer, func(ctx context.Context, c call, in *resourcesInput) (*struct{ Body resourcePage }, error) {
		f := inventory.ResourceFilter{Connection: in.Connection, Provider: valdrix.Provider(in.Provider), Type: in.Type,
			Region: in.Region, Account: in.Account, Tag: in.Tag, State: in.State}
		items, next, err := inv.ListResources(ctx, c.Actor, c.Principal.TenantID, f, in.page())
		if err != nil {
			return nil, err
		}
		if items == nil {
			items = []inventory.Resource{}
		}
		return &struct{ Body resourcePage }{Body: resourcePage{Items: items, NextCursor: next}}, nil
	})
	handle(s, huma.Operation{
		OperationID: "list-scans", Method: http.MethodGet, Path: "/api/v1/scans", Tags: []string{"inventory"},
		Summary: "List discovery scans",
	}, viewer, func(ctx context.Context, c call, in *scansInput) (*listOutput[inventory.Scan], error) {
		items, next, err := inv.ListScans(ctx, c.Actor, c.Principal.TenantID, in.Connection, in.page())
		if err != nil {
			return nil, err
		}
		return listOf(items, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "get-scan", Method: http.MethodGet, Path: "/api/v1/scans/{id}", Tags: []string{"inventory"},
		Summary: "Get a discovery scan", Description: "Per region and service: status, resources found, and the error with the missing permission.",
	}, viewer, func(ctx context.Context, c call, in *struct{ KeyPath }) (*scanOutput, error) {
		sc, err := inv.GetScan(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &scanOutput{Body: sc}, nil
	})
}
