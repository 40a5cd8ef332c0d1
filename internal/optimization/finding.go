package optimization

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// FindingKey identifies a finding across runs: the same rule flagging the
// same resource of the same connection is the same finding.
type FindingKey struct {
	ConnectionID string `json:"connection_id"`
	// ResourceID is the inventory id, or the billing id of a resource
	// known only from the ledger.
	ResourceID string `json:"resource_id"`
	RuleID     string `json:"rule_id"`
}

// String returns the key as 32 hex digits (a SHA-256 prefix of its parts),
// stable across runs and versions, fit for a unique index.
func (k FindingKey) String() string {
	h := sha256.Sum256([]byte(k.ConnectionID + "\x00" + k.ResourceID + "\x00" + k.RuleID))
	return hex.EncodeToString(h[:16])
}

// Target is what a result is about: its key, the rule and the resource.
// Findings and undecided results embed it (its fields are flattened in
// JSON).
type Target struct {
	Key        string     `json:"key"` // FindingKey.String()
	FindingKey FindingKey `json:"finding_key"`

	RuleID      string           `json:"rule_id"`
	RuleVersion int              `json:"rule_version"`
	Code        string           `json:"code"` // catalogue code, "A4"
	Provider    valdrix.Provider `json:"provider"`
	AccountID   string           `json:"account_id"`
	Region      string           `json:"region"`

	ResourceID   string `json:"resource_id"`
	BillingID    string `json:"billing_id"`
	ResourceType string `json:"resource_type"`
	ResourceName string `json:"resource_name,omitempty"`
	// BillingOnly is true when the resource is known only from the ledger
	// (reservations, capacity reservations).
	BillingOnly bool `json:"billing_only,omitempty"`
}

// Finding is one resource a rule found wasteful.
type Finding struct {
	Target

	Title  string        `json:"title"`
	Detail string        `json:"detail"`
	Action zombie.Action `json:"action"`

	// MonthlyCost is what the finding's resource costs a month (with the
	// related resources it covers: the volumes of a stopped instance): its
	// effective cost in the ledger over the window, normalised to 30.44
	// days. Never $0 for lack of data: without ledger lines it is unpriced.
	MonthlyCost zombie.Money `json:"monthly_cost"`
	// MonthlySavings is what the action removes a month.
	MonthlySavings zombie.Money `json:"monthly_savings"`
	SavingsMethod  string       `json:"savings_method"`
	// Carbon is the CO2e per month of the ledger lines the monthly cost
	// covers.
	Carbon     Carbon  `json:"carbon"`
	Confidence float64 `json:"confidence"`

	Evidence Evidence `json:"evidence"`
}

// Carbon is a finding's emissions per month, from reporting/carbon's CCF
// estimator over the finding's ledger lines (window sums × 30.44 / days).
type Carbon struct {
	// Known is false when there is no ledger line to estimate from; the
	// figures are then zero and mean nothing.
	Known          bool            `json:"known"`
	KgCO2ePerMonth valdrix.Decimal `json:"kg_co2e_per_month"`
	OperationalKg  valdrix.Decimal `json:"operational_kg_per_month"`
	EmbodiedKg     valdrix.Decimal `json:"embodied_kg_per_month"`
	KWhPerMonth    valdrix.Decimal `json:"kwh_per_month"`
	// Complete is true when every usage line was estimated; otherwise the
	// figures are an undercount and Reasons counts the lines left out.
	Complete            bool                  `json:"complete"`
	EstimatedLines      int                   `json:"estimated_lines"`
	UnknownLines        int                   `json:"unknown_lines"`
	Reasons             map[carbon.Reason]int `json:"reasons,omitempty"`
	CoefficientsVersion string                `json:"coefficients_version"`
	Window              carbon.Window         `json:"window"`
}

// Evidence is what a verdict rests on, serialisable as JSON.
type Evidence struct {
	RuleID      string `json:"rule_id"`
	RuleVersion int    `json:"rule_version"`
	Signal      string `json:"signal"`
	Data        string `json:"data"` // billing+inventory+metrics

	Window WindowEvidence `json:"window"`
	// Billing summarises the resource's own ledger lines over the window.
	Billing []BillingEvidence `json:"billing,omitempty"`
	// Resource is the inventory record (nil for billing-only resources).
	Resource *ResourceEvidence     `json:"resource,omitempty"`
	Metrics  []zombie.MetricWindow `json:"metrics,omitempty"`
	// Thresholds are the values used; Overridden names those the tenant set.
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
	Overridden []string           `json:"overridden,omitempty"`
	Facts      []zombie.Fact      `json:"facts,omitempty"`
	Related    []RelatedEvidence  `json:"related,omitempty"`
}

// WindowEvidence is the ledger window of the run.
type WindowEvidence struct {
	Start    valdrix.Date `json:"start"`
	End      valdrix.Date `json:"end"` // exclusive
	FeesFrom valdrix.Date `json:"fees_from"`
	// Through is the last day with ledger data.
	Through valdrix.Date `json:"through"`
}

