package zombie

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/cloud"
)

// Decision patterns several rules share. Each rule file still states its
// own thresholds, signal and action.

// hoursWithoutTraffic decides "billed by the hour but carries nothing": over
// the last idle_days days of the ledger the hours lines have a row every day
// and the traffic lines sum to at most maxTraffic (in their billed unit).
func hoursWithoutTraffic(s *Subject, hours, traffic func(*Line) bool, maxTraffic float64, what string) Verdict {
	n := pdays(s, "idle_days")
	from, v := billedWindow(s, n)
	if v != nil {
		return *v
	}
	recent := s.Usage.Since(from)
	h := recent.Where(hours)
	if h.Empty() {
		return OK(fmt.Sprintf("no hourly charge in the last %d days", n))
	}
	if first, _ := h.FirstDay(); first > from {
		return Unknown(ReasonShortHistory, fmt.Sprintf("billed by the hour on %d of the %d days the rule needs", h.Days().Count(), n))
	}
	if !h.EveryDay(from) {
		return OK(fmt.Sprintf("not billed by the hour on every one of the last %d days", n))
	}
	t := recent.Where(traffic).Quantity()
	facts := []Fact{F("from", from), F("through", s.Usage.Through), F("hours", h.Quantity().String()), F(what, t.String())}
	if t.Float64() > maxTraffic {
		return OK(fmt.Sprintf("%s %s in the last %d days", t, what, n), facts...)
	}
	return Waste(fmt.Sprintf("billed by the hour for %d days with %s %s", n, t, what), deleteSavings(s), facts...)
}

// unusedLines decides "capacity paid for but unused": lines the matcher
// marks unused have a row in the last unused_days days of the ledger.
// Savings are the unused lines' monthly cost.
func unusedLines(s *Subject, unused func(*Line) bool) Verdict {
	n := pdays(s, "unused_days")
	from, v := billedWindow(s, n)
	if v != nil {
		return *v
	}
	u := s.Usage.Where(unused).Since(from)
	if u.Empty() {
		return OK(fmt.Sprintf("no unused capacity billed in the last %d days", n))
	}
	m := costOf(u)
	return Waste(fmt.Sprintf("unused capacity billed on %d of the last %d days", u.Days().Count(), n), m,
		F("unused_quantity", u.Quantity().String()), F("unused_cost_in_window", u.Effective().String()))
}

// unusedFee decides an unused commitment from its fee lines: the effective
// cost of a fee line is its unused part (FOCUS; CUR reservation_unused_* and
// savings_plan_total_commitment_to_date − used). Savings are the unused part
// per month; the finding's cost is the whole fee.
func unusedFee(s *Subject, fee func(*Line) bool) Verdict {
	f := s.Usage.Where(fee)
	if f.Empty() {
		return OK("no fee lines in the window")
	}
	billed, unused := f.MonthlyBilled(), f.Monthly()
	if billed <= 0 {
		return OK("the fee is zero")
	}
	pct := unused.Float64() / billed.Float64() * 100
	facts := []Fact{F("monthly_fee", billed.String()), F("monthly_unused", unused.String()), F("unused_percent", pct)}
	if pct < s.Param("min_unused_percent") {
		return OK(fmt.Sprintf("%.1f %% of the commitment is unused", pct), facts...)
	}
	if unused == billed {
		if used, seen := s.CommitmentUsed(s.BillingID); seen && used > 0 {
			return Unknown(ReasonInconsistentBilling, "the fee reads as wholly unused but the ledger shows usage covered by the commitment: the export lacks its unused-fee columns", facts...)
		}
	}
	cur := f.Currency()
	v := Waste(fmt.Sprintf("%.1f %% of the commitment's fee is unused", pct), Money{Amount: unused, Currency: cur, State: CostBilled, Source: "ledger: unused part of the fee"}, facts...)
	v.Cost = Money{Amount: billed, Currency: cur, State: CostBilled, Source: "ledger: the commitment's fee"}
	return v
}

