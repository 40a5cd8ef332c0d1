package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Ledger is what the cost endpoints read besides reporting's queries.
type Ledger interface {
	ListImports(ctx context.Context, tenant valdrix.TenantID, f ingestion.ImportFilter, limit int, cursor string) ([]ingestion.Import, string, error)
	GetImport(ctx context.Context, tenant valdrix.TenantID, id string) (ingestion.Import, error)
	ListReconciliationAlerts(ctx context.Context, tenant valdrix.TenantID, limit int, cursor string) ([]ingestion.ReconciliationAlert, string, error)
	WalkLedger(ctx context.Context, tenant valdrix.TenantID, from, to valdrix.Date, fn func(r *ingestion.LedgerRow) error) error
}

// WindowParams select days: both ends included.
type WindowParams struct {
	From string `query:"from" required:"true" pattern:"^\\d{4}-\\d{2}-\\d{2}$" doc:"First day (YYYY-MM-DD)"`
	To   string `query:"to" required:"true" pattern:"^\\d{4}-\\d{2}-\\d{2}$" doc:"Last day, included (YYYY-MM-DD)"`
}

func (w WindowParams) window() (valdrix.Date, valdrix.Date, error) {
	from, err := valdrix.ParseDate("from", w.From)
	if err != nil {
		return 0, 0, err
	}
	to, err := valdrix.ParseDate("to", w.To)
	if err != nil {
		return 0, 0, err
	}
	if to < from {
		return 0, 0, valdrix.FieldError("to", "is before from")
	}
	return from, to.AddDays(1), nil
}

type costsInput struct {
	WindowParams
	GroupBy []string `query:"group_by" doc:"Comma-separated dimensions: provider, billing_account, account, service, category, region, resource, resource_type, charge_category, sku, usage_type, currency, day, month, source, tag:NAME"`
	Filter  []string `query:"filter,explode" doc:"KEY=VALUE, repeatable; several values of one key are alternatives"`
	Limit   int      `query:"limit" minimum:"0" maximum:"100000" default:"0" doc:"At most this many groups, largest effective cost first (0: all)"`
}

// CostsResult is the answer of GET /api/v1/costs.
type CostsResult struct {
	Columns []string         `json:"columns" doc:"The record fields in order: the group_by dimensions, then the metrics"`
	Items   []map[string]any `json:"items" doc:"One record per group: dimension values, and billed_cost, effective_cost, list_cost, consumed_quantity as exact decimal strings (null when unknown), and rows"`
}

type costsOutput struct {
	Body CostsResult
}

type importsInput struct {
	PageParams
	Source string `query:"source" maxLength:"200" doc:"Only this source (connection id or local:<name>)"`
	Period string `query:"period" pattern:"^\\d{4}-\\d{2}$" doc:"Only this billing period (YYYY-MM)"`
	Status string `query:"status" enum:"running,succeeded,unchanged,failed,superseded" doc:"Only this status"`
}

type importOutput struct {
	Body ingestion.Import
}

type exportInput struct {
	WindowParams
	FileFormat string `query:"file_format" enum:"csv,parquet" default:"csv" doc:"csv or parquet"`
}

type settingsOutput struct {
	Body governance.TenantSettings
}

type settingsInput struct {
	Body struct {
		governance.TenantSettings
		_ struct{} `json:"-" additionalProperties:"false"`
	}
}

