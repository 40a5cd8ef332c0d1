package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// FindingItem is a finding as lists show it; GET /api/v1/findings/{id}
// adds the evidence and the history.
type FindingItem struct {
	ID             string           `json:"id"`
	ConnectionID   string           `json:"connection_id"`
	RuleID         string           `json:"rule_id"`
	RuleVersion    int              `json:"rule_version"`
	Code           string           `json:"code" doc:"Catalogue code (docs/rules.md)"`
	Provider       valdrix.Provider `json:"provider"`
	AccountID      string           `json:"account_id"`
	Region         string           `json:"region"`
	ResourceID     string           `json:"resource_id"`
	BillingID      string           `json:"billing_id"`
	ResourceType   string           `json:"resource_type"`
	ResourceName   string           `json:"resource_name,omitempty"`
	BillingOnly    bool             `json:"billing_only,omitempty" doc:"Known only from the ledger (reservations, capacity reservations)"`
	Title          string           `json:"title"`
	Detail         string           `json:"detail"`
	Action         zombie.Action    `json:"action"`
	MonthlyCost    zombie.Money     `json:"monthly_cost" doc:"The resource's own effective cost in the ledger over the window, per 30.44-day month; state unpriced (never $0) without ledger lines"`
	MonthlySavings zombie.Money     `json:"monthly_savings" doc:"What the action removes a month"`
	SavingsMethod  string           `json:"savings_method"`
	// KgCO2ePerMonth is null when the finding's carbon is unknown.
	KgCO2ePerMonth      *valdrix.Decimal       `json:"kg_co2e_per_month" doc:"null when unknown (no ledger line to estimate from)"`
	CarbonComplete      bool                   `json:"carbon_complete" doc:"false when some usage lines could not be estimated (an undercount)"`
	Confidence          float64                `json:"confidence"`
	Status              optimization.Status    `json:"status" enum:"open,snoozed,dismissed,resolved,remediating"`
	StatusReason        string                 `json:"status_reason,omitempty"`
	StatusBy            string                 `json:"status_by,omitempty"`
	StatusAt            time.Time              `json:"status_at"`
	SnoozedUntil        *time.Time             `json:"snoozed_until,omitempty"`
	FirstSeen           time.Time              `json:"first_seen"`
	LastSeen            time.Time              `json:"last_seen"`
	ResolvedAt          *time.Time             `json:"resolved_at,omitempty"`
	Tags                map[string]string      `json:"tags,omitempty"`
	CoefficientsVersion string                 `json:"coefficients_version,omitempty"`
	Evidence            *optimization.Evidence `json:"evidence,omitempty"`
}

func findingItem(r optimization.Record, withEvidence bool) FindingItem {
	it := FindingItem{
		ID: r.ID, ConnectionID: r.ConnectionID, RuleID: r.RuleID, RuleVersion: r.RuleVersion, Code: r.Code, Provider: r.Provider,
		AccountID: r.AccountID, Region: r.Region, ResourceID: r.ResourceID, BillingID: r.BillingID, ResourceType: r.ResourceType,
		ResourceName: r.ResourceName, BillingOnly: r.BillingOnly, Title: r.Title, Detail: r.Detail, Action: r.Action,
		MonthlyCost: r.MonthlyCost, MonthlySavings: r.MonthlySavings, SavingsMethod: r.SavingsMethod, Confidence: r.Confidence,
		Status: r.Status, StatusReason: r.StatusReason, StatusBy: r.StatusBy, StatusAt: r.StatusAt, SnoozedUntil: r.SnoozedUntil,
		FirstSeen: r.FirstSeen, LastSeen: r.LastSeen, ResolvedAt: r.ResolvedAt, Tags: r.Tags,
	}
	if r.Carbon.Known {
		kg := r.Carbon.KgCO2ePerMonth
		it.KgCO2ePerMonth, it.CarbonComplete, it.CoefficientsVersion = &kg, r.Carbon.Complete, r.Carbon.CoefficientsVersion
	}
	if withEvidence {
		ev := r.Evidence
		it.Evidence = &ev
	}
	return it
}

