package zombie

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Rule is one waste rule. Rules are values built by a function per rule file
// and listed by Rules; they hold no state and are safe for concurrent use.
type Rule struct {
	// ID is stable and never reused: "<provider>.<service>.<what>", e.g.
	// "aws.ec2.unattached_volume". Findings are keyed by it.
	ID string
	// Code is the catalogue code (docs/rules.md): A1…A35, Z1…Z20, G1…G13.
	Code string
	// Version is bumped whenever the decision, the defaults or the savings
	// method change, so a stored finding says which logic produced it.
	Version int
	Title   string
	// Description says what the rule flags and why it is waste.
	Description string
	// Signal is the condition in one line, for docs and evidence.
	Signal   string
	Provider valdrix.Provider
	// Types are the canonical resource types the rule decides. An inventory
	// resource is a subject of the rule only when its type is listed; a
	// billing-only subject (no inventory record) is reported with Types[0].
	Types []string
	// Data is the evidence the rule reads.
	Data Data
	// Thresholds are the rule's tunables with their defaults; tenants may
	// override them (optimization.Overrides).
	Thresholds []Threshold
	Action     Action
	// SavingsMethod says how the monthly savings are computed.
	SavingsMethod string
	// Confidence is a finding's confidence (0–1) unless the verdict says
	// otherwise.
	Confidence float64
	// OptIn rules are off unless a tenant enables them: review advice
	// (commitment purchases, large volumes) rather than waste.
	OptIn bool

	// Billing, when set, makes a resource known only from the ledger (no
	// inventory record) a subject of the rule when one of its ledger lines
	// matches. Nil means the rule needs an inventory record.
	Billing func(l *Line) bool
	// Indexes are the relation indexes the rule looks up with Scope.Find;
	// the engine builds them in its first pass over the inventory.
	Indexes []Index
	// Queries returns the metric windows the rule needs to decide s, or nil
	// when billing or inventory already decide it. The engine fetches them
	// in batches (under the tenant's budget) before calling Evaluate.
	Queries func(s *Subject) []MetricSpec
	// Evaluate decides one subject.
	Evaluate func(s *Subject) Verdict
}

// Data is a set of evidence kinds.
type Data uint8

// Evidence kinds.
const (
	DataBilling Data = 1 << iota
	DataInventory
	DataMetrics
)

func (d Data) String() string {
	var parts []string
	for _, p := range []struct {
		bit  Data
		name string
	}{{DataBilling, "billing"}, {DataInventory, "inventory"}, {DataMetrics, "metrics"}} {
		if d&p.bit != 0 {
			parts = append(parts, p.name)
		}
	}
	return strings.Join(parts, "+")
}

// MarshalText encodes the set as "billing+inventory".
func (d Data) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// ActionKind is a remediation.
type ActionKind string

// Remediations.
const (
	ActionDelete         ActionKind = "delete"          // delete the resource
	ActionSnapshotDelete ActionKind = "snapshot_delete" // snapshot, then delete
	ActionTerminate      ActionKind = "terminate"       // snapshot the volumes, then terminate the instance
	ActionStop           ActionKind = "stop"            // stop / deallocate
	ActionModify         ActionKind = "modify"          // change type, tier or size in place
	ActionRelease        ActionKind = "release"         // release an address
	ActionConfigure      ActionKind = "configure"       // set a retention or lifecycle policy
	ActionPurchase       ActionKind = "purchase"        // buy a reservation or savings plan
	ActionExchange       ActionKind = "exchange"        // modify, exchange or sell a commitment
	ActionReview         ActionKind = "review"          // a human decides
)

// Action is a rule's recommended remediation.
type Action struct {
	Kind ActionKind `json:"kind"`
	// Reversible is true when the action can be undone without loss
	// (stop, modify, snapshot-then-delete restores from the snapshot).
	Reversible  bool   `json:"reversible"`
	Description string `json:"description"`
}

// Unit is a threshold's unit.
type Unit string

// Threshold units.
const (
	UnitDays     Unit = "days"
	UnitHours    Unit = "hours"
	UnitPercent  Unit = "percent"  // 0–100
	UnitFraction Unit = "fraction" // 0–1
	UnitBytes    Unit = "bytes"
	UnitCount    Unit = "count"
	UnitGiB      Unit = "GiB"
	UnitIOPS     Unit = "IOPS"
	UnitVCPUs    Unit = "vCPUs"
)

// Threshold is one tunable of a rule.
type Threshold struct {
	Name    string // snake_case, unique within the rule
	Unit    Unit
	Default float64
	// Min and Max bound overrides (inclusive); Integer requires whole values.
	Min, Max    float64
	Integer     bool
	Description string
	// Source names where the default comes from (a peer tool or provider).
	Source string
}

