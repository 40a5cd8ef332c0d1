package reporting

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// CostKey is a dimension costs can be grouped and filtered by.
type CostKey string

// Cost dimensions. A tag is "tag:<name>".
const (
	KeyProvider       CostKey = "provider"
	KeyBillingAccount CostKey = "billing_account"
	KeyAccount        CostKey = "account" // sub account: AWS account, Azure subscription, GCP project
	KeyService        CostKey = "service"
	KeyCategory       CostKey = "category" // FOCUS ServiceCategory
	KeyRegion         CostKey = "region"
	KeyResource       CostKey = "resource"
	KeyResourceType   CostKey = "resource_type"
	KeyChargeCategory CostKey = "charge_category"
	KeySKU            CostKey = "sku"
	KeyUsageType      CostKey = "usage_type"
	KeyCurrency       CostKey = "currency"
	KeyDay            CostKey = "day"
	KeyMonth          CostKey = "month"
	KeySource         CostKey = "source"
)

// CostKeys lists the plain dimensions (tags come on top).
var CostKeys = []CostKey{KeyProvider, KeyBillingAccount, KeyAccount, KeyService, KeyCategory, KeyRegion, KeyResource,
	KeyResourceType, KeyChargeCategory, KeySKU, KeyUsageType, KeyCurrency, KeyDay, KeyMonth, KeySource}

// Tag returns the tag name of a tag key, and whether it is one.
func (k CostKey) Tag() (string, bool) { return strings.CutPrefix(string(k), "tag:") }

// ParseCostKey parses a dimension name; field names the input for errors.
func ParseCostKey(field, s string) (CostKey, error) {
	s = strings.TrimSpace(s)
	if name, ok := strings.CutPrefix(s, "tag:"); ok {
		if name == "" || len(name) > 256 {
			return "", valdrix.FieldError(field, "%q names no tag (want tag:NAME)", s)
		}
		return CostKey(s), nil
	}
	k := CostKey(strings.ToLower(s))
	for _, known := range CostKeys {
		if k == known {
			return k, nil
		}
	}
	names := make([]string, len(CostKeys))
	for i, c := range CostKeys {
		names[i] = string(c)
	}
	return "", valdrix.FieldError(field, "unknown dimension %q (want one of %s, or tag:NAME)", s, strings.Join(names, ", "))
}

// CostFilter keeps rows whose dimension equals Value. Several filters on one
// key are alternatives (OR); filters on different keys all apply (AND).
type CostFilter struct {
	Key   CostKey
	Value string
}

// ParseCostFilter parses "KEY=VALUE".
func ParseCostFilter(field, s string) (CostFilter, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return CostFilter{}, valdrix.FieldError(field, "%q is not KEY=VALUE", s)
	}
	key, err := ParseCostKey(field, k)
	if err != nil {
		return CostFilter{}, err
	}
	switch key {
	case KeyDay:
		if _, err := valdrix.ParseDate(field, v); err != nil {
			return CostFilter{}, err
		}
	case KeyMonth:
		if _, err := valdrix.ParseMonth(field, v); err != nil {
			return CostFilter{}, err
		}
	}
	return CostFilter{Key: key, Value: v}, nil
}

// CostQuery asks for costs in [From, To) grouped by GroupBy.
type CostQuery struct {
	From, To valdrix.Date
	GroupBy  []CostKey
	Filters  []CostFilter
	// Limit caps the number of groups (largest effective cost first); 0 is
	// no cap.
	Limit int
}

// MaxGroupBy bounds the number of dimensions in one query.
const MaxGroupBy = 8

// validateWindow checks a query's days [from, to).
func validateWindow(from, to valdrix.Date) error {
	if from == 0 || to == 0 {
		return valdrix.FieldError("from", "from and to are required")
	}
	if to <= from {
		return valdrix.FieldError("to", "must be after from")
	}
	if to-from > 3*366 {
		return valdrix.FieldError("to", "a query spans at most three years")
	}
	return nil
}

// Validate checks the query.
func (q CostQuery) Validate() error {
	if err := validateWindow(q.From, q.To); err != nil {
		return err
	}
	if len(q.GroupBy) > MaxGroupBy {
		return valdrix.FieldError("group_by", "at most %d dimensions", MaxGroupBy)
	}
	seen := map[CostKey]bool{}
	for _, k := range q.GroupBy {
		if seen[k] {
			return valdrix.FieldError("group_by", "%q appears twice", k)
		}
		seen[k] = true
	}
	if q.Limit < 0 {
		return valdrix.FieldError("limit", "cannot be negative")
	}
	return nil
}

// CostGroup is the sum of the ledger rows that share GroupBy values.
type CostGroup struct {
	// Keys holds one value per GroupBy dimension ("" for a tag the rows do
	// not carry). Days are YYYY-MM-DD, months YYYY-MM.
	Keys          []string
	Currency      string
	BilledCost    valdrix.Decimal
	EffectiveCost valdrix.Decimal
	// ListCost and ConsumedQuantity are nil when at least one row lacks them:
	// a partial sum is not the total.
	ListCost         *valdrix.Decimal
	ConsumedQuantity *valdrix.Decimal
	Rows             int64 // ledger (daily) rows
	Lines            int64 // source lines
}

// Store is what reporting needs from persistence.
type Store interface {
	QueryCosts(ctx context.Context, tenant valdrix.TenantID, q CostQuery) ([]CostGroup, error)
	// WalkLedger calls fn with every current ledger row charged in
	// [from, to); fn must not keep the row.
	WalkLedger(ctx context.Context, tenant valdrix.TenantID, from, to valdrix.Date, fn func(r *ingestion.LedgerRow) error) error
}

// Service answers reporting questions.
type Service struct {
	store  Store
	carbon *carbon.Estimator
}

// New returns a Service. est estimates emissions for Carbon; with nil,
// Carbon answers ENOTIMPLEMENTED.
func New(store Store, est *carbon.Estimator) *Service { return &Service{store: store, carbon: est} }

// Costs runs a cost query for tenant. Results in several currencies must be
// grouped by currency (or filtered to one): sums never mix currencies.
func (s *Service) Costs(ctx context.Context, tenant valdrix.TenantID, q CostQuery) ([]CostGroup, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	groups, err := s.store.QueryCosts(ctx, tenant, q)
	if err != nil {
		return nil, err
	}
	if !groupsByCurrency(q) {
		currencies := map[string]bool{}
		for _, g := range groups {
			currencies[g.Currency] = true
		}
		if len(currencies) > 1 {
			list := make([]string, 0, len(currencies))
			for c := range currencies {
				list = append(list, c)
			}
			sort.Strings(list)
			return nil, valdrix.FieldError("group_by", "the costs are in several currencies (%s): group by currency or filter currency=…", strings.Join(list, ", "))
		}
	}
	return groups, nil
}

func groupsByCurrency(q CostQuery) bool {
	for _, k := range q.GroupBy {
		if k == KeyCurrency {
			return true
		}
	}
	return false
}

// String renders a group for debugging.
func (g CostGroup) String() string {
	return fmt.Sprintf("%v %s billed=%s effective=%s rows=%d", g.Keys, g.Currency, g.BilledCost, g.EffectiveCost, g.Rows)
}
