package carbon

import (
	"cmp"
	"maps"
	"slices"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Dimension is a ledger column estimates can be grouped by.
type Dimension string

// Dimensions.
const (
	ByProvider Dimension = "provider"
	ByAccount  Dimension = "account" // SubAccountID: AWS account, Azure subscription, GCP project
	ByService  Dimension = "service" // ServiceName
	ByRegion   Dimension = "region"  // RegionID
	ByKind     Dimension = "kind"    // the estimate's Kind
	ByMonth    Dimension = "month"   // the charge day's calendar month
)

// GroupKey identifies a group; dimensions not grouped by are empty.
type GroupKey struct {
	Provider  valdrix.Provider
	AccountID string
	Service   string
	Region    string
	Kind      Kind
	// Month is the charge month; meaningful only when grouped ByMonth.
	Month valdrix.Month
}

// Total is the sum of a group's estimates.
type Total struct {
	Key GroupKey

	KWh           valdrix.Decimal
	OperationalKg valdrix.Decimal
	EmbodiedKg    valdrix.Decimal
	TotalKg       valdrix.Decimal
	// RatioKg is the part of TotalKg from the opt-in ratio fallback.
	RatioKg valdrix.Decimal

	// Rows counts every row added: EstimatedRows have figures (RatioRows of
	// them from the fallback), UnknownRows carry usage without an estimate,
	// NotUsageRows carry no usage (tax, credits, fees).
	Rows          int
	EstimatedRows int
	RatioRows     int
	UnknownRows   int
	NotUsageRows  int
	// Reasons counts the UnknownRows by reason.
	Reasons map[Reason]int
	// UnknownCost is the EffectiveCost of the UnknownRows by currency: the
	// spend whose emissions the totals leave out.
	UnknownCost map[string]valdrix.Decimal
	// BilledCost and EffectiveCost sum every row added, by currency: the
	// spend the group's figures come from.
	BilledCost    map[string]valdrix.Decimal
	EffectiveCost map[string]valdrix.Decimal
	// Versions lists the CoefficientsVersion values summed (sorted).
	Versions []string
}

// Aggregator sums estimates by the chosen dimensions. It is not safe for
// concurrent use.
type Aggregator struct {
	by     []Dimension
	groups map[GroupKey]*Total
}

// NewAggregator returns an Aggregator grouping by the given dimensions (none:
// one grand total).
func NewAggregator(by ...Dimension) (*Aggregator, error) {
	for _, d := range by {
		switch d {
		case ByProvider, ByAccount, ByService, ByRegion, ByKind, ByMonth:
		default:
			return nil, valdrix.FieldError("group_by", "unknown dimension %q (want provider, account, service, region, kind or month)", d)
		}
	}
	return &Aggregator{by: slices.Clone(by), groups: map[GroupKey]*Total{}}, nil
}

// Add adds a row and its estimate.
func (a *Aggregator) Add(row ingestion.LedgerRow, est Estimate) error {
	var k GroupKey
	for _, d := range a.by {
		switch d {
		case ByProvider:
			k.Provider = row.Provider
		case ByAccount:
			k.AccountID = row.SubAccountID
		case ByService:
			k.Service = row.ServiceName
		case ByRegion:
			k.Region = row.RegionID
		case ByKind:
			k.Kind = est.Kind
		case ByMonth:
			k.Month = row.ChargeDay.Month()
		}
	}
	t := a.groups[k]
	if t == nil {
		t = &Total{
			Key: k, Reasons: map[Reason]int{}, UnknownCost: map[string]valdrix.Decimal{},
			BilledCost: map[string]valdrix.Decimal{}, EffectiveCost: map[string]valdrix.Decimal{},
		}
		a.groups[k] = t
	}
	t.Rows++
	if !addCost(t.BilledCost, row.BillingCurrency, row.BilledCost) || !addCost(t.EffectiveCost, row.BillingCurrency, row.EffectiveCost) {
		return valdrix.Errorf(valdrix.EINVALID, "the cost of %v overflows", k)
	}
	if est.Version != "" && !slices.Contains(t.Versions, est.Version) {
		t.Versions = append(t.Versions, est.Version)
		slices.Sort(t.Versions)
	}
	switch {
	case est.Known():
		t.EstimatedRows++
		sums := []addend{{&t.KWh, est.KWh}, {&t.OperationalKg, est.OperationalKg}, {&t.EmbodiedKg, est.EmbodiedKg}, {&t.TotalKg, est.TotalKg}}
		if est.Method == MethodRatio {
			t.RatioRows++
			sums = append(sums, addend{&t.RatioKg, est.TotalKg})
		}
		if !addAll(sums...) {
			return valdrix.Errorf(valdrix.EINVALID, "the carbon total of %v overflows", k)
		}
	case est.ReasonCode == ReasonNotUsage:
		t.NotUsageRows++
	default:
		t.UnknownRows++
		t.Reasons[est.ReasonCode]++
		if !addCost(t.UnknownCost, row.BillingCurrency, row.EffectiveCost) {
			return valdrix.Errorf(valdrix.EINVALID, "the unestimated cost of %v overflows", k)
		}
	}
	return nil
}

// addCost adds v to m[currency], reporting false on overflow.
func addCost(m map[string]valdrix.Decimal, currency string, v valdrix.Decimal) bool {
	sum, ok := m[currency].Add(v)
	if ok {
		m[currency] = sum
	}
	return ok
}

// Totals returns the groups, largest TotalKg first, ties by key.
func (a *Aggregator) Totals() []Total {
	out := make([]Total, 0, len(a.groups))
	for _, t := range a.groups {
		c := *t
		c.Versions = slices.Clone(t.Versions)
		c.Reasons = maps.Clone(t.Reasons)
		c.UnknownCost = maps.Clone(t.UnknownCost)
		c.BilledCost = maps.Clone(t.BilledCost)
		c.EffectiveCost = maps.Clone(t.EffectiveCost)
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y Total) int {
		return cmp.Or(
			cmp.Compare(y.TotalKg, x.TotalKg),
			cmp.Compare(x.Key.Provider, y.Key.Provider),
			cmp.Compare(x.Key.AccountID, y.Key.AccountID),
			cmp.Compare(x.Key.Service, y.Key.Service),
			cmp.Compare(x.Key.Region, y.Key.Region),
			cmp.Compare(x.Key.Kind, y.Key.Kind),
			cmp.Compare(x.Key.Month, y.Key.Month),
		)
	})
	return out
}