// onDemandLongRunning decides "steady on-demand usage that a commitment
// would discount": the compute lines are on demand on every one of the
// last on_demand_days days, none is covered by a commitment, and the
// resource is at least min_age_days old. Savings are the on-demand cost ×
// commitment_discount_percent.
func onDemandLongRunning(s *Subject, compute func(*Line) bool, discountSource string) Verdict {
	n := pdays(s, "on_demand_days")
	from, v := billedWindow(s, n)
	if v != nil {
		return *v
	}
	c := s.Usage.Where(compute).Since(from)
	if c.Empty() {
		return OK(fmt.Sprintf("no compute charges in the last %d days", n))
	}
	if c.Has(func(l *Line) bool { return l.IsCommitted() }) {
		return OK("usage is covered by a commitment")
	}
	od := c.Where(func(l *Line) bool { return l.IsOnDemand() })
	if !od.EveryDay(from) {
		return OK(fmt.Sprintf("not on demand on every one of the last %d days", n))
	}
	minAge := s.Param("min_age_days")
	age, ok := s.AgeDays()
	if !ok {
		first, _ := s.Usage.FirstDay()
		if first > s.Usage.Window.Start || float64(s.Usage.Window.Days()) < minAge {
			return Unknown(ReasonShortHistory, fmt.Sprintf("the inventory gives no creation time and the ledger window cannot show %v days of use", minAge))
		}
		age = float64(s.Usage.Window.Days())
	}
	if age < minAge {
		return OK(fmt.Sprintf("running for %.0f days, less than %v", age, minAge), F("age_days", age))
	}
	pct := s.Param("commitment_discount_percent")
	sav := costOf(od).Scale(int64(pct*100), 10000, fmt.Sprintf("%v %% of the on-demand cost (threshold commitment_discount_percent; %s)", pct, discountSource))
	return Waste(fmt.Sprintf("on demand every day for %d days, %.0f days old, with no commitment", n, age), sav,
		F("age_days", age), F("on_demand_cost_in_window", od.Effective().String()))
}

// commitmentThresholds are the thresholds of onDemandLongRunning.
func commitmentThresholds(discount float64, discountSource string) []Threshold {
	return []Threshold{
		days("min_age_days", 90, "resources younger than this are left alone", "thrifty *_age_max_days / long_running (90 d)"),
		windowDays("on_demand_days", 30, "days of on-demand usage, counted back from the last ledger day, that show a steady load", "thrifty *_age_max_days warning (30 d)"),
		percent("commitment_discount_percent", discount, "discount a one-year commitment gives over on demand; savings are the on-demand cost × this", discountSource),
	}
}

// unusedThresholds are the thresholds of unusedLines.
func unusedThresholds(source string) []Threshold {
	return []Threshold{windowDays("unused_days", 1, "unused capacity billed on any of the last N days of the ledger is flagged", source)}
}

// vmIdle is the metric test of an idle VM: mean daily CPU below cpu_percent
// and outbound network at most network_bytes_per_day on every day of a
// window_days window.
type vmIdle struct {
	running    []string // states in which the VM runs
	namespace  string
	cpu, net   string
	cpuScale   float64 // multiplies CPU points into percent (1, or 100 for fractions)
	netStat    string
	dimensions func(s *Subject) []cloud.Dimension
}

func vmIdleThresholds() []Threshold {
	return []Threshold{
		windowDays("window_days", 14, "days of metrics (whole days before today)", "Valdrix Python defaults (14 d for EC2 CPU); Trusted Advisor (14 d)"),
		percent("cpu_percent", 2, "mean daily CPU below this is idle", "Valdrix Python defaults (CPU idle < 2 % average)"),
		{Name: "network_bytes_per_day", Unit: UnitBytes, Default: 5e6, Min: 0, Max: 1e12, Description: "outbound network at most this on every day is idle",
			Source: "AWS Trusted Advisor Low Utilization EC2 (network I/O ≤ 5 MB)"},
	}
}

func (m vmIdle) queries(s *Subject) []MetricSpec {
	if !stateIs(s, m.running...) {
		return nil
	}
	d := pdays(s, "window_days")
	dims := m.dimensions(s)
	return []MetricSpec{
		{Key: "cpu", Namespace: m.namespace, Metric: m.cpu, Dimensions: dims, Stat: "Average", Days: d},
		{Key: "net", Namespace: m.namespace, Metric: m.net, Dimensions: dims, Stat: m.netStat, Days: d},
	}
}