func (s *Server) registerCosts() {
	if s.reporting == nil || s.ledger == nil {
		return
	}
	handle(s, huma.Operation{
		OperationID: "get-costs", Method: http.MethodGet, Path: "/api/v1/costs", Tags: []string{"costs"},
		Summary:     "Sum costs",
		Description: "Sums the ledger over [from, to] (days included), grouped by the given dimensions and filtered. Sums never mix currencies: with several, group by currency or filter one.",
	}, viewer, func(ctx context.Context, c call, in *costsInput) (*costsOutput, error) {
		from, to, err := in.window()
		if err != nil {
			return nil, err
		}
		q := reporting.CostQuery{From: from, To: to, Limit: in.Limit}
		for _, g := range in.GroupBy {
			for _, part := range strings.Split(g, ",") {
				if part = strings.TrimSpace(part); part == "" {
					continue
				}
				k, err := reporting.ParseCostKey("group_by", part)
				if err != nil {
					return nil, err
				}
				q.GroupBy = append(q.GroupBy, k)
			}
		}
		for _, f := range in.Filter {
			cf, err := reporting.ParseCostFilter("filter", f)
			if err != nil {
				return nil, err
			}
			q.Filters = append(q.Filters, cf)
		}
		groups, err := s.reporting.Costs(ctx, c.Principal.TenantID, q)
		if err != nil {
			return nil, err
		}
		out := CostsResult{Columns: reporting.CostColumns(q), Items: make([]map[string]any, len(groups))}
		for i, g := range groups {
			out.Items[i] = reporting.CostRecord(q, g)
		}
		return &costsOutput{Body: out}, nil
	})
	handle(s, huma.Operation{
		OperationID: "list-imports", Method: http.MethodGet, Path: "/api/v1/costs/imports", Tags: []string{"costs"},
		Summary: "List billing imports", Description: "Every import attempt: source, manifest, rows read and kept, totals per charge category, duration, status and error.",
	}, viewer, func(ctx context.Context, c call, in *importsInput) (*listOutput[ingestion.Import], error) {
		f := ingestion.ImportFilter{Source: in.Source, Status: ingestion.ImportStatus(in.Status)}
		if in.Period != "" {
			m, err := valdrix.ParseMonth("period", in.Period)
			if err != nil {
				return nil, err
			}
			f.BillingPeriod = m
		}
		p := in.page().Normalize()
		items, next, err := s.ledger.ListImports(ctx, c.Principal.TenantID, f, p.Limit, p.Cursor)
		if err != nil {
			return nil, err
		}
		return listOf(items, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "get-import", Method: http.MethodGet, Path: "/api/v1/costs/imports/{id}", Tags: []string{"costs"},
		Summary: "Get a billing import",
	}, viewer, func(ctx context.Context, c call, in *struct{ KeyPath }) (*importOutput, error) {
		imp, err := s.ledger.GetImport(ctx, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &importOutput{Body: imp}, nil
	})
	handle(s, huma.Operation{
		OperationID: "list-reconciliation-alerts", Method: http.MethodGet, Path: "/api/v1/reconciliation/alerts", Tags: []string{"costs"},
		Summary: "List reconciliation alerts", Description: "Billing periods whose totals moved more than the tenant's threshold between imports, or disagree with the export's own figures.",
	}, viewer, func(ctx context.Context, c call, in *struct{ PageParams }) (*listOutput[ingestion.ReconciliationAlert], error) {
		p := in.page().Normalize()
		items, next, err := s.ledger.ListReconciliationAlerts(ctx, c.Principal.TenantID, p.Limit, p.Cursor)
		if err != nil {
			return nil, err
		}
		return listOf(items, next), nil
	})
	handle(s, huma.Operation{
		OperationID: "export-costs", Method: http.MethodGet, Path: "/api/v1/costs/export", Tags: []string{"costs"},
		Summary: "Export the ledger as FOCUS 1.2", Description: "Streams the ledger rows of [from, to] as FOCUS 1.2 columns plus x_ extensions, in CSV or Parquet.",
	}, viewer, func(ctx context.Context, c call, in *exportInput) (*huma.StreamResponse, error) {
		from, to, err := in.window()
		if err != nil {
			return nil, err
		}
		tenant := c.Principal.TenantID
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			ext, ctype := "csv", "text/csv; charset=utf-8"
			if in.FileFormat == "parquet" {
				ext, ctype = "parquet", "application/vnd.apache.parquet"
			}
			hctx.SetHeader("Content-Type", ctype)
			hctx.SetHeader("Content-Disposition", `attachment; filename="valdrix-focus-`+in.From+`-`+in.To+`.`+ext+`"`)
			w := hctx.BodyWriter()
			var fw reporting.FocusWriter
			if in.FileFormat == "parquet" {
				fw, err = reporting.NewFocusParquet(w)
			} else {
				fw, err = reporting.NewFocusCSV(w)
			}
			if err == nil {
				err = s.ledger.WalkLedger(hctx.Context(), tenant, from, to, fw.Write)
				if cerr := fw.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				// Headers are sent: the truncated body is the signal; log it.
				s.log.ErrorContext(hctx.Context(), "export costs", "tenant_id", string(tenant), "error", err)
			}
		}}, nil
	})
	handle(s, huma.Operation{
		OperationID: "get-settings", Method: http.MethodGet, Path: "/api/v1/settings", Tags: []string{"settings"},
		Summary: "Get the tenant's settings",
	}, viewer, func(ctx context.Context, c call, _ *emptyInput) (*settingsOutput, error) {
		st, err := s.gov.Settings(ctx, c.Actor, c.Principal.TenantID)
		if err != nil {
			return nil, err
		}
		return &settingsOutput{Body: st}, nil
	})
	handle(s, huma.Operation{
		OperationID: "update-settings", Method: http.MethodPatch, Path: "/api/v1/settings", Tags: []string{"settings"},
		Summary: "Change the tenant's settings", Description: "Changes only the settings given.",
	}, admin, func(ctx context.Context, c call, in *settingsInput) (*settingsOutput, error) {
		st, err := s.gov.UpdateSettings(ctx, c.Actor, c.Principal.TenantID, in.Body.TenantSettings)
		if err != nil {
			return nil, err
		}
		return &settingsOutput{Body: st}, nil
	})
}
