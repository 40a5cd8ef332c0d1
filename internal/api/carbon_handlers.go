package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type carbonInput struct {
	From     string   `query:"from" pattern:"^\\d{4}-\\d{2}-\\d{2}$" doc:"First day (YYYY-MM-DD); default: the first day of the current month"`
	To       string   `query:"to" pattern:"^\\d{4}-\\d{2}-\\d{2}$" doc:"Last day, included (YYYY-MM-DD); default: the last day of the current month"`
	GroupBy  []string `query:"group_by" doc:"Comma-separated dimensions: provider, account, service, region, month, kind (none: one group)"`
	Provider []string `query:"provider,explode" doc:"Only these providers (aws, azure, gcp); repeatable"`
	Account  []string `query:"account,explode" doc:"Only these sub accounts (AWS account, Azure subscription, GCP project); repeatable"`
	Region   []string `query:"region,explode" doc:"Only these regions; repeatable"`
	Service  []string `query:"service,explode" doc:"Only these services (ServiceName as billed); repeatable"`
	Currency []string `query:"currency,explode" doc:"Only rows billed in these currencies; repeatable; needed when the ledger has several"`
	Limit    int      `query:"limit" minimum:"1" maximum:"10000" default:"1000" doc:"At most this many groups, largest kgCO2e first; truncated says when groups were left out (the total always covers all)"`
}

type carbonOutput struct {
	Body reporting.CarbonReport
}

func (s *Server) registerCarbon() {
	if s.reporting == nil {
		return
	}
	handle(s, huma.Operation{
		OperationID: "get-carbon", Method: http.MethodGet, Path: "/api/v1/carbon", Tags: []string{"carbon"},
		Summary: "Estimate the ledger's carbon footprint",
		Description: "Estimates every current ledger row of [from, to] (days included; default: the current month) with the Cloud Carbon Footprint method " +
			"and sums kWh and kgCO2e (operational, embodied, total) with the billed cost behind them, grouped by the given dimensions, largest first. " +
			"Rows whose usage cannot be estimated are counted in unknown_rows, by reason, with their cost in unestimated_cost; they are never zero emissions, " +
			"and complete is false when there are any. Costs never mix currencies: with several, filter one. See docs/carbon.md.",
	}, viewer, func(ctx context.Context, c call, in *carbonInput) (*carbonOutput, error) {
		q, err := reporting.ParseCarbonQuery(reporting.CarbonParams{
			From: in.From, To: in.To, GroupBy: in.GroupBy, Limit: in.Limit,
			Providers: in.Provider, Accounts: in.Account, Regions: in.Region, Services: in.Service, Currencies: in.Currency,
		}, valdrix.DateOf(s.clock.Now()), func(p string) string { return p })
		if err != nil {
			return nil, err
		}
		rep, err := s.reporting.Carbon(ctx, c.Principal.TenantID, q)
		if err != nil {
			return nil, err
		}
		return &carbonOutput{Body: rep}, nil
	})
}
