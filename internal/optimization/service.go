package optimization

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Store is the persistence the findings ledger needs. Tenant-scoped methods
// take the tenant; ExpiredSnoozes is the named cross-tenant read.
type Store interface {
	Atomic(ctx context.Context, tenant valdrix.TenantID, fn func(ctx context.Context) error) error

	// FindingStates returns the connection's stored findings, locking them
	// (and the connection) against a concurrent run until the transaction
	// ends.
	FindingStates(ctx context.Context, tenant valdrix.TenantID, connection string) ([]State, error)
	SaveFindings(ctx context.Context, tenant valdrix.TenantID, w FindingWrite) error
	ListFindings(ctx context.Context, tenant valdrix.TenantID, f Filter, page governance.Page) ([]Record, string, error)
	// SummarizeFindings streams the findings f selects, ignoring
	// f.Statuses (the summary counts every status).
	SummarizeFindings(ctx context.Context, tenant valdrix.TenantID, f Filter, fn func(SummaryRow) error) error
	GetFinding(ctx context.Context, tenant valdrix.TenantID, id string) (Record, error)
	FindingEvents(ctx context.Context, tenant valdrix.TenantID, id string) ([]Event, error)
	ExpiredSnoozes(ctx context.Context, now time.Time, limit int) (map[valdrix.TenantID][]string, error)

	PutDetectionRun(ctx context.Context, tenant valdrix.TenantID, run DetectionRun) error
	GetDetectionRun(ctx context.Context, tenant valdrix.TenantID, connection string) (DetectionRun, error)

	RuleOverrides(ctx context.Context, tenant valdrix.TenantID) ([]StoredOverride, error)
	PutRuleOverride(ctx context.Context, tenant valdrix.TenantID, o StoredOverride) error

	// GoneResources returns the ids and billing ids of the connection's
	// resources discovery saw disappear at or after since.
	GoneResources(ctx context.Context, tenant valdrix.TenantID, connection string, since time.Time) (map[string]bool, error)
	// WalkResources streams the connection's present (not gone) resources.
	WalkResources(ctx context.Context, tenant valdrix.TenantID, connection string, fn func(*cloud.Resource) error) error
	// WalkAccountLedger streams the current ledger rows of accounts with a
	// charge day in [from, to), from whichever source imported them, the
	// connection's own (source) first; without accounts, source's rows.
	WalkAccountLedger(ctx context.Context, tenant valdrix.TenantID, source string, accounts []string, from, to valdrix.Date, fn func(*ingestion.LedgerRow) error) error
}

// Connections opens a connection for detection (inventory does).
type Connections interface {
	OpenConnection(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id string) (cloud.Connection, error)
}

// SettingsSource reads the tenant's settings (governance does).
type SettingsSource interface {
	Settings(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID) (governance.TenantSettings, error)
}

// Auditor appends to the audit log (governance does).
type Auditor interface {
	Record(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, action, target string, meta map[string]any) error
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	Store       Store
	Engine      *Engine
	Connections Connections
	Settings    SettingsSource
	Audit       Auditor
	// Adapters provide each provider's metrics; a provider without one
	// leaves metric rules undecided.
	Adapters cloud.Set
	// Budget rations metric queries per tenant and day (nil: no limit but
	// the engine's).
	Budget cloud.Budget
	Clock  valdrix.Clock
	Logger *slog.Logger
}

// Service runs detection over connections and keeps the findings ledger.
type Service struct {
	cfg ServiceConfig
}

// NewService returns a Service.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || cfg.Engine == nil || cfg.Connections == nil || cfg.Settings == nil || cfg.Audit == nil {
		return nil, errors.New("optimization: Store, Engine, Connections, Settings and Audit are required")
	}
	cfg.Clock = cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{})
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	return &Service{cfg: cfg}, nil
}

// Engine returns the service's engine.
func (s *Service) Engine() *Engine { return s.cfg.Engine }

func (s *Service) now() time.Time { return s.cfg.Clock.Now().UTC().Truncate(time.Microsecond) }

