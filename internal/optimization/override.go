package optimization

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// IgnoreTag is the tag that excludes a resource from detection whatever the
// tenant's settings (any value but "false").
const IgnoreTag = "valdrix:ignore"

// Overrides are a tenant's detection settings. The zero value runs every
// default rule with its default thresholds over the default window.
type Overrides struct {
	// WindowDays is the ledger window (1–90 days; 0: the engine's default).
	WindowDays int `json:"window_days,omitempty"`
	// Rules holds per-rule settings by rule id.
	Rules map[string]RuleOverride `json:"rules,omitempty"`
	// ExcludeTags excludes resources carrying a tag: "key" (any value) or
	// "key=value". Keys match without regard to case or to the "user_"
	// prefix and separators cost-allocation tags get in billing exports.
	// IgnoreTag is always excluded.
	ExcludeTags []string `json:"exclude_tags,omitempty"`
	// ExcludeAccounts and ExcludeRegions exclude every resource of an
	// account (AWS account, Azure subscription, GCP project) or region.
	ExcludeAccounts []string `json:"exclude_accounts,omitempty"`
	ExcludeRegions  []string `json:"exclude_regions,omitempty"`
}

// RuleOverride turns a rule on or off and overrides its thresholds.
type RuleOverride struct {
	// Enabled turns the rule on (opt-in rules) or off; nil keeps the
	// rule's default.
	Enabled *bool `json:"enabled,omitempty"`
	// Thresholds override defaults by threshold name.
	Thresholds map[string]float64 `json:"thresholds,omitempty"`
}

// activeRule is a rule as configured for one run.
type activeRule struct {
	rule       *zombie.Rule
	params     zombie.Params
	thresholds map[string]float64 // params as evidence, shared by the rule's findings
	overridden []string
}

// RuleSetting is a rule as a tenant's overrides configure it.
type RuleSetting struct {
	Rule    *zombie.Rule
	Enabled bool
	// Thresholds are the values in force; Overridden names those the
	// tenant set.
	Thresholds map[string]float64
	Overridden []string

	params zombie.Params
}

// Settings validates o against the engine's rules and returns every rule's
// settings in force, in the engine's order. Every problem is a field error
// naming the setting.
func (e *Engine) Settings(o Overrides) ([]RuleSetting, error) { return o.settings(e.cfg.Rules) }

func (o Overrides) settings(rules []*zombie.Rule) ([]RuleSetting, error) {
	byID := zombie.ByID(rules)
	ids := make([]string, 0, len(o.Rules))
	for id := range o.Rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if byID[id] == nil {
			return nil, valdrix.FieldError("rules."+id, "there is no rule %q", id)
		}
	}
	if o.WindowDays < 0 || o.WindowDays > zombie.MaxWindowDays {
		return nil, valdrix.FieldError("window_days", "the window must be 1 to %d days (got %d)", zombie.MaxWindowDays, o.WindowDays)
	}
	for _, t := range o.ExcludeTags {
		if k, _, _ := strings.Cut(t, "="); strings.TrimSpace(k) == "" {
			return nil, valdrix.FieldError("exclude_tags", "%q has no tag key (want key or key=value)", t)
		}
	}
	out := make([]RuleSetting, 0, len(rules))
	for _, r := range rules {
		ov := o.Rules[r.ID]
		enabled := !r.OptIn
		if ov.Enabled != nil {
			enabled = *ov.Enabled
		}
		params, err := r.WithOverrides(ov.Thresholds)
		if err != nil {
			return nil, err
		}
		var names []string
		for n := range ov.Thresholds {
			names = append(names, n)
		}
		slices.Sort(names)
		out = append(out, RuleSetting{Rule: r, Enabled: enabled, Thresholds: params.Map(), Overridden: names, params: params})
	}
	return out, nil
}

// resolve validates the overrides against rules and returns the enabled
// rules with their parameters.
func (o Overrides) resolve(rules []*zombie.Rule) ([]*activeRule, error) {
	settings, err := o.settings(rules)
	if err != nil {
		return nil, err
	}
	var out []*activeRule
	for _, st := range settings {
		if st.Enabled {
			out = append(out, &activeRule{rule: st.Rule, params: st.params, thresholds: st.Thresholds, overridden: st.Overridden})
		}
	}
	return out, nil
}

// exclusion decides whether a resource is excluded by the overrides.
type exclusion struct {
	accounts map[string]bool
	regions  map[string]bool
	tags     []tagMatch
}

type tagMatch struct {
	key      string // normalised
	value    string
	anyValue bool
}

func newExclusion(o Overrides) *exclusion {
	x := &exclusion{accounts: map[string]bool{}, regions: map[string]bool{}}
	for _, a := range o.ExcludeAccounts {
		x.accounts[strings.ToLower(strings.TrimSpace(a))] = true
	}
	for _, r := range o.ExcludeRegions {
		x.regions[strings.ToLower(strings.TrimSpace(r))] = true
	}
	for _, t := range o.ExcludeTags {
		k, v, hasValue := strings.Cut(t, "=")
		x.tags = append(x.tags, tagMatch{key: tagKey(k), value: strings.TrimSpace(v), anyValue: !hasValue})
	}
	return x
}

// tagKey normalises a tag key: lower case, without the "user_" / "user:"
// prefix of cost-allocation tags, separators ":", "-", "." and "/" as "_".
func tagKey(k string) string {
	k = strings.ToLower(strings.TrimSpace(k))
	for _, p := range []string{"user_", "user:"} {
		k = strings.TrimPrefix(k, p)
	}
	if !strings.ContainsAny(k, ":-./") {
		return k
	}
	b := []byte(k)
	for i, c := range b {
		switch c {
		case ':', '-', '.', '/':
			b[i] = '_'
		}
	}
	return string(b)
}

// ignoreKey is tagKey(IgnoreTag).
const ignoreKey = "valdrix_ignore"

// mayBeIgnore is a cheap test that a key could normalise to IgnoreTag's.
func mayBeIgnore(k string) bool {
	return len(k) >= len(IgnoreTag) && strings.EqualFold(k[len(k)-len("ignore"):], "ignore")
}

// scope reports why account/region exclude a resource ("" when they do
// not).
func (x *exclusion) scope(account, region string) string {
	switch {
	case x.accounts[strings.ToLower(account)]:
		return "account " + account
	case x.regions[strings.ToLower(region)]:
		return "region " + region
	}
	return ""
}

// tagged reports which exclusion a tag set matches ("" when none).
func (x *exclusion) tagged(tags map[string]string) string {
	for k, v := range tags {
		if len(x.tags) == 0 && !mayBeIgnore(k) {
			continue // only IgnoreTag can match: skip normalising the key
		}
		nk := tagKey(k)
		if nk == ignoreKey && !strings.EqualFold(strings.TrimSpace(v), "false") {
			return "tag " + IgnoreTag
		}
		for _, m := range x.tags {
			if nk == m.key && (m.anyValue || strings.EqualFold(strings.TrimSpace(v), m.value)) {
				return "tag " + k
			}
		}
	}
	return ""
}

// resource reports why r is excluded ("" when it is not).
func (x *exclusion) resource(r *cloud.Resource) string {
	if why := x.scope(r.AccountID, r.Region); why != "" {
		return why
	}
	return x.tagged(r.Tags)
}

// billingTags parses a ledger row's canonical tag JSON; malformed text
// gives no tags.
func billingTags(s string) map[string]string {
	if s == "" {
		return nil
	}
	var raw map[string]any
	if json.Unmarshal([]byte(s), &raw) != nil {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		if sv, ok := v.(string); ok {
			out[k] = sv
		} else {
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}
