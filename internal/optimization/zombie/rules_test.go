package zombie_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// A fixture (testdata/<rule id>.json) holds a rule's table tests: each case
// builds a small connection (inventory, ledger rows, metric windows), asks
// the rule about one subject and states the outcome. Every rule has at least
// a waste, an ok and an unknown case.
type fixture struct {
	Rule       string            `json:"rule"`
	Now        time.Time         `json:"now"`
	WindowDays int               `json:"window_days"`
	Resources  []fixtureResource `json:"resources"`
	Ledger     []fixtureRow      `json:"ledger"`
	Cases      []fixtureCase     `json:"cases"`
}

type fixtureCase struct {
	Name      string                   `json:"name"`
	Subject   string                   `json:"subject"`
	Resources []fixtureResource        `json:"resources"`
	Ledger    []fixtureRow             `json:"ledger"`
	Metrics   map[string]fixtureMetric `json:"metrics"`
	Params    map[string]float64       `json:"params"`

	Want             string   `json:"want"`
	WantReason       string   `json:"want_reason"`
	WantSavings      string   `json:"want_savings"`
	WantSavingsState string   `json:"want_savings_state"`
	WantRelated      []string `json:"want_related"`
	WantQueries      *int     `json:"want_queries"`
}

// fixtureResource is a cloud.Resource in snake case. Times may be given
// relative to the fixture's now as "-40d" or "-36h" (in created and in
// attribute values).
type fixtureResource struct {
	Provider  valdrix.Provider  `json:"provider"`
	AccountID string            `json:"account_id"`
	Region    string            `json:"region"`
	Type      string            `json:"type"`
	ID        string            `json:"id"`
	BillingID string            `json:"billing_id"`
	Name      string            `json:"name"`
	State     string            `json:"state"`
	Created   string            `json:"created"`
	Tags      map[string]string `json:"tags"`
	Attrs     map[string]string `json:"attrs"`
}

// fixtureRow expands to one ledger row per day: Days days ending Skip days
// before the last day of the window (default: every day of the window), or
// the single Day.
type fixtureRow struct {
	Resource         string `json:"resource"`
	Account          string `json:"account"`
	Region           string `json:"region"`
	UsageType        string `json:"usage_type"`
	Operation        string `json:"operation"`
	Service          string `json:"service"`
	ResourceType     string `json:"resource_type"`
	Category         string `json:"category"`
	Frequency        string `json:"frequency"`
	Pricing          string `json:"pricing"`
	Unit             string `json:"unit"`
	InstanceType     string `json:"instance_type"`
	CommitmentID     string `json:"commitment_id"`
	CommitmentType   string `json:"commitment_type"`
	CommitmentStatus string `json:"commitment_status"`
	CapacityStatus   string `json:"capacity_status"`
	Days             int    `json:"days"`
	Skip             int    `json:"skip"`
	Day              string `json:"day"`
	Cost             string `json:"cost"`
	Effective        string `json:"effective"`
	Quantity         string `json:"quantity"`
}

// fixtureMetric is a metric window: Values, or Count points of Value, or
// unknown with a reason.
type fixtureMetric struct {
	Status string    `json:"status"`
	Reason string    `json:"reason"`
	Values []float64 `json:"values"`
	Value  float64   `json:"value"`
	Count  int       `json:"count"`
}

var defaultAccount = map[valdrix.Provider]string{
	valdrix.AWS: "111122223333", valdrix.Azure: "00000000-0000-4000-8000-000000000001", valdrix.GCP: "acme-prod",
}

var defaultRegion = map[valdrix.Provider]string{valdrix.AWS: "us-east-1", valdrix.Azure: "eastus", valdrix.GCP: "us-central1"}

func relTime(t *testing.T, now time.Time, v string) string {
	t.Helper()
	if !strings.HasPrefix(v, "-") {
		return v
	}
	n, err := strconv.ParseFloat(v[1:len(v)-1], 64)
	require.NoError(t, err, v)
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour}[v[len(v)-1]]
	require.NotZero(t, unit, "relative time %q needs a d or h suffix", v)
	return now.Add(-time.Duration(n * float64(unit))).UTC().Format(time.RFC3339)
}

func (f fixtureResource) resource(t *testing.T, p valdrix.Provider, now time.Time) cloud.Resource {
	t.Helper()
	if f.Provider == "" {
		f.Provider = p
	}
	r := cloud.Resource{
		Provider: f.Provider, AccountID: f.AccountID, Region: f.Region, Type: f.Type, ID: f.ID, BillingID: f.BillingID,
		Name: f.Name, State: f.State, Tags: f.Tags, Attrs: map[string]string{},
	}
	if r.AccountID == "" {
		r.AccountID = defaultAccount[r.Provider]
	}
	if r.Region == "" {
		r.Region = defaultRegion[r.Provider]
	}
	if r.BillingID == "" {
		r.BillingID = r.ID
	}
	if f.Created != "" {
		ts, err := time.Parse(time.RFC3339, relTime(t, now, f.Created))
		require.NoError(t, err)
		r.CreatedAt = ts
	}
	for k, v := range f.Attrs {
		r.Attrs[k] = relTime(t, now, v)
	}
	return r
}

