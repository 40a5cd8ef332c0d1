package reporting

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ReasonEstimateFailed counts rows the estimator refused (a figure out of
// range, a provider it does not know): like every unknown row they are
// counted, never read as zero emissions.
const ReasonEstimateFailed carbon.Reason = "estimate_failed"

// carbonDimensions are the dimensions a footprint can be grouped by, in the
// order carbon.GroupKey holds them.
func carbonDimensions() []carbon.Dimension {
	return []carbon.Dimension{carbon.ByProvider, carbon.ByAccount, carbon.ByService, carbon.ByRegion, carbon.ByMonth, carbon.ByKind}
}

// ParseCarbonDimension parses a dimension name; field names the input for
// errors.
func ParseCarbonDimension(field, s string) (carbon.Dimension, error) {
	d := carbon.Dimension(strings.ToLower(strings.TrimSpace(s)))
	all := carbonDimensions()
	if slices.Contains(all, d) {
		return d, nil
	}
	names := make([]string, len(all))
	for i, k := range all {
		names[i] = string(k)
	}
	return "", valdrix.FieldError(field, "unknown dimension %q (want one of %s)", s, strings.Join(names, ", "))
}

// CarbonParams are a footprint query as text: API parameters or CLI flags.
type CarbonParams struct {
	// From and To are YYYY-MM-DD, both included; empty means the first and
	// last day of today's month.
	From, To string
	// GroupBy holds dimension names, each entry possibly comma-separated.
	GroupBy                                            []string
	Providers, Accounts, Regions, Services, Currencies []string
	Limit                                              int
}

// ParseCarbonQuery builds and validates the query of p. Errors name the
// field as the caller calls it: name maps a parameter ("from", "to",
// "group_by", "provider", …) to its spelling (the API's query parameter,
// the CLI's flag).
func ParseCarbonQuery(p CarbonParams, today valdrix.Date, name func(param string) string) (CarbonQuery, error) {
	q, err := parseCarbonQuery(p, today)
	if err == nil {
		err = q.Validate()
	}
	var ve *valdrix.Error
	if errors.As(err, &ve) && ve.Field != "" {
		renamed := *ve
		renamed.Field = name(ve.Field)
		return q, &renamed
	}
	return q, err
}

func parseCarbonQuery(p CarbonParams, today valdrix.Date) (CarbonQuery, error) {
	q := CarbonQuery{
		From: today.Month().Start(), To: today.Month().End(), Limit: p.Limit,
		Accounts: p.Accounts, Regions: p.Regions, Services: p.Services, Currencies: p.Currencies,
	}
	if p.From != "" {
		d, err := valdrix.ParseDate("from", p.From)
		if err != nil {
			return q, err
		}
		q.From = d
	}
	if p.To != "" {
		d, err := valdrix.ParseDate("to", p.To)
		if err != nil {
			return q, err
		}
		q.To = d.AddDays(1)
	}
	if q.To <= q.From {
		return q, valdrix.FieldError("to", "is before the first day, %s", q.From)
	}
	for _, g := range p.GroupBy {
		for _, part := range strings.Split(g, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			d, err := ParseCarbonDimension("group_by", part)
			if err != nil {
				return q, err
			}
			q.GroupBy = append(q.GroupBy, d)
		}
	}
	for _, s := range p.Providers {
		pv, err := valdrix.ParseProvider("provider", s)
		if err != nil {
			return q, err
		}
		q.Providers = append(q.Providers, pv)
	}
	return q, nil
}

// CarbonQuery asks for the footprint of the ledger rows charged in
// [From, To), grouped by GroupBy. A filter keeps the rows whose column
// equals one of its values; an empty filter keeps every row.
type CarbonQuery struct {
	From, To valdrix.Date
	GroupBy  []carbon.Dimension

	Providers  []valdrix.Provider
	Accounts   []string // SubAccountID
	Regions    []string
	Services   []string
	Currencies []string

	// Limit caps the number of groups returned (largest kgCO2e first); the
	// total still covers every group. 0 is no cap.
	Limit int
}

// MaxCarbonFilterValues bounds the values of one filter.
const MaxCarbonFilterValues = 100

// Validate checks the query.
func (q CarbonQuery) Validate() error {
	if err := validateWindow(q.From, q.To); err != nil {
		return err
	}
	seen := map[carbon.Dimension]bool{}
	for _, d := range q.GroupBy {
		if _, err := ParseCarbonDimension("group_by", string(d)); err != nil {
			return err
		}
		if seen[d] {
			return valdrix.FieldError("group_by", "%q appears twice", d)
		}
		seen[d] = true
	}
	for _, p := range q.Providers {
		if !p.Valid() {
			return valdrix.FieldError("provider", "unknown provider %q (want aws, azure or gcp)", p)
		}
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"provider", len(q.Providers)}, {"account", len(q.Accounts)}, {"region", len(q.Regions)}, {"service", len(q.Services)}, {"currency", len(q.Currencies)}} {
		if f.n > MaxCarbonFilterValues {
			return valdrix.FieldError(f.name, "at most %d values", MaxCarbonFilterValues)
		}
	}
	if q.Limit < 0 {
		return valdrix.FieldError("limit", "cannot be negative")
	}
	return nil
}