func (m vmIdle) evaluate(s *Subject) Verdict {
	if !stateIs(s, m.running...) {
		return OK("the VM is " + s.State)
	}
	ws, v := s.Windows(pdays(s, "window_days"), "cpu", "net")
	if v != nil {
		return *v
	}
	cpu := ws[0].Mean() * m.cpuScale
	netMax := ws[1].Max()
	facts := []Fact{F("cpu_mean_percent", cpu), F("network_max_bytes_per_day", netMax)}
	if cpu >= s.Param("cpu_percent") {
		return OK(fmt.Sprintf("mean CPU %.2f %%", cpu), facts...)
	}
	if netMax > s.Param("network_bytes_per_day") {
		return OK(fmt.Sprintf("low CPU but up to %s out a day", humanBytes(netMax)), facts...)
	}
	return Waste(fmt.Sprintf("mean CPU %.2f %% and at most %s out a day for %d days", cpu, humanBytes(netMax), pdays(s, "window_days")),
		deleteSavings(s), facts...)
}

// resourceDims is the dimension Azure and GCP metric queries carry: the
// resource's id (the adapters map it to the provider's filter).
func resourceDims(s *Subject) []cloud.Dimension {
	return []cloud.Dimension{{Name: "resource_id", Value: s.ID}}
}

// awsDim returns one CloudWatch dimension.
func awsDim(name, value string) []cloud.Dimension {
	return []cloud.Dimension{{Name: name, Value: value}}
}

// stoppedVM decides a VM stopped for longer than stopped_days; its disks
// (found in diskIndex) are the cost the finding is about.
func stoppedVM(s *Subject, stopped []string, diskIndex string) Verdict {
	if !stateIs(s, stopped...) {
		return OK("the VM is " + s.State)
	}
	if s.StateSince.IsZero() {
		return Unknown(ReasonMissingAttribute, "the inventory does not say when the VM stopped")
	}
	n := s.Param("stopped_days")
	if !olderThan(s.Now, s.StateSince, n) {
		return OK(fmt.Sprintf("stopped %.0f days ago", s.DaysSince(s.StateSince)), F("stopped_at", s.StateSince))
	}
	disks := s.Find(diskIndex, s.ID)
	own := s.Cost()
	if !own.Known() && s.Usage.Covered {
		own = Free(s.Usage.Currency(), "ledger: a stopped VM has no compute charges")
	}
	v := Waste(fmt.Sprintf("stopped for %.0f days; its %d disks are still billed", s.DaysSince(s.StateSince), len(disks)),
		relatedSavings(s, disks).Plus(own), F("stopped_at", s.StateSince), F("disks", len(disks)))
	v.Related = disks
	return v
}

// diskOnStoppedVM decides a disk attached to VMs that have all been stopped
// for longer than stopped_days.
func diskOnStoppedVM(s *Subject, vmIDs []string, stopped []string) Verdict {
	if len(vmIDs) == 0 {
		return OK("the disk is attached to no VM")
	}
	n := s.Param("stopped_days")
	var facts []Fact
	for _, id := range vmIDs {
		vm, ok := s.Get(id)
		if !ok {
			return Unknown(ReasonMissingRelated, "the VM "+id+" the disk is attached to is not in the inventory")
		}
		if !stateIs(&Subject{Ref: vm}, stopped...) {
			return OK("attached to " + id + ", which is " + vm.State)
		}
		if vm.StateSince.IsZero() {
			return Unknown(ReasonMissingAttribute, "the inventory does not say when "+id+" stopped")
		}
		if !olderThan(s.Now, vm.StateSince, n) {
			return OK(fmt.Sprintf("attached to %s, stopped %.0f days ago", id, s.DaysSince(vm.StateSince)))
		}
		facts = append(facts, F("vm", id), F("vm_stopped_at", vm.StateSince))
	}
	return Waste(fmt.Sprintf("attached only to VMs stopped for more than %v days", n), deleteSavings(s), facts...)
}