// overrides builds the tenant's detection overrides from its settings and
// rule overrides.
func (s *Service) overrides(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID) (Overrides, []StoredOverride, error) {
	st, err := s.cfg.Settings.Settings(ctx, actor, tenant)
	if err != nil {
		return Overrides{}, nil, err
	}
	stored, err := s.cfg.Store.RuleOverrides(ctx, tenant)
	if err != nil {
		return Overrides{}, nil, err
	}
	o := Overrides{Rules: map[string]RuleOverride{}}
	if st.DetectionWindowDays != nil {
		o.WindowDays = *st.DetectionWindowDays
	}
	for _, l := range []struct {
		dst *[]string
		src *[]string
	}{{&o.ExcludeTags, st.ExcludeTags}, {&o.ExcludeAccounts, st.ExcludeAccounts}, {&o.ExcludeRegions, st.ExcludeRegions}} {
		if l.src != nil {
			*l.dst = *l.src
		}
	}
	known := zombie.ByID(s.cfg.Engine.cfg.Rules)
	for _, so := range stored {
		// An override of a rule this build no longer has is kept but
		// ignored, so an older binary does not break detection.
		if known[so.RuleID] != nil {
			o.Rules[so.RuleID] = so.Override
		}
	}
	return o, stored, nil
}

// Detect runs the tenant's rules over the connection's inventory and ledger
// and applies the result to the findings ledger: new findings open,
// existing ones keep their identity and status, findings whose resource is
// gone or whose signal cleared are resolved, and resources a rule could
// not decide keep their findings as they were (unknown is never "not
// waste").
func (s *Service) Detect(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string) (RunSummary, error) {
	if err := actor.Require(tenant, valdrix.RoleMember); err != nil {
		return RunSummary{}, err
	}
	conn, err := s.cfg.Connections.OpenConnection(ctx, actor, tenant, connection)
	if err != nil {
		return RunSummary{}, err
	}
	o, _, err := s.overrides(ctx, actor, tenant)
	if err != nil {
		return RunSummary{}, err
	}
	settings, err := s.cfg.Engine.Settings(o)
	if err != nil {
		return RunSummary{}, err
	}
	// present records the inventory the run saw, to tell a gone resource
	// from a cleared signal. The engine reads the source twice; the first
	// pass fills it.
	present := map[string]bool{}
	passes := 0
	resources := func(ctx context.Context, fn func(*cloud.Resource) error) error {
		passes++
		first := passes == 1
		return s.cfg.Store.WalkResources(ctx, tenant, connection, func(r *cloud.Resource) error {
			if first {
				present[r.ID] = true
			}
			return fn(r)
		})
	}
	ledger := func(ctx context.Context, w zombie.Window, fn func(*ingestion.LedgerRow) error) error {
		return s.cfg.Store.WalkAccountLedger(ctx, tenant, connection, conn.Accounts(), min(w.FeesFrom, w.Start), w.End, fn)
	}
	in := DetectInput{Connection: conn, Resources: resources, Ledger: ledger, Budget: s.cfg.Budget, Overrides: o}
	if a, ok := s.cfg.Adapters[conn.Provider]; ok {
		in.Metrics = a.Metrics
	}
	res, err := s.cfg.Engine.Detect(ctx, in)
	if err != nil {
		return RunSummary{}, err
	}
	// A resource discovery saw disappear still has ledger lines in the
	// window: they are history, not a resource known only from billing.
	gone, err := s.cfg.Store.GoneResources(ctx, tenant, connection, res.Window.Start.Time().AddDate(0, 0, -1))
	if err != nil {
		return RunSummary{}, err
	}
	res.Findings = slices.DeleteFunc(res.Findings, func(f *Finding) bool {
		return f.BillingOnly && (gone[f.ResourceID] || gone[f.BillingID])
	})
	enabled := map[string]bool{}
	for _, st := range settings {
		enabled[st.Rule.ID] = st.Enabled
	}
	var sum RunSummary
	err = s.cfg.Store.Atomic(ctx, tenant, func(ctx context.Context) error {
		states, err := s.cfg.Store.FindingStates(ctx, tenant, connection)
		if err != nil {
			return err
		}
		w := s.apply(actor, tenant, connection, res, states, present, gone, enabled, &sum)
		if err := s.cfg.Store.SaveFindings(ctx, tenant, w); err != nil {
			return err
		}
		return s.cfg.Store.PutDetectionRun(ctx, tenant, runRecord(res, sum))
	})
	if err != nil {
		return RunSummary{}, err
	}
	s.cfg.Logger.InfoContext(ctx, "findings applied", "tenant_id", string(tenant), "connection_id", connection,
		"open", sum.Open, "new", sum.New, "reopened", sum.Reopened, "resolved", sum.Resolved, "undecided", sum.Undecided)
	return sum, nil
}