// Check validates a value for the threshold.
func (t Threshold) Check(v float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Errorf("%s must be a number", t.Name)
	case v < t.Min || v > t.Max:
		return fmt.Errorf("%s must be between %v and %v %s (got %v)", t.Name, t.Min, t.Max, t.Unit, v)
	case t.Integer && v != math.Trunc(v):
		return fmt.Errorf("%s must be a whole number of %s (got %v)", t.Name, t.Unit, v)
	}
	return nil
}

// Params are a rule's threshold values for one evaluation: the defaults with
// the tenant's overrides applied.
type Params struct {
	names  []string
	values []float64
}

// DefaultParams returns the rule's defaults.
func (r *Rule) DefaultParams() Params {
	p := Params{names: make([]string, len(r.Thresholds)), values: make([]float64, len(r.Thresholds))}
	for i, t := range r.Thresholds {
		p.names[i], p.values[i] = t.Name, t.Default
	}
	return p
}

// WithOverrides returns the defaults with values overridden; an unknown name
// or an invalid value is a field error naming the rule and threshold.
func (r *Rule) WithOverrides(values map[string]float64) (Params, error) {
	p := r.DefaultParams()
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		i := slices.Index(p.names, n)
		if i < 0 {
			return Params{}, valdrix.FieldError("rules."+r.ID+".thresholds."+n, "rule %s has no threshold %q (it has %s)", r.ID, n, strings.Join(p.names, ", "))
		}
		if err := r.Thresholds[i].Check(values[n]); err != nil {
			return Params{}, valdrix.FieldError("rules."+r.ID+".thresholds."+n, "%s", err.Error())
		}
		p.values[i] = values[n]
	}
	return p, nil
}

// Get returns the value of threshold name. Asking for a threshold the rule
// does not declare is a programming error and panics (the rule's fixture
// tests catch it).
func (p Params) Get(name string) float64 {
	for i, n := range p.names {
		if n == name {
			return p.values[i]
		}
	}
	panic(fmt.Sprintf("zombie: threshold %q is not declared", name))
}

// Map returns the values by name (for evidence).
func (p Params) Map() map[string]float64 {
	m := make(map[string]float64, len(p.names))
	for i, n := range p.names {
		m[n] = p.values[i]
	}
	return m
}

var (
	ruleIDRE   = regexp.MustCompile(`^(aws|azure|gcp)\.[a-z0-9_]+\.[a-z0-9_]+$`)
	ruleCodeRE = regexp.MustCompile(`^(A([1-9]|[12][0-9]|3[0-5])|Z([1-9]|1[0-9]|20)|G([1-9]|1[0-3]))$`)
	thNameRE   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// Validate checks the rule's declaration: id and code formats, the provider
// matching both, types of the provider, thresholds with valid defaults, an
// action and an Evaluate function.
func (r *Rule) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !ruleIDRE.MatchString(r.ID) || !strings.HasPrefix(r.ID, string(r.Provider)+".") {
		bad("id %q must be <provider>.<service>.<name> in lower snake case, starting with its provider", r.ID)
	}
	if !ruleCodeRE.MatchString(r.Code) || r.Code[0] != map[valdrix.Provider]byte{valdrix.AWS: 'A', valdrix.Azure: 'Z', valdrix.GCP: 'G'}[r.Provider] {
		bad("code %q is not a catalogue code of %s", r.Code, r.Provider)
	}
	if r.Version < 1 {
		bad("version must be at least 1")
	}
	if r.Title == "" || r.Description == "" || r.Signal == "" || r.SavingsMethod == "" {
		bad("title, description, signal and savings method are required")
	}
	if len(r.Types) == 0 {
		bad("at least one resource type is required")
	}
	for _, t := range r.Types {
		if !strings.HasPrefix(t, string(r.Provider)+".") || strings.Count(t, ".") != 2 {
			bad("type %q is not a canonical %s type", t, r.Provider)
		}
	}
	if r.Data == 0 {
		bad("data must name billing, inventory or metrics")
	}
	if (r.Queries != nil) != (r.Data&DataMetrics != 0) {
		bad("a rule queries metrics exactly when its data include metrics")
	}
	if r.Billing != nil && r.Data&DataBilling == 0 {
		bad("a rule with a billing matcher must read billing")
	}
	if r.Action.Kind == "" || r.Action.Description == "" {
		bad("an action with a description is required")
	}
	if r.Confidence <= 0 || r.Confidence > 1 {
		bad("confidence must be in (0, 1]")
	}
	if r.Evaluate == nil {
		bad("Evaluate is required")
	}
	seen := map[string]bool{}
	for _, t := range r.Thresholds {
		if !thNameRE.MatchString(t.Name) || seen[t.Name] {
			bad("threshold name %q is not snake_case or is repeated", t.Name)
		}
		seen[t.Name] = true
		if err := t.Check(t.Default); err != nil {
			bad("threshold default: %v", err)
		}
		if t.Description == "" || t.Source == "" || t.Unit == "" {
			bad("threshold %s needs a unit, a description and a source", t.Name)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("rule %s: %s", r.ID, strings.Join(errs, "; "))
	}
	return nil
}