// FindingPage is a page of findings with the summary of every finding the
// filters select.
type FindingPage struct {
	Items      []FindingItem `json:"items" nullable:"false"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
	// Summary is on the first page only (no cursor).
	Summary *optimization.Summary `json:"summary,omitempty" doc:"On the first page: counts by status (whatever the status filter) and, per currency, the money and carbon of the selected statuses, each ledger line counted once"`
}

// FindingDetail is a finding with its evidence and its history.
type FindingDetail struct {
	FindingItem
	Carbon  optimization.Carbon  `json:"carbon"`
	History []optimization.Event `json:"history" nullable:"false"`
}

type findingsInput struct {
	PageParams
	Status     string `query:"status" maxLength:"100" default:"open" doc:"Comma-separated statuses (open, snoozed, dismissed, resolved, remediating) or all"`
	Connection string `query:"connection" maxLength:"100"`
	Provider   string `query:"provider" enum:"aws,azure,gcp"`
	Rule       string `query:"rule" maxLength:"100" doc:"A rule id, e.g. aws.ec2.unattached_volume"`
	Account    string `query:"account" maxLength:"200" doc:"AWS account, Azure subscription or GCP project"`
	Region     string `query:"region" maxLength:"100"`
	Tag        string `query:"tag" maxLength:"300" doc:"key (present) or key=value, on the resource's tags"`
	MinSavings string `query:"min_savings" maxLength:"40" doc:"Only findings saving at least this much a month (unpriced ones never pass)"`
	Sort       string `query:"sort" default:"-savings" enum:"savings,-savings,cost,-cost,carbon,-carbon,first_seen,-first_seen,last_seen,-last_seen" doc:"A leading - sorts largest (latest) first; unknown figures sort below known ones"`
}

func (in *findingsInput) filter() (optimization.Filter, error) {
	f := optimization.Filter{Connection: in.Connection, Provider: valdrix.Provider(in.Provider), RuleID: in.Rule,
		AccountID: in.Account, Region: in.Region, Tag: in.Tag}
	f.Sort, f.Desc = strings.TrimPrefix(in.Sort, "-"), strings.HasPrefix(in.Sort, "-")
	statuses, err := ParseStatuses(in.Status)
	if err != nil {
		return f, err
	}
	f.Statuses = statuses
	if in.MinSavings != "" {
		d, err := valdrix.ParseDecimal(in.MinSavings)
		if err != nil {
			return f, valdrix.FieldError("query.min_savings", "%q is not a number", in.MinSavings)
		}
		f.MinSavings = &d
	}
	return f, nil
}

// ParseStatuses parses a comma-separated status list; "all" (or nothing)
// is every status.
func ParseStatuses(s string) ([]optimization.Status, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []optimization.Status
	for part := range strings.SplitSeq(s, ",") {
		st := optimization.Status(strings.TrimSpace(part))
		if !st.Valid() {
			return nil, valdrix.FieldError("query.status", "%q is not a status (open, snoozed, dismissed, resolved, remediating or all)", part)
		}
		out = append(out, st)
	}
	return out, nil
}

type snoozeInput struct {
	KeyPath
	Body struct {
		Until  time.Time `json:"until" doc:"When the finding opens again (at most a year ahead)"`
		Reason string    `json:"reason,omitempty" maxLength:"1000" doc:"Why it waits"`
	}
}

type dismissInput struct {
	KeyPath
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"Why this is not waste (kept in the finding's history and the audit log)"`
	}
}

type reopenInput struct {
	KeyPath
	Body *struct {
		Reason string `json:"reason,omitempty" maxLength:"1000"`
	}
}

// RuleItem is a rule with the tenant's settings in force.
type RuleItem struct {
	ID            string           `json:"id"`
	Code          string           `json:"code"`
	Version       int              `json:"version"`
	Title         string           `json:"title"`
	Description   string           `json:"description"`
	Signal        string           `json:"signal"`
	Provider      valdrix.Provider `json:"provider"`
	ResourceTypes []string         `json:"resource_types"`
	Data          string           `json:"data" doc:"The evidence the rule reads: billing, inventory, metrics"`
	Action        zombie.Action    `json:"action"`
	SavingsMethod string           `json:"savings_method"`
	OptIn         bool             `json:"opt_in" doc:"Off unless the tenant turns it on"`
	Enabled       bool             `json:"enabled"`
	Thresholds    []RuleThreshold  `json:"thresholds" nullable:"false"`
	UpdatedAt     *time.Time       `json:"updated_at,omitempty" doc:"When the tenant last changed the rule's settings"`
	UpdatedBy     string           `json:"updated_by,omitempty"`
}

// RuleThreshold is a tunable with its default and the value in force.
type RuleThreshold struct {
	Name        string  `json:"name"`
	Unit        string  `json:"unit"`
	Default     float64 `json:"default"`
	Value       float64 `json:"value"`
	Overridden  bool    `json:"overridden"`
	Min         float64 `json:"min"`
	Max         float64 `json:"max"`
	Integer     bool    `json:"integer,omitempty"`
	Description string  `json:"description"`
	Source      string  `json:"source,omitempty"`
}