// apply computes what a detection run changes in the ledger.
func (s *Service) apply(actor governance.Actor, tenant valdrix.TenantID, connection string, res DetectResult, states []State,
	present, gone, enabled map[string]bool, sum *RunSummary) FindingWrite {
	now := s.now()
	by := actor.Principal.Actor()
	byKey := make(map[string]*State, len(states))
	for i := range states {
		byKey[states[i].Key] = &states[i]
	}
	var w FindingWrite
	transition := func(id string, from, to Status, reason string) {
		w.Transitions = append(w.Transitions, Transition{ID: id, To: to, Reason: reason, By: by, At: now})
		w.Events = append(w.Events, Event{ID: valdrix.NewID(), FindingID: id, At: now, Actor: by, From: from, To: to, Reason: reason})
	}
	expired := func(st *State) bool {
		return st.Status == StatusSnoozed && st.SnoozedUntil != nil && !st.SnoozedUntil.After(now)
	}
	seen := make(map[string]bool, len(res.Findings))
	for _, f := range res.Findings {
		seen[f.Key] = true
		rec := Record{TenantID: tenant, ConnectionID: connection, Finding: *f, LastSeen: now}
		if f.Evidence.Resource != nil {
			rec.Tags = f.Evidence.Resource.Tags
		}
		st := byKey[f.Key]
		status := StatusOpen
		switch {
		case st == nil:
			rec.ID, rec.Status, rec.StatusBy, rec.StatusAt, rec.FirstSeen = valdrix.NewID(), StatusOpen, by, now, now
			rec.StatusReason = "detected"
			w.Events = append(w.Events, Event{ID: valdrix.NewID(), FindingID: rec.ID, At: now, Actor: by, To: StatusOpen, Reason: "detected"})
			sum.New++
		case st.Status == StatusResolved:
			rec.ID = st.ID
			transition(st.ID, st.Status, StatusOpen, "detected again")
			sum.Reopened++
		case expired(st):
			rec.ID = st.ID
			transition(st.ID, st.Status, StatusOpen, "the snooze ended")
			sum.Reopened++
		default:
			rec.ID, status = st.ID, st.Status
		}
		if status == StatusOpen {
			sum.Open++
		}
		if st != nil {
			// The insert half of the upsert needs a whole row; on conflict
			// only the finding's data and last sighting are updated.
			rec.Status, rec.StatusAt, rec.FirstSeen = status, now, now
		}
		w.Upserts = append(w.Upserts, rec)
	}
	undecided := make(map[string]bool, len(res.Undecided))
	for _, u := range res.Undecided {
		undecided[u.Key] = true
	}
	excluded := make(map[string]bool, len(res.Excluded))
	for _, x := range res.Excluded {
		excluded[x.ResourceID] = true
	}
	for i := range states {
		st := &states[i]
		if seen[st.Key] || st.Status == StatusResolved || st.Status == StatusDismissed {
			continue
		}
		reason := ""
		switch {
		case !present[st.ResourceID] && (!st.BillingOnly || gone[st.ResourceID]):
			reason = ResolvedGone
		case !enabled[st.RuleID]:
			reason = ResolvedDisabled
		case excluded[st.ResourceID]:
			reason = ResolvedExcluded
		case undecided[st.Key]:
			// Not decided this time: the finding stays as it was.
			if expired(st) {
				transition(st.ID, st.Status, StatusOpen, "the snooze ended")
				sum.Reopened++
				sum.Open++
			} else if st.Status == StatusOpen {
				sum.Open++
			}
			continue
		default:
			reason = ResolvedCleared
		}
		transition(st.ID, st.Status, StatusResolved, reason)
		sum.Resolved++
	}
	sum.Undecided = len(res.Undecided)
	sum.Totals = totals(res.Findings)
	return w
}