// keep reports whether a row passes the query's filters.
func (q CarbonQuery) keep(r *ingestion.LedgerRow) bool {
	return (len(q.Providers) == 0 || slices.Contains(q.Providers, r.Provider)) &&
		(len(q.Accounts) == 0 || slices.Contains(q.Accounts, r.SubAccountID)) &&
		(len(q.Regions) == 0 || slices.Contains(q.Regions, r.RegionID)) &&
		(len(q.Services) == 0 || slices.Contains(q.Services, r.ServiceName)) &&
		(len(q.Currencies) == 0 || slices.Contains(q.Currencies, r.BillingCurrency))
}

// CarbonReport is a footprint: the groups, largest kgCO2e first, and their
// total. It is the body of GET /api/v1/carbon and of `valdrix carbon -o json`.
type CarbonReport struct {
	From    valdrix.Date `json:"from" doc:"First day"`
	To      valdrix.Date `json:"to" doc:"Last day, included"`
	GroupBy []string     `json:"group_by" nullable:"false" doc:"The dimensions of the groups"`
	// CoefficientsVersion names the coefficient tables and method revision
	// (carbon.CoefficientsVersion).
	CoefficientsVersion string        `json:"coefficients_version" doc:"The carbon coefficient tables and method revision the figures were computed with"`
	Currency            string        `json:"currency" doc:"The currency of every cost figure (empty when there are no rows)"`
	Groups              []CarbonGroup `json:"groups" nullable:"false" doc:"The groups, largest total_kgco2e first (ties by dimension values)"`
	GroupCount          int           `json:"group_count" doc:"The number of groups before limit"`
	Truncated           bool          `json:"truncated" doc:"True when limit left groups out; total still covers them"`
	Total               CarbonGroup   `json:"total" doc:"Every row of the window that passed the filters"`
}

// CarbonGroup is the footprint of the ledger rows that share the grouped
// dimensions. Figures are exact decimals (strings in JSON, nine places).
//
// The figures sum the estimated rows. When some usage rows could not be
// estimated (UnknownRows > 0, Complete false) they are a lower bound; when
// none could (EstimatedRows 0, UnknownRows > 0) they are nil: unknown, not
// zero. Rows without usage (tax, credits) emit nothing.
type CarbonGroup struct {
	Dimensions map[string]string `json:"dimensions" nullable:"false" doc:"The group's value of each group_by dimension (months YYYY-MM); empty for the total"`

	KWh           *valdrix.Decimal `json:"kwh" doc:"Operational energy, PUE and replication included; null when no usage row of the group could be estimated"`
	OperationalKg *valdrix.Decimal `json:"operational_kgco2e" doc:"kWh times the region's grid factor; null as kwh"`
	EmbodiedKg    *valdrix.Decimal `json:"embodied_kgco2e" doc:"The share of the servers' manufacturing emissions; null as kwh"`
	TotalKg       *valdrix.Decimal `json:"total_kgco2e" doc:"operational_kgco2e + embodied_kgco2e; a lower bound when complete is false, null as kwh"`

	BilledCost    valdrix.Decimal `json:"billed_cost" doc:"BilledCost of every row of the group, in currency"`
	EffectiveCost valdrix.Decimal `json:"effective_cost" doc:"EffectiveCost of every row of the group, in currency"`
	// UnestimatedCost is the EffectiveCost of the UnknownRows: the spend
	// whose emissions the figures leave out.
	UnestimatedCost valdrix.Decimal `json:"unestimated_cost" doc:"EffectiveCost of the unknown rows: spend whose emissions are not in the figures"`

	Rows          int `json:"rows" doc:"Ledger rows in the group"`
	EstimatedRows int `json:"estimated_rows" doc:"Rows with an estimate"`
	UnknownRows   int `json:"unknown_rows" doc:"Rows with usage that could not be estimated: not zero emissions, missing ones"`
	NotUsageRows  int `json:"not_usage_rows" doc:"Rows without physical usage (tax, credits, fees, purchases)"`
	// UnknownReasons counts the UnknownRows by reason code.
	UnknownReasons map[carbon.Reason]int `json:"unknown_reasons" nullable:"false" doc:"unknown_rows by reason: unknown_usage, unknown_unit, unknown_instance, unsupported, out_of_scope, missing_quantity, estimate_failed"`
	// Complete is true when UnknownRows is 0: the figures are not an
	// undercount.
	Complete bool `json:"complete" doc:"True when every usage row was estimated; false means the figures are an undercount"`
}