func dec(t *testing.T, s string) valdrix.Decimal {
	t.Helper()
	if s == "" {
		return 0
	}
	d, err := valdrix.ParseDecimal(s)
	require.NoError(t, err, s)
	return d
}

func (f fixtureRow) rows(t *testing.T, p valdrix.Provider, w zombie.Window, byID map[string]cloud.Resource) []ingestion.LedgerRow {
	t.Helper()
	base := ingestion.LedgerRow{
		Provider: p, SubAccountID: f.Account, RegionID: f.Region, ServiceName: f.Service, ResourceID: f.Resource, ResourceType: f.ResourceType,
		UsageType: f.UsageType, Operation: f.Operation, ChargeCategory: f.Category, ChargeFrequency: f.Frequency,
		PricingCategory: f.Pricing, PricingUnit: f.Unit, ConsumedUnit: f.Unit, BillingCurrency: "USD",
		InstanceType: f.InstanceType, CommitmentDiscountID: f.CommitmentID, CommitmentDiscountType: f.CommitmentType,
		CommitmentDiscountStatus: f.CommitmentStatus, CapacityReservationStatus: f.CapacityStatus, LineCount: 1,
		BilledCost: dec(t, f.Cost), ConsumedQuantity: dec(t, f.Quantity), PricingQuantity: dec(t, f.Quantity),
		Missing: ingestion.MissingVCPUs | ingestion.MissingListCost,
	}
	if r, ok := byID[f.Resource]; ok {
		base.Provider = r.Provider
		if base.SubAccountID == "" {
			base.SubAccountID = r.AccountID
		}
		if base.RegionID == "" {
			base.RegionID = r.Region
		}
		if base.ResourceID == r.ID {
			base.ResourceID = r.BillingID
		}
	}
	if base.SubAccountID == "" {
		base.SubAccountID = defaultAccount[base.Provider]
	}
	if base.RegionID == "" {
		base.RegionID = defaultRegion[base.Provider]
	}
	if base.ChargeCategory == "" {
		base.ChargeCategory = "Usage"
	}
	if base.ChargeFrequency == "" {
		base.ChargeFrequency = "Usage-Based"
	}
	if base.PricingCategory == "" && base.ChargeCategory == "Usage" {
		base.PricingCategory = "Standard"
	}
	base.EffectiveCost = base.BilledCost
	if f.Effective != "" {
		base.EffectiveCost = dec(t, f.Effective)
	}
	if f.Day != "" {
		d, err := valdrix.ParseDate("day", f.Day)
		require.NoError(t, err)
		base.ChargeDay, base.BillingPeriod = d, d.Month()
		return []ingestion.LedgerRow{base}
	}
	n := f.Days
	if n == 0 {
		n = w.Days()
	}
	last := w.End.AddDays(-1 - f.Skip)
	var out []ingestion.LedgerRow
	for d := last.AddDays(1 - n); d <= last; d++ {
		r := base
		r.ChargeDay, r.BillingPeriod = d, d.Month()
		out = append(out, r)
	}
	return out
}

func (m fixtureMetric) result(id string) cloud.MetricResult {
	if m.Status == "unknown" {
		return cloud.Unknown(id, cloud.UnknownReason(m.Reason), "fixture: "+m.Reason)
	}
	vals := m.Values
	for range m.Count {
		vals = append(vals, m.Value)
	}
	res := cloud.MetricResult{ID: id, Status: cloud.MetricOK}
	for i, v := range vals {
		res.Points = append(res.Points, cloud.MetricPoint{Time: time.Unix(int64(i)*86400, 0).UTC(), Value: v})
	}
	return res
}

func loadFixture(t *testing.T, id string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", id+".json"))
	require.NoError(t, err, "rule %s has no fixture testdata/%s.json", id, id)
	var f fixture
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&f), "fixture %s", id)
	require.Equal(t, id, f.Rule)
	if f.Now.IsZero() {
		f.Now = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	}
	if f.WindowDays == 0 {
		f.WindowDays = 30
	}
	return f
}

// TestRules runs every rule's fixture.
func TestRules(t *testing.T) {
	t.Parallel()
	for _, rule := range zombie.Rules() {
		t.Run(rule.ID, func(t *testing.T) {
			t.Parallel()
			f := loadFixture(t, rule.ID)
			outcomes := map[string]bool{}
			for _, c := range f.Cases {
				outcomes[c.Want] = true
			}
			for _, want := range []string{"waste", "ok", "unknown"} {
				require.True(t, outcomes[want], "the fixture of %s needs a %s case", rule.ID, want)
			}
			for _, c := range f.Cases {
				t.Run(c.Name, func(t *testing.T) {
					t.Parallel()
					runCase(t, rule, f, c)
				})
			}
		})
	}
}