func runRecord(res DetectResult, sum RunSummary) DetectionRun {
	run := DetectionRun{ConnectionID: res.ConnectionID, StartedAt: res.StartedAt, FinishedAt: res.FinishedAt, Window: res.Window,
		Summary: sum, Stats: res.Stats, Skipped: res.Skipped, UndecidedTotal: len(res.Undecided), Excluded: len(res.Excluded)}
	run.Undecided = res.Undecided[:min(len(res.Undecided), MaxStoredUndecided)]
	return run
}

// LastRun returns the connection's last detection run.
func (s *Service) LastRun(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string) (DetectionRun, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return DetectionRun{}, err
	}
	return s.cfg.Store.GetDetectionRun(ctx, tenant, connection)
}

// ---- reading the ledger

func (f *Filter) validate() error {
	for _, st := range f.Statuses {
		if !st.Valid() {
			return valdrix.FieldError("status", "%q is not a status (want %s)", st, joinStatuses())
		}
	}
	f.Sort = cmp.Or(f.Sort, SortSavings)
	if !slices.Contains(SortKeys(), f.Sort) {
		return valdrix.FieldError("sort", "%q is not a sort key (want %s)", f.Sort, strings.Join(SortKeys(), ", "))
	}
	if f.MinSavings != nil && *f.MinSavings < 0 {
		return valdrix.FieldError("min_savings", "must not be negative")
	}
	if f.Provider != "" && !f.Provider.Valid() {
		return valdrix.FieldError("provider", "%q is not a provider", f.Provider)
	}
	return nil
}

func joinStatuses() string {
	parts := make([]string, len(AllStatuses()))
	for i, st := range AllStatuses() {
		parts[i] = string(st)
	}
	return strings.Join(parts, ", ")
}

// ListFindings lists the findings f selects, a page at a time.
func (s *Service) ListFindings(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, f Filter, page governance.Page) ([]Record, string, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return nil, "", err
	}
	if err := f.validate(); err != nil {
		return nil, "", err
	}
	return s.cfg.Store.ListFindings(ctx, tenant, f, page)
}

