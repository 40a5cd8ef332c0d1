package zombie

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Savings methods shared by rules.
const (
	savingsAll     = "all of the resource's monthly cost: the action removes every charge of the resource"
	savingsRelated = "the monthly cost of the related resources the action removes (listed in the evidence)"
	savingsLines   = "the monthly cost of the ledger lines the action removes (named in the evidence)"
	savingsUnused  = "the unused part of the commitment's monthly fee, as billed (the effective cost of its unused lines)"
)

// days returns a threshold in days.
func days(name string, def float64, desc, source string) Threshold {
	return Threshold{Name: name, Unit: UnitDays, Default: def, Min: 0, Max: 3650, Integer: true, Description: desc, Source: source}
}

// windowDays returns a threshold for a lookback in days, at least one day
// and at most the longest window the ledger or metrics give.
func windowDays(name string, def float64, desc, source string) Threshold {
	return Threshold{Name: name, Unit: UnitDays, Default: def, Min: 1, Max: MaxWindowDays, Integer: true, Description: desc, Source: source}
}

// percent returns a threshold in percent.
func percent(name string, def float64, desc, source string) Threshold {
	return Threshold{Name: name, Unit: UnitPercent, Default: def, Min: 0, Max: 100, Description: desc, Source: source}
}

// pdays returns p as a whole number of days.
func pdays(s *Subject, name string) int { return int(s.Param(name)) }

// deleteSavings is the savings of an action that removes the whole resource.
func deleteSavings(s *Subject) Money { return s.Cost() }

// relatedSavings sums the monthly cost of related subjects.
func relatedSavings(s *Subject, refs []Ref) Money {
	var m Money
	for _, r := range refs {
		m = m.Plus(s.CostOf(r))
	}
	if m.State == "" {
		return Money{State: CostBilled, Currency: s.Usage.Currency(), Source: "ledger: no related resources"}
	}
	return m
}

// olderThan reports whether t is at least n days before now; false for the
// zero time.
func olderThan(now, t time.Time, n float64) bool {
	return !t.IsZero() && now.Sub(t) >= time.Duration(n*24*float64(time.Hour))
}

// attrTime returns an RFC 3339 attribute.
func attrTime(s *Subject, key string) (time.Time, bool) {
	if s.Resource == nil {
		return time.Time{}, false
	}
	return s.Resource.AttrTime(key)
}

// attrInt returns an integer attribute.
func attrInt(s *Subject, key string) (int64, bool) {
	if s.Resource == nil {
		return 0, false
	}
	return s.Resource.AttrInt(key)
}

// attrList returns a list attribute.
func attrList(s *Subject, key string) []string {
	if s.Resource == nil {
		return nil
	}
	return s.Resource.AttrList(key)
}

// listKeys returns an index key function recording a resource under each
// element of a list attribute.
func listKeys(attr string) func(r *cloud.Resource) []string {
	return func(r *cloud.Resource) []string { return r.AttrList(attr) }
}

// attrKey returns an index key function recording a resource under the
// value of one attribute (when present).
func attrKey(attr string) func(r *cloud.Resource) []string {
	return func(r *cloud.Resource) []string {
		if v, ok := r.Attr(attr); ok {
			return []string{v}
		}
		return nil
	}
}

// missing returns the unknown verdict for an absent attribute.
func missing(attr string) Verdict {
	return Unknown(ReasonMissingAttribute, fmt.Sprintf("the inventory does not report %s", attr))
}

// needAge returns the resource's age in days or an unknown verdict.
func needAge(s *Subject) (float64, *Verdict) {
	age, ok := s.AgeDays()
	if !ok {
		v := Unknown(ReasonMissingAttribute, "the inventory does not report when the resource was created")
		return 0, &v
	}
	return age, nil
}

// billedWindow checks that the ledger can answer a billing question over
// the last n days: the account must have ledger data and the window n days
// of it. It returns the first day of those n days, or an unknown verdict.
func billedWindow(s *Subject, n int) (valdrix.Date, *Verdict) {
	if !s.Usage.Covered && s.Usage.Empty() {
		v := Unknown(ReasonNoBilling, "the ledger has no data for the account in the window")
		return 0, &v
	}
	from, ok := s.Usage.Recent(n)
	if !ok {
		v := Unknown(ReasonShortHistory, fmt.Sprintf("the ledger window holds %d days of data; the rule needs %d", int(s.Usage.Through-s.Usage.Window.Start)+1, n))
		return 0, &v
	}
	return from, nil
}

// stateIs reports whether the subject's inventory state is one of states.
func stateIs(s *Subject, states ...string) bool { return slices.Contains(states, s.State) }

// family returns an instance type's family: "m4" of "m4.large",
// "db.m5" → "m5".
func family(instanceType string) string {
	f, _, _ := strings.Cut(strings.TrimPrefix(instanceType, "db."), ".")
	return f
}

// monthlyBytes formats a byte count for facts.
func humanBytes(b float64) string {
	switch {
	case b >= 1e9:
		return strconv.FormatFloat(b/1e9, 'f', 2, 64) + " GB"
	case b >= 1e6:
		return strconv.FormatFloat(b/1e6, 'f', 2, 64) + " MB"
	}
	return strconv.FormatFloat(b, 'f', 0, 64) + " B"
}