func ruleItem(v optimization.RuleView) RuleItem {
	r := v.Rule
	it := RuleItem{ID: r.ID, Code: r.Code, Version: r.Version, Title: r.Title, Description: r.Description, Signal: r.Signal,
		Provider: r.Provider, ResourceTypes: r.Types, Data: r.Data.String(), Action: r.Action, SavingsMethod: r.SavingsMethod,
		OptIn: r.OptIn, Enabled: v.Enabled, UpdatedAt: v.UpdatedAt, UpdatedBy: v.UpdatedBy, Thresholds: []RuleThreshold{}}
	for _, th := range r.Thresholds {
		over := false
		for _, n := range v.Overridden {
			over = over || n == th.Name
		}
		it.Thresholds = append(it.Thresholds, RuleThreshold{Name: th.Name, Unit: string(th.Unit), Default: th.Default,
			Value: v.Thresholds[th.Name], Overridden: over, Min: th.Min, Max: th.Max, Integer: th.Integer,
			Description: th.Description, Source: th.Source})
	}
	return it
}

type rulesInput struct {
	Provider string `query:"provider" enum:"aws,azure,gcp"`
}

// RulePath is the rule id in a path.
type RulePath struct {
	ID string `path:"id" maxLength:"100" doc:"A rule id, e.g. aws.ec2.unattached_volume"`
}

type setRuleInput struct {
	RulePath
	Body struct {
		Enabled    *bool              `json:"enabled,omitempty" doc:"Turn the rule on or off; absent keeps the rule's default"`
		Thresholds map[string]float64 `json:"thresholds,omitempty" doc:"Threshold values by name; absent ones take their defaults"`
		_          struct{}           `json:"-" additionalProperties:"false"`
	}
}