func runCase(t *testing.T, rule *zombie.Rule, f fixture, c fixtureCase) {
	t.Helper()
	w, err := zombie.NewWindow(valdrix.DateOf(f.Now), f.WindowDays)
	require.NoError(t, err)
	scope := zombie.NewScope(w, f.Now, rule.Indexes)
	byID := map[string]cloud.Resource{}
	for _, fr := range slices.Concat(f.Resources, c.Resources) {
		r := fr.resource(t, rule.Provider, f.Now)
		byID[r.ID] = r
		scope.AddResource(&r, false)
	}
	ledger := slices.Concat(f.Ledger, c.Ledger)
	for _, fr := range ledger {
		for _, row := range fr.rows(t, rule.Provider, w, byID) {
			scope.AddRow(&row)
		}
	}
	if len(ledger) > 0 {
		// The rest of the account's ledger runs to the window's last day.
		scope.AddRow(&ingestion.LedgerRow{Provider: rule.Provider, ChargeDay: w.End.AddDays(-1), ChargeCategory: "Tax"})
	}
	scope.Finish()
	var res *cloud.Resource
	i, ok := scope.Lookup(c.Subject)
	if ok {
		r := byID[c.Subject]
		res = &r
		require.Contains(t, rule.Types, r.Type, "the subject's type is not one the rule decides")
	} else {
		i, ok = scope.LookupBilling(rule.Provider, c.Subject)
		require.True(t, ok, "subject %s is neither a resource nor billed", c.Subject)
		require.NotNil(t, rule.Billing, "a billing-only subject needs a rule with a billing matcher")
		u := scope.Usage(i)
		require.True(t, u.Has(rule.Billing), "no ledger line of %s matches the rule's billing matcher", c.Subject)
	}
	params, err := rule.WithOverrides(c.Params)
	require.NoError(t, err)
	s := scope.Subject(i, res, params)
	if rule.Queries != nil {
		specs := rule.Queries(s)
		if c.WantQueries != nil {
			require.Len(t, specs, *c.WantQueries, "metric queries")
		}
		var ws []zombie.MetricWindow
		for _, spec := range specs {
			require.NotEmpty(t, spec.Key)
			require.Positive(t, spec.Days)
			q := spec.Query(spec.Key, s.Region, f.Now)
			m, given := c.Metrics[spec.Key]
			res := cloud.Unknown(spec.Key, cloud.ReasonNoData, "no datapoints")
			if given {
				res = m.result(spec.Key)
			}
			ws = append(ws, zombie.WindowOf(spec, q, res))
		}
		s.SetMetrics(ws)
	}
	v := rule.Evaluate(s)
	require.Equal(t, c.Want, string(v.Outcome), "verdict: %s (%s)", v.Detail, v.Reason)
	require.NotEmpty(t, v.Detail)
	if c.WantReason != "" {
		require.Equal(t, c.WantReason, string(v.Reason), v.Detail)
	}
	if v.Outcome == zombie.OutcomeUnknown {
		require.NotEmpty(t, v.Reason)
	}
	if v.Outcome != zombie.OutcomeWaste {
		return
	}
	require.NotEmpty(t, v.Savings.State, "a waste verdict states its savings")
	if c.WantSavings != "" {
		require.Equal(t, c.WantSavings, v.Savings.Amount.StringFixed(2), "monthly savings (%s: %s)", v.Savings.State, v.Savings.Source)
	}
	if c.WantSavingsState != "" {
		require.Equal(t, c.WantSavingsState, string(v.Savings.State), v.Savings.Source)
	}
	if c.WantRelated != nil {
		var got []string
		for _, r := range v.Related {
			got = append(got, r.ID)
		}
		require.ElementsMatch(t, c.WantRelated, got)
	}
}

// TestRuleDeclarations checks every rule's declaration and the registry.
func TestRuleDeclarations(t *testing.T) {
	t.Parallel()
	rules := zombie.Rules()
	ids := map[string]bool{}
	count := map[valdrix.Provider]int{}
	for _, r := range rules {
		require.NoError(t, r.Validate())
		require.False(t, ids[r.ID], "duplicate rule id %s", r.ID)
		ids[r.ID] = true
		count[r.Provider]++
	}
	// The coverage floor: 35 AWS, 20 Azure and 13 GCP rules.
	require.GreaterOrEqual(t, count[valdrix.AWS], 35)
	require.GreaterOrEqual(t, count[valdrix.Azure], 20)
	require.GreaterOrEqual(t, count[valdrix.GCP], 13)
	fixtures, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	for _, f := range fixtures {
		id := strings.TrimSuffix(filepath.Base(f), ".json")
		require.True(t, ids[id], "fixture %s belongs to no rule", f)
	}
}
