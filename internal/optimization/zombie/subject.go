package zombie

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// CostState says where a money figure comes from.
type CostState string

// Cost states. A figure is never $0 for lack of data: without data it is
// unpriced.
const (
	// CostBilled: from the resource's own ledger rows (or zero because its
	// account's ledger shows no charge for it).
	CostBilled CostState = "billed"
	// CostEstimated: derived with a published price or price ratio, named in
	// Source.
	CostEstimated CostState = "estimated"
	// CostUnpriced: no billing data and no price; Amount is meaningless.
	CostUnpriced CostState = "unpriced"
)

// Money is a monthly amount with its provenance. In JSON an unpriced (or
// unknown) figure has a null amount, never 0.
type Money struct {
	Amount   valdrix.Decimal `json:"amount" nullable:"true"`
	Currency string          `json:"currency,omitempty"`
	State    CostState       `json:"state"`
	// Source names the basis: "ledger" for billed figures, the price or
	// ratio used for estimates, why a figure is unpriced.
	Source string `json:"source,omitempty"`
}

// moneyJSON is Money's JSON form.
type moneyJSON struct {
	Amount   *valdrix.Decimal `json:"amount"`
	Currency string           `json:"currency,omitempty"`
	State    CostState        `json:"state"`
	Source   string           `json:"source,omitempty"`
}