// BillingEvidence is one ledger line of the resource summed over a month of
// the window.
type BillingEvidence struct {
	Month                     valdrix.Month   `json:"month"`
	UsageType                 string          `json:"usage_type"`
	Operation                 string          `json:"operation,omitempty"`
	ServiceName               string          `json:"service_name,omitempty"`
	ChargeCategory            string          `json:"charge_category"`
	PricingCategory           string          `json:"pricing_category,omitempty"`
	CommitmentDiscountID      string          `json:"commitment_discount_id,omitempty"`
	CommitmentDiscountStatus  string          `json:"commitment_discount_status,omitempty"`
	CapacityReservationStatus string          `json:"capacity_reservation_status,omitempty"`
	FirstDay                  valdrix.Date    `json:"first_day"`
	LastDay                   valdrix.Date    `json:"last_day"`
	Days                      int             `json:"days"`
	Rows                      int             `json:"rows"`
	Quantity                  valdrix.Decimal `json:"quantity"`
	Unit                      string          `json:"unit,omitempty"`
	BilledCost                valdrix.Decimal `json:"billed_cost"`
	EffectiveCost             valdrix.Decimal `json:"effective_cost"`
	ListCost                  valdrix.Decimal `json:"list_cost,omitempty"`
	Currency                  string          `json:"currency,omitempty"`
}

// ResourceEvidence is the inventory record at detection time.
type ResourceEvidence struct {
	State     string            `json:"state,omitempty"`
	CreatedAt time.Time         `json:"created_at,omitzero"`
	Tags      map[string]string `json:"tags,omitempty"`
	Attrs     map[string]string `json:"attrs,omitempty"`
}

// RelatedEvidence is another resource whose cost the finding covers.
type RelatedEvidence struct {
	ResourceID  string       `json:"resource_id"`
	BillingID   string       `json:"billing_id,omitempty"`
	Type        string       `json:"type,omitempty"`
	MonthlyCost zombie.Money `json:"monthly_cost"`
}

// Undecided is a resource a rule could not decide for lack of data: never a
// finding and never "not waste". The lead shows them so that missing
// permissions or metrics can be fixed.
type Undecided struct {
	Target
	Reason zombie.Reason `json:"reason"`
	Detail string        `json:"detail"`
	// Metrics are the windows the rule asked for, with their status.
	Metrics []zombie.MetricWindow `json:"metrics,omitempty"`
	Facts   []zombie.Fact         `json:"facts,omitempty"`
}

// Skipped is a rule that could not run on some resources: they are
// neither findings nor "not waste".
type Skipped struct {
	RuleID    string        `json:"rule_id"`
	Reason    zombie.Reason `json:"reason"`
	Resources int           `json:"resources"`
	Detail    string        `json:"detail"`
}

// Excluded is a resource the tenant's overrides exclude from detection.
type Excluded struct {
	ResourceID string `json:"resource_id"`
	Reason     string `json:"reason"` // "tag valdrix:ignore", "account 1111…", "region eu-west-1"
}

// DetectResult is one detection run over one connection.
type DetectResult struct {
	ConnectionID string           `json:"connection_id"`
	TenantID     valdrix.TenantID `json:"tenant_id"`
	Provider     valdrix.Provider `json:"provider"`
	StartedAt    time.Time        `json:"started_at"`
	FinishedAt   time.Time        `json:"finished_at"`
	Window       WindowEvidence   `json:"window"`

	// Findings and Undecided are sorted by key.
	Findings  []*Finding   `json:"findings"`
	Undecided []*Undecided `json:"undecided"`
	// Skipped lists the rules that could not run on some resources at all
	// (metric rules without a metrics source), with how many.
	Skipped  []Skipped  `json:"skipped,omitempty"`
	Excluded []Excluded `json:"excluded,omitempty"`
	Totals   []Total    `json:"totals"`
	Stats    Stats      `json:"stats"`
}

// Total sums the findings of one currency. Savings are not additive when
// findings cover the same charges (a stopped instance and its volumes): a
// ledger line counts once, for the finding that saves the most.
type Total struct {
	Currency         string          `json:"currency"`
	Findings         int             `json:"findings"`
	MonthlyCost      valdrix.Decimal `json:"monthly_cost"`
	MonthlySavings   valdrix.Decimal `json:"monthly_savings"`
	KgCO2ePerMonth   valdrix.Decimal `json:"kg_co2e_per_month"`
	UnpricedFindings int             `json:"unpriced_findings"`
}

// Stats counts what a run did.
type Stats struct {
	Resources     int   `json:"resources"`
	BillingOnly   int   `json:"billing_only"`
	Excluded      int   `json:"excluded"`
	LedgerRows    int64 `json:"ledger_rows"`
	RowsSkipped   int64 `json:"rows_skipped"`
	LineEntries   int   `json:"line_entries"`
	Evaluations   int   `json:"evaluations"`
	Waste         int   `json:"waste"`
	OK            int   `json:"ok"`
	Unknown       int   `json:"unknown"`
	MetricQueries int   `json:"metric_queries"`
	MetricCalls   int   `json:"metric_calls"`
	// OverBudget counts queries the budget refused.
	OverBudget int                  `json:"over_budget"`
	ByRule     map[string]RuleStats `json:"by_rule"`
}

// RuleStats counts one rule's outcomes.
type RuleStats struct {
	Waste   int `json:"waste"`
	OK      int `json:"ok"`
	Unknown int `json:"unknown"`
}

// targetOf returns the target of rule's verdict on subject s of
// connection conn.
func targetOf(conn cloud.Connection, rule *zombie.Rule, s *zombie.Subject, name string) Target {
	key := FindingKey{ConnectionID: conn.ID, ResourceID: s.ID, RuleID: rule.ID}
	return Target{
		Key: key.String(), FindingKey: key, RuleID: rule.ID, RuleVersion: rule.Version, Code: rule.Code,
		Provider: s.Provider, AccountID: s.AccountID, Region: s.Region, ResourceID: s.ID, BillingID: s.BillingID,
		ResourceType: s.Type, ResourceName: name, BillingOnly: s.BillingOnly,
	}
}