// Carbon estimates the footprint of tenant's ledger rows in the query's
// window: each current row is estimated with the CCF method
// (reporting/carbon), filtered and summed by the query's dimensions. Costs
// never mix currencies: rows in several currencies need a currency filter.
func (s *Service) Carbon(ctx context.Context, tenant valdrix.TenantID, q CarbonQuery) (CarbonReport, error) {
	if s.carbon == nil {
		return CarbonReport{}, valdrix.Errorf(valdrix.ENOTIMPLEMENTED, "Carbon estimates are not configured.")
	}
	if err := q.Validate(); err != nil {
		return CarbonReport{}, err
	}
	groups, err := carbon.NewAggregator(q.GroupBy...)
	if err != nil {
		return CarbonReport{}, err
	}
	total, err := carbon.NewAggregator()
	if err != nil {
		return CarbonReport{}, err
	}
	err = s.store.WalkLedger(ctx, tenant, q.From, q.To, func(r *ingestion.LedgerRow) error {
		if !q.keep(r) {
			return nil
		}
		est, err := s.carbon.EstimateRow(*r)
		if err != nil {
			est = carbon.Estimate{
				Kind: carbon.KindUnknown, Method: carbon.MethodNone, ReasonCode: ReasonEstimateFailed,
				Reason: valdrix.ErrorMessage(err), Version: carbon.CoefficientsVersion,
			}
		}
		if err := groups.Add(*r, est); err != nil {
			return err
		}
		return total.Add(*r, est)
	})
	if err != nil {
		return CarbonReport{}, err
	}
	rep := CarbonReport{
		From: q.From, To: q.To.AddDays(-1), GroupBy: make([]string, len(q.GroupBy)),
		CoefficientsVersion: carbon.CoefficientsVersion, Groups: []CarbonGroup{},
	}
	for i, d := range q.GroupBy {
		rep.GroupBy[i] = string(d)
	}
	sum := carbon.Total{}
	if t := total.Totals(); len(t) == 1 {
		sum = t[0]
	}
	if rep.Currency, err = oneCurrency(sum); err != nil {
		return CarbonReport{}, err
	}
	rep.Total = carbonGroup(nil, sum, rep.Currency)
	all := groups.Totals()
	rep.GroupCount = len(all)
	if q.Limit > 0 && len(all) > q.Limit {
		all, rep.Truncated = all[:q.Limit], true
	}
	for _, t := range all {
		rep.Groups = append(rep.Groups, carbonGroup(q.GroupBy, t, rep.Currency))
	}
	return rep, nil
}

// oneCurrency returns the one currency of a total's costs, or an error when
// the rows are in several.
func oneCurrency(t carbon.Total) (string, error) {
	var list []string
	for c, v := range t.BilledCost {
		if c != "" || v != 0 || t.EffectiveCost[c] != 0 {
			list = append(list, c)
		}
	}
	slices.Sort(list)
	switch len(list) {
	case 0:
		return "", nil
	case 1:
		return list[0], nil
	}
	return "", valdrix.FieldError("currency", "the rows are in several currencies (%s): filter one currency", strings.Join(list, ", "))
}

// carbonGroup renders an aggregator total in currency.
func carbonGroup(by []carbon.Dimension, t carbon.Total, currency string) CarbonGroup {
	g := CarbonGroup{
		Dimensions: make(map[string]string, len(by)),
		BilledCost: t.BilledCost[currency], EffectiveCost: t.EffectiveCost[currency], UnestimatedCost: t.UnknownCost[currency],
		Rows: t.Rows, EstimatedRows: t.EstimatedRows, UnknownRows: t.UnknownRows, NotUsageRows: t.NotUsageRows,
		UnknownReasons: make(map[carbon.Reason]int, len(t.Reasons)),
		Complete:       t.UnknownRows == 0,
	}
	if t.EstimatedRows > 0 || t.UnknownRows == 0 {
		g.KWh, g.OperationalKg, g.EmbodiedKg, g.TotalKg = &t.KWh, &t.OperationalKg, &t.EmbodiedKg, &t.TotalKg
	}
	for r, n := range t.Reasons {
		g.UnknownReasons[r] = n
	}
	for _, d := range by {
		g.Dimensions[string(d)] = dimensionValue(t.Key, d)
	}
	return g
}

// dimensionValue is a group key's value of one dimension.
func dimensionValue(k carbon.GroupKey, d carbon.Dimension) string {
	switch d {
	case carbon.ByProvider:
		return string(k.Provider)
	case carbon.ByAccount:
		return k.AccountID
	case carbon.ByService:
		return k.Service
	case carbon.ByRegion:
		return k.Region
	case carbon.ByKind:
		return string(k.Kind)
	case carbon.ByMonth:
		return k.Month.String()
	}
	return ""
}