// MarshalJSON writes the amount only when it means something.
func (m Money) MarshalJSON() ([]byte, error) {
	j := moneyJSON{Currency: m.Currency, State: m.State, Source: m.Source}
	if m.Known() {
		j.Amount = &m.Amount
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (m *Money) UnmarshalJSON(b []byte) error {
	var j moneyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Money{Currency: j.Currency, State: j.State, Source: j.Source}
	if j.Amount != nil {
		m.Amount = *j.Amount
	}
	return nil
}

// Known reports whether the amount means something (billed or estimated).
func (m Money) Known() bool { return m.State == CostBilled || m.State == CostEstimated }

// Unpriced returns an unpriced figure with the reason.
func Unpriced(why string) Money { return Money{State: CostUnpriced, Source: why} }

// Estimated returns an estimated figure.
func Estimated(amount valdrix.Decimal, currency, source string) Money {
	return Money{Amount: amount, Currency: currency, State: CostEstimated, Source: source}
}

// Scale returns m × num / den, estimated from m with source (an unpriced m
// stays unpriced).
func (m Money) Scale(num, den int64, source string) Money {
	if !m.Known() {
		return m
	}
	v, ok := m.Amount.MulRatio(num, den)
	if !ok {
		return Unpriced("the estimate overflows")
	}
	return Money{Amount: v, Currency: m.Currency, State: CostEstimated, Source: source}
}

// ScaleFloat returns m × f for a ratio from a price table (four significant
// decimals are kept), estimated with source.
func (m Money) ScaleFloat(f float64, source string) Money {
	return m.Scale(int64(f*1e6+0.5), 1e6, source)
}

// Plus adds two figures: billed + billed stays billed, an estimate makes
// the sum estimated, and an unpriced part makes it unpriced (a sum that
// misses a part is not a figure).
func (m Money) Plus(o Money) Money {
	switch {
	case m.State == "":
		return o
	case o.State == "":
		return m
	case !m.Known():
		return m
	case !o.Known():
		return o
	}
	v, ok := m.Amount.Add(o.Amount)
	if !ok {
		return Unpriced("the sum overflows")
	}
	out := Money{Amount: v, Currency: m.Currency, State: CostBilled, Source: m.Source}
	if out.Currency == "" {
		out.Currency = o.Currency
	}
	if m.State == CostEstimated || o.State == CostEstimated {
		out.State = CostEstimated
		if m.State != CostEstimated {
			out.Source = o.Source
		}
	}
	return out
}

// costOf is the monthly effective cost of u's lines. Without lines it is
// unpriced: a resource the ledger does not show may be too new, or billed
// without a resource id, so no line is not proof of no charge. Rules that
// know a resource is free say so with an estimate of their own.
func costOf(u Usage) Money {
	switch {
	case !u.Empty():
		return Money{Amount: u.Monthly(), Currency: u.Currency(), State: CostBilled, Source: "ledger"}
	case u.Covered:
		return Unpriced("the ledger has no rows for the resource in the window")
	}
	return Unpriced("the ledger has no data for the account in the window")
}

// Free returns a billed zero: the ledger shows the account and the rule
// knows why the resource has no charge of its own.
func Free(currency, why string) Money {
	return Money{Currency: currency, State: CostBilled, Source: why}
}

// Subject is one resource under evaluation by one rule.
type Subject struct {
	Ref
	// Resource is the inventory record; nil for a billing-only subject.
	Resource *cloud.Resource
	// Usage holds the resource's ledger lines over the window.
	Usage  Usage
	Now    time.Time
	Params Params

	scope   *Scope
	metrics map[string]MetricWindow
}

// WithParams returns a copy of the subject for another rule: same resource
// and usage (shared, read-only), other parameters, no metric windows.
func (s *Subject) WithParams(p Params) *Subject {
	c := *s
	c.Params, c.metrics = p, nil
	return &c
}

// Param returns a threshold value.
func (s *Subject) Param(name string) float64 { return s.Params.Get(name) }

// Attr returns an inventory attribute; false when absent or billing-only.
func (s *Subject) Attr(key string) (string, bool) {
	if s.Resource == nil {
		return "", false
	}
	return s.Resource.Attr(key)
}

// AgeDays returns the resource's age in days, when the inventory gives a
// creation time.
func (s *Subject) AgeDays() (float64, bool) {
	if s.CreatedAt.IsZero() {
		return 0, false
	}
	return s.Now.Sub(s.CreatedAt).Hours() / 24, true
}

// DaysSince returns the days from t to Now.
func (s *Subject) DaysSince(t time.Time) float64 { return s.Now.Sub(t).Hours() / 24 }

// Cost returns the subject's monthly cost (all its ledger lines).
func (s *Subject) Cost() Money { return costOf(s.Usage) }

// CostWhere returns the monthly cost of the lines match accepts.
func (s *Subject) CostWhere(match func(*Line) bool) Money { return costOf(s.Usage.Where(match)) }

// Get returns another inventory resource of the connection by id.
func (s *Subject) Get(id string) (Ref, bool) { return s.scope.Get(id) }

// Find looks up a relation index (declared in Rule.Indexes).
func (s *Subject) Find(index, key string) []Ref { return s.scope.Find(index, key) }

// CostOf returns another subject's monthly cost.
func (s *Subject) CostOf(r Ref) Money { return s.scope.Cost(r.Index) }

// CommitmentUsed returns the effective cost of the usage commitment id
// covered in the window, and whether the ledger shows any.
func (s *Subject) CommitmentUsed(id string) (valdrix.Decimal, bool) {
	return s.scope.CommitmentUsed(s.Provider, id)
}

// RegionalCommitments returns the committed use discount fees and credits
// (negative) billed in the subject's account and region since day from.
func (s *Subject) RegionalCommitments(from valdrix.Date) (fee, credit valdrix.Decimal, ok bool) {
	return s.scope.ledger.RegionalCommitments(s.AccountID, s.Region, from)
}

// SetMetrics hands the subject the metric windows fetched for its queries
// (nil clears them).
func (s *Subject) SetMetrics(ws []MetricWindow) {
	if ws == nil {
		s.metrics = nil
		return
	}
	s.metrics = make(map[string]MetricWindow, len(ws))
	for _, w := range ws {
		s.metrics[w.Key] = w
	}
}

// Metric returns the window fetched for key; a key the rule did not ask
// for is unknown.
func (s *Subject) Metric(key string) MetricWindow {
	if w, ok := s.metrics[key]; ok {
		return w
	}
	return MetricWindow{Key: key, Status: cloud.MetricUnknown, Reason: ReasonNotQueried, Message: "the metric was not queried"}
}

// Windows returns the windows for keys, or an Unknown verdict when one is
// unknown or has fewer than minPoints datapoints: missing data is never
// read as idle.
func (s *Subject) Windows(minPoints int, keys ...string) ([]MetricWindow, *Verdict) {
	out := make([]MetricWindow, len(keys))
	for i, k := range keys {
		w := s.Metric(k)
		if w.Status != cloud.MetricOK {
			v := Unknown(Reason("metrics_"+string(w.Reason)), fmt.Sprintf("%s %s: %s", w.Namespace, w.Metric, w.Message))
			return nil, &v
		}
		if len(w.Points) < minPoints {
			v := Unknown(ReasonShortHistory, fmt.Sprintf("%s %s has %d of the %d datapoints the window needs", w.Namespace, w.Metric, len(w.Points), minPoints))
			return nil, &v
		}
		out[i] = w
	}
	return out, nil
}

// Outcome is a rule's decision about one subject.
type Outcome string

// Outcomes.
const (
	OutcomeWaste   Outcome = "waste"
	OutcomeOK      Outcome = "ok"
	OutcomeUnknown Outcome = "unknown"
)

// Reason is a stable code for an unknown outcome.
type Reason string

// Unknown reasons. Metric windows add "metrics_" + the cloud.UnknownReason
// (metrics_no_data, metrics_throttled, metrics_denied, metrics_over_budget,
// metrics_failed) and metrics_unavailable when no metrics source is given.
const (
	// ReasonNoBilling: the rule decides from billing and the account has no
	// ledger data in the window.
	ReasonNoBilling Reason = "no_billing"
	// ReasonShortHistory: less billing or metric history than the window
	// needs (a resource younger than the window).
	ReasonShortHistory Reason = "short_history"
	// ReasonMissingAttribute: the inventory does not report an attribute
	// the rule needs.
	ReasonMissingAttribute Reason = "missing_attribute"
	// ReasonMissingRelated: a resource this one refers to is not in the
	// inventory.
	ReasonMissingRelated Reason = "missing_related"
	// ReasonInconsistentBilling: ledger lines contradict each other (a
	// column the rule needs is missing from the export).
	ReasonInconsistentBilling Reason = "inconsistent_billing"
	// ReasonMetricsUnavailable: no metrics source was given.
	ReasonMetricsUnavailable Reason = "metrics_unavailable"
	// ReasonNotQueried marks a window the rule read without asking for it.
	ReasonNotQueried cloud.UnknownReason = "not_queried"
)

// Fact is one observation behind a verdict, kept as evidence.
type Fact struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// F returns a fact, formatting the value.
func F(name string, value any) Fact {
	switch v := value.(type) {
	case string:
		return Fact{name, v}
	case time.Time:
		return Fact{name, v.UTC().Format(time.RFC3339)}
	case valdrix.Date:
		return Fact{name, v.String()}
	case float64:
		return Fact{name, fmt.Sprintf("%.4g", v)}
	}
	return Fact{name, fmt.Sprint(value)}
}

// Verdict is a rule's answer for one subject.
type Verdict struct {
	Outcome Outcome
	// Reason is set for an unknown outcome.
	Reason Reason
	// Detail says in one sentence why the resource is waste, or why the rule
	// could not decide.
	Detail string
	// Savings is what the action removes per month (waste only).
	Savings Money
	// Method says how Savings was computed (defaults to the rule's).
	Method string
	// Cost, when set, is the finding's monthly cost basis instead of the
	// resource's own billed cost (a commitment's whole fee, a free resource
	// group's estimated zero).
	Cost Money
	// Confidence overrides the rule's when non-zero.
	Confidence float64
	// Related are other subjects whose cost the finding covers (the volumes
	// of a stopped instance, the snapshots of an image).
	Related []Ref
	Facts   []Fact
}

// Waste returns a waste verdict.
func Waste(detail string, savings Money, facts ...Fact) Verdict {
	return Verdict{Outcome: OutcomeWaste, Detail: detail, Savings: savings, Facts: facts}
}

// OK returns a not-waste verdict.
func OK(detail string, facts ...Fact) Verdict {
	return Verdict{Outcome: OutcomeOK, Detail: detail, Facts: facts}
}

// Unknown returns an undecided verdict.
func Unknown(reason Reason, detail string, facts ...Fact) Verdict {
	return Verdict{Outcome: OutcomeUnknown, Reason: reason, Detail: detail, Facts: facts}
}