// storageShareSavings estimates the saving of a retention or lifecycle
// policy: the share of stored data older than target days, assuming data
// accumulated evenly since the resource was created, times the storage
// lines' cost, times keep (the fraction of the price removed: 1 for
// deletion, 1 − cold/hot for a tier move).
func storageShareSavings(s *Subject, storage func(*Line) bool, target, keep float64, how string) Money {
	c := s.CostWhere(storage)
	age, ok := s.AgeDays()
	if !c.Known() {
		return c
	}
	if !ok {
		return Unpriced("the inventory gives no creation time to estimate the share of old data")
	}
	share := 0.0
	if age > target {
		share = 1 - target/age
	}
	return c.ScaleFloat(share*keep, fmt.Sprintf("%s; data older than %v days is %.0f %% of what accumulated over %.0f days (even growth assumed)", how, target, share*100, age))
}

// boolAttr reads a true/false attribute, with an unknown verdict when it is
// absent or malformed.
func boolAttr(s *Subject, key string) (bool, *Verdict) {
	v, ok := s.Attr(key)
	if !ok {
		u := missing(key)
		return false, &u
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	u := Unknown(ReasonMissingAttribute, fmt.Sprintf("%s is %q, not true or false", key, v))
	return false, &u
}

// lower returns s in lower case (for keys compared without case).
func lower(s string) string { return strings.ToLower(s) }

// dbIdle is the metric test of an idle database: the daily maximum of
// its connections metric is at most max_connections on every day of
// window_days.
type dbIdle struct {
	running   []string
	namespace string
	metric    string
	dims      func(s *Subject) []cloud.Dimension
}

func (m dbIdle) queries(s *Subject) []MetricSpec {
	if !stateIs(s, m.running...) {
		return nil
	}
	return []MetricSpec{{Key: "connections", Namespace: m.namespace, Metric: m.metric, Dimensions: m.dims(s), Stat: "Maximum",
		Days: pdays(s, "window_days")}}
}

func (m dbIdle) evaluate(s *Subject) Verdict {
	if !stateIs(s, m.running...) {
		return OK("the database is " + s.State)
	}
	ws, v := s.Windows(pdays(s, "window_days"), "connections")
	if v != nil {
		return *v
	}
	peak := ws[0].Max()
	if peak > s.Param("max_connections") {
		return OK(fmt.Sprintf("up to %.0f connections a day", peak), F("max_connections", peak))
	}
	return Waste(fmt.Sprintf("at most %.0f connections a day for %d days", peak, pdays(s, "window_days")), deleteSavings(s), F("max_connections", peak))
}

// lifecycle returns the Evaluate of a "no lifecycle policy" rule: waste when
// lifecycle_policy is false, with storageShareSavings over the storage
// lines at transition_days; keep is the fraction of the price a move to
// the cold tier removes, price names the prices.
func lifecycle(noun string, storage func(*Line) bool, keep float64, price string) func(s *Subject) Verdict {
	return func(s *Subject) Verdict {
		has, v := boolAttr(s, "lifecycle_policy")
		if v != nil {
			return *v
		}
		if has {
			return OK("the " + noun + " has a lifecycle policy")
		}
		return Waste("the "+noun+" has no lifecycle policy", storageShareSavings(s, storage, s.Param("transition_days"), keep, price))
	}
}

// olderThanMax decides a snapshot older than max_age_days.
func olderThanMax(s *Subject) Verdict {
	age, v := needAge(s)
	if v != nil {
		return *v
	}
	if age < s.Param("max_age_days") {
		return OK(fmt.Sprintf("%.0f days old", age))
	}
	return Waste(fmt.Sprintf("%.0f days old", age), deleteSavings(s), F("age_days", age))
}

// noTraffic decides a connection that carried nothing: the in and out
// windows sum to zero over window_days.
func noTraffic(s *Subject) Verdict {
	ws, v := s.Windows(pdays(s, "window_days"), "in", "out")
	if v != nil {
		return *v
	}
	if b := ws[0].Sum() + ws[1].Sum(); b > 0 {
		return OK(fmt.Sprintf("%s through the tunnels", humanBytes(b)))
	}
	return Waste(fmt.Sprintf("no data through the tunnels for %d days", pdays(s, "window_days")), deleteSavings(s))
}