// Summarize counts the findings f selects (ignoring its statuses) by
// status, and sums those of f's statuses (all but dismissed and resolved
// when f names none) per currency, each ledger line once.
func (s *Service) Summarize(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, f Filter) (Summary, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return Summary{}, err
	}
	if err := f.validate(); err != nil {
		return Summary{}, err
	}
	want := f.Statuses
	if len(want) == 0 {
		want = []Status{StatusOpen, StatusSnoozed, StatusRemediating}
	}
	out := Summary{ByStatus: map[Status]int{}}
	for _, st := range AllStatuses() {
		out.ByStatus[st] = 0
	}
	var items []TotalItem
	err := s.cfg.Store.SummarizeFindings(ctx, tenant, f, func(r SummaryRow) error {
		out.ByStatus[r.Status]++
		if slices.Contains(want, r.Status) {
			items = append(items, r.TotalItem)
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	out.Totals = Summarize(items)
	return out, nil
}

// GetFinding returns a finding with its evidence and its history.
func (s *Service) GetFinding(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id string) (Record, []Event, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return Record{}, nil, err
	}
	if !valdrix.ValidID(id) {
		return Record{}, nil, valdrix.Errorf(valdrix.ENOTFOUND, "There is no such finding.")
	}
	rec, err := s.cfg.Store.GetFinding(ctx, tenant, id)
	if err != nil {
		return Record{}, nil, err
	}
	evs, err := s.cfg.Store.FindingEvents(ctx, tenant, id)
	return rec, evs, err
}

// ---- people's decisions

// Limits of people's input.
const (
	maxReasonLen = 1000
	maxSnooze    = 366 * 24 * time.Hour
)

// Snooze hides an open (or already snoozed) finding until a time at most a
// year ahead; then it opens again.
func (s *Service) Snooze(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id string, until time.Time, note string) (Record, error) {
	now := s.now()
	switch {
	case !until.After(now):
		return Record{}, valdrix.FieldError("until", "must be in the future")
	case until.Sub(now) > maxSnooze:
		return Record{}, valdrix.FieldError("until", "must be at most a year ahead")
	}
	until = until.UTC().Truncate(time.Microsecond)
	return s.decide(ctx, actor, tenant, id, "finding.snooze", StatusSnoozed, note, &until, StatusOpen, StatusSnoozed)
}

// Dismiss records that a person judged the finding not to be waste, with
// the reason. Detection does not reopen it.
func (s *Service) Dismiss(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id, reason string) (Record, error) {
	if strings.TrimSpace(reason) == "" {
		return Record{}, valdrix.FieldError("reason", "say why the finding is dismissed")
	}
	return s.decide(ctx, actor, tenant, id, "finding.dismiss", StatusDismissed, reason, nil, StatusOpen, StatusSnoozed)
}

// Reopen opens a snoozed, dismissed or resolved finding again.
func (s *Service) Reopen(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id, note string) (Record, error) {
	return s.decide(ctx, actor, tenant, id, "finding.reopen", StatusOpen, note, nil, StatusSnoozed, StatusDismissed, StatusResolved)
}

// decide moves a finding to status to if it is in one of from, with an
// event and an audit entry, in one transaction.
func (s *Service) decide(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id, action string, to Status, reason string,
	until *time.Time, from ...Status) (Record, error) {
	if err := actor.Require(tenant, valdrix.RoleMember); err != nil {
		return Record{}, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > maxReasonLen {
		return Record{}, valdrix.FieldError("reason", "at most %d characters", maxReasonLen)
	}
	if !valdrix.ValidID(id) {
		return Record{}, valdrix.Errorf(valdrix.ENOTFOUND, "There is no such finding.")
	}
	now := s.now()
	by := actor.Principal.Actor()
	err := s.cfg.Store.Atomic(ctx, tenant, func(ctx context.Context) error {
		rec, err := s.cfg.Store.GetFinding(ctx, tenant, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, rec.Status) {
			return valdrix.Errorf(valdrix.ECONFLICT, "The finding is %s; it cannot be %s.", rec.Status, map[Status]string{
				StatusOpen: "reopened", StatusSnoozed: "snoozed", StatusDismissed: "dismissed"}[to])
		}
		w := FindingWrite{
			Transitions: []Transition{{ID: id, To: to, Reason: reason, By: by, At: now, SnoozedUntil: until}},
			Events:      []Event{{ID: valdrix.NewID(), FindingID: id, At: now, Actor: by, From: rec.Status, To: to, Reason: reason}},
		}
		if err := s.cfg.Store.SaveFindings(ctx, tenant, w); err != nil {
			return err
		}
		meta := map[string]any{"from": string(rec.Status), "to": string(to), "rule_id": rec.RuleID, "resource_id": rec.ResourceID}
		if reason != "" {
			meta["reason"] = reason
		}
		if until != nil {
			meta["until"] = until.Format(time.RFC3339)
		}
		return s.cfg.Audit.Record(ctx, actor, tenant, action, id, meta)
	})
	if err != nil {
		return Record{}, err
	}
	rec, err := s.cfg.Store.GetFinding(ctx, tenant, id)
	return rec, err
}

// ReopenExpired opens every snoozed finding whose date has passed, across
// tenants (the periodic job does this; detection also does it per
// connection). It returns how many it reopened.
func (s *Service) ReopenExpired(ctx context.Context) (int, error) {
	now := s.now()
	byTenant, err := s.cfg.Store.ExpiredSnoozes(ctx, now, 10000)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, tenant := range slices.Sorted(maps.Keys(byTenant)) {
		var w FindingWrite
		for _, id := range byTenant[tenant] {
			w.Transitions = append(w.Transitions, Transition{ID: id, To: StatusOpen, Reason: "the snooze ended", By: "system:snooze", At: now})
			w.Events = append(w.Events, Event{ID: valdrix.NewID(), FindingID: id, At: now, Actor: "system:snooze",
				From: StatusSnoozed, To: StatusOpen, Reason: "the snooze ended"})
		}
		if err := s.cfg.Store.SaveFindings(ctx, tenant, w); err != nil {
			return n, err
		}
		n += len(w.Transitions)
	}
	return n, nil
}

// ---- rules and overrides

// RuleView is a rule as a tenant sees it: its declaration and the settings
// in force.
type RuleView struct {
	RuleSetting
	UpdatedAt *time.Time
	UpdatedBy string
}

// Rules lists the rules with the tenant's settings, optionally of one
// provider.
func (s *Service) Rules(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, provider valdrix.Provider) ([]RuleView, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return nil, err
	}
	if provider != "" && !provider.Valid() {
		return nil, valdrix.FieldError("provider", "%q is not a provider", provider)
	}
	o, stored, err := s.overrides(ctx, actor, tenant)
	if err != nil {
		return nil, err
	}
	settings, err := s.cfg.Engine.Settings(o)
	if err != nil {
		return nil, err
	}
	byID := map[string]StoredOverride{}
	for _, so := range stored {
		byID[so.RuleID] = so
	}
	out := make([]RuleView, 0, len(settings))
	for _, st := range settings {
		if provider != "" && st.Rule.Provider != provider {
			continue
		}
		v := RuleView{RuleSetting: st}
		if so, ok := byID[st.Rule.ID]; ok {
			at := so.UpdatedAt
			v.UpdatedAt, v.UpdatedBy = &at, so.UpdatedBy
		}
		out = append(out, v)
	}
	return out, nil
}

// SetRule replaces the tenant's override of one rule (admins). An empty
// override (no Enabled, no thresholds) restores the defaults.
func (s *Service) SetRule(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id string, ov RuleOverride) (RuleView, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return RuleView{}, err
	}
	if zombie.ByID(s.cfg.Engine.cfg.Rules)[id] == nil {
		return RuleView{}, valdrix.Errorf(valdrix.ENOTFOUND, "There is no rule %q.", id)
	}
	// Validate against the rule's declaration (field errors name the
	// threshold).
	if _, err := s.cfg.Engine.Settings(Overrides{Rules: map[string]RuleOverride{id: ov}}); err != nil {
		// Field errors name the setting within this rule's override.
		var ve *valdrix.Error
		if errors.As(err, &ve) && strings.HasPrefix(ve.Field, "rules."+id+".") {
			return RuleView{}, valdrix.FieldError(strings.TrimPrefix(ve.Field, "rules."+id+"."), "%s", ve.Message)
		}
		return RuleView{}, err
	}
	so := StoredOverride{RuleID: id, Override: ov, UpdatedAt: s.now(), UpdatedBy: actor.Principal.Actor()}
	err := s.cfg.Store.Atomic(ctx, tenant, func(ctx context.Context) error {
		if err := s.cfg.Store.PutRuleOverride(ctx, tenant, so); err != nil {
			return err
		}
		meta := map[string]any{}
		if ov.Enabled != nil {
			meta["enabled"] = *ov.Enabled
		}
		for _, n := range slices.Sorted(maps.Keys(ov.Thresholds)) {
			meta["threshold."+n] = ov.Thresholds[n]
		}
		return s.cfg.Audit.Record(ctx, actor, tenant, "rule.update", id, meta)
	})
	if err != nil {
		return RuleView{}, err
	}
	views, err := s.Rules(ctx, actor, tenant, "")
	if err != nil {
		return RuleView{}, err
	}
	for _, v := range views {
		if v.Rule.ID == id {
			return v, nil
		}
	}
	return RuleView{}, valdrix.Errorf(valdrix.EINTERNAL, "rule %s vanished", id)
}