func (s *Server) registerFindings() {
	if s.optimization == nil {
		return
	}
	opt := s.optimization
	handle(s, huma.Operation{
		OperationID: "list-findings", Method: http.MethodGet, Path: "/api/v1/findings", Tags: []string{"findings"},
		Summary: "List waste findings",
		Description: "Open findings by default, largest monthly savings first. Filters combine (AND). The first page carries a summary: counts by status and, " +
			"per currency, the monthly cost, savings and kgCO2e of the selected findings, each ledger line counted once (a stopped instance and its volumes are not added twice).",
	}, viewer, func(ctx context.Context, c call, in *findingsInput) (*struct{ Body FindingPage }, error) {
		f, err := in.filter()
		if err != nil {
			return nil, err
		}
		recs, next, err := opt.ListFindings(ctx, c.Actor, c.Principal.TenantID, f, in.page())
		if err != nil {
			return nil, err
		}
		page := FindingPage{Items: make([]FindingItem, len(recs)), NextCursor: next}
		for i, r := range recs {
			page.Items[i] = findingItem(r, false)
		}
		if in.Cursor == "" {
			sum, err := opt.Summarize(ctx, c.Actor, c.Principal.TenantID, f)
			if err != nil {
				return nil, err
			}
			page.Summary = &sum
		}
		return &struct{ Body FindingPage }{Body: page}, nil
	})
	handle(s, huma.Operation{
		OperationID: "get-finding", Method: http.MethodGet, Path: "/api/v1/findings/{id}", Tags: []string{"findings"},
		Summary:     "Get a finding with its evidence and history",
		Description: "The evidence is what the verdict rests on: the billing lines' summary over the window, the inventory record, metric windows, thresholds (and which the tenant set), the rule version.",
	}, viewer, func(ctx context.Context, c call, in *KeyPath) (*struct{ Body FindingDetail }, error) {
		rec, evs, err := opt.GetFinding(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		if evs == nil {
			evs = []optimization.Event{}
		}
		return &struct{ Body FindingDetail }{Body: FindingDetail{FindingItem: findingItem(rec, true), Carbon: rec.Carbon, History: evs}}, nil
	})
	decided := func(rec optimization.Record, err error) (*struct{ Body FindingItem }, error) {
		if err != nil {
			return nil, err
		}
		return &struct{ Body FindingItem }{Body: findingItem(rec, false)}, nil
	}
	handle(s, huma.Operation{
		OperationID: "snooze-finding", Method: http.MethodPost, Path: "/api/v1/findings/{id}/snooze", Tags: []string{"findings"},
		Summary: "Snooze a finding until a date", Description: "An open or snoozed finding is hidden until the date, then opens again.",
	}, member, func(ctx context.Context, c call, in *snoozeInput) (*struct{ Body FindingItem }, error) {
		return decided(opt.Snooze(ctx, c.Actor, c.Principal.TenantID, in.ID, in.Body.Until, in.Body.Reason))
	})
	handle(s, huma.Operation{
		OperationID: "dismiss-finding", Method: http.MethodPost, Path: "/api/v1/findings/{id}/dismiss", Tags: []string{"findings"},
		Summary: "Dismiss a finding", Description: "Records that the finding is not waste, with the reason. Detection does not reopen a dismissed finding.",
	}, member, func(ctx context.Context, c call, in *dismissInput) (*struct{ Body FindingItem }, error) {
		return decided(opt.Dismiss(ctx, c.Actor, c.Principal.TenantID, in.ID, in.Body.Reason))
	})
	handle(s, huma.Operation{
		OperationID: "reopen-finding", Method: http.MethodPost, Path: "/api/v1/findings/{id}/reopen", Tags: []string{"findings"},
		Summary: "Reopen a finding", Description: "Opens a snoozed, dismissed or resolved finding again.",
	}, member, func(ctx context.Context, c call, in *reopenInput) (*struct{ Body FindingItem }, error) {
		reason := ""
		if in.Body != nil {
			reason = in.Body.Reason
		}
		return decided(opt.Reopen(ctx, c.Actor, c.Principal.TenantID, in.ID, reason))
	})
	handle(s, huma.Operation{
		OperationID: "get-connection-detection", Method: http.MethodGet, Path: "/api/v1/connections/{id}/detection", Tags: []string{"findings"},
		Summary:     "Get a connection's last detection run",
		Description: "What the run found and changed, its statistics, and the resources rules could not decide for lack of data (missing permissions, metrics or billing), with why.",
	}, viewer, func(ctx context.Context, c call, in *struct{ KeyPath }) (*struct{ Body optimization.DetectionRun }, error) {
		run, err := opt.LastRun(ctx, c.Actor, c.Principal.TenantID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body optimization.DetectionRun }{Body: run}, nil
	})
	handle(s, huma.Operation{
		OperationID: "list-rules", Method: http.MethodGet, Path: "/api/v1/rules", Tags: []string{"rules"},
		Summary: "List waste rules with the tenant's settings",
	}, viewer, func(ctx context.Context, c call, in *rulesInput) (*listOutput[RuleItem], error) {
		views, err := opt.Rules(ctx, c.Actor, c.Principal.TenantID, valdrix.Provider(in.Provider))
		if err != nil {
			return nil, err
		}
		items := make([]RuleItem, len(views))
		for i, v := range views {
			items[i] = ruleItem(v)
		}
		return listOf(items, ""), nil
	})
	handle(s, huma.Operation{
		OperationID: "get-rule", Method: http.MethodGet, Path: "/api/v1/rules/{id}", Tags: []string{"rules"},
		Summary: "Get a waste rule with the tenant's settings",
	}, viewer, func(ctx context.Context, c call, in *RulePath) (*struct{ Body RuleItem }, error) {
		views, err := opt.Rules(ctx, c.Actor, c.Principal.TenantID, "")
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			if v.Rule.ID == in.ID {
				return &struct{ Body RuleItem }{Body: ruleItem(v)}, nil
			}
		}
		return nil, valdrix.Errorf(valdrix.ENOTFOUND, "There is no rule %q.", in.ID)
	})
	handle(s, huma.Operation{
		OperationID: "set-rule", Method: http.MethodPut, Path: "/api/v1/rules/{id}", Tags: []string{"rules"},
		Summary: "Set the tenant's settings of a rule",
		Description: "Replaces the tenant's override of the rule: enabled (absent: the rule's default) and threshold values (absent ones: their defaults). " +
			"An empty body restores the defaults. Values are checked against each threshold's bounds. Applies from the next scan.",
	}, admin, func(ctx context.Context, c call, in *setRuleInput) (*struct{ Body RuleItem }, error) {
		v, err := opt.SetRule(ctx, c.Actor, c.Principal.TenantID, in.ID, optimization.RuleOverride{Enabled: in.Body.Enabled, Thresholds: in.Body.Thresholds})
		if err != nil {
			return nil, err
		}
		return &struct{ Body RuleItem }{Body: ruleItem(v)}, nil
	})
}
