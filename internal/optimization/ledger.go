package optimization

import (
	"slices"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Status is where a finding stands in the findings ledger.
type Status string

// Finding statuses.
const (
	// StatusOpen: the waste is there and nobody has decided about it.
	StatusOpen Status = "open"
	// StatusSnoozed: hidden until a date, then open again.
	StatusSnoozed Status = "snoozed"
	// StatusDismissed: a person decided it is not waste (with a reason).
	// Detection never reopens a dismissed finding; a person can.
	StatusDismissed Status = "dismissed"
	// StatusResolved: the resource is gone or the signal cleared.
	StatusResolved Status = "resolved"
	// StatusRemediating: a remediation is under way.
	StatusRemediating Status = "remediating"
)

// AllStatuses lists every status.
func AllStatuses() []Status {
	return []Status{StatusOpen, StatusSnoozed, StatusDismissed, StatusResolved, StatusRemediating}
}

// Valid reports whether s is a status.
func (s Status) Valid() bool { return slices.Contains(AllStatuses(), s) }

// Why a finding was resolved by detection.
const (
	ResolvedGone     = "the resource is gone"
	ResolvedCleared  = "the signal cleared"
	ResolvedExcluded = "the resource is excluded by the tenant's settings"
	ResolvedDisabled = "the rule is turned off"
)

// Record is a finding as the ledger keeps it: the finding as last detected,
// with its identity, its status and when it was seen.
type Record struct {
	ID           string           `json:"id"`
	TenantID     valdrix.TenantID `json:"-"`
	ConnectionID string           `json:"connection_id"`
	Finding

	Status Status `json:"status"`
	// StatusReason is why the status was set: the dismissal reason, the
	// snooze note, why detection resolved it.
	StatusReason string    `json:"status_reason,omitempty"`
	StatusBy     string    `json:"status_by,omitempty"`
	StatusAt     time.Time `json:"status_at"`
	// SnoozedUntil is set while the finding is snoozed.
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
	// Tags are the resource's tags at detection time (for filtering).
	Tags map[string]string `json:"-"`
}

// Event is one status change of a finding.
type Event struct {
	ID        string    `json:"id"`
	FindingID string    `json:"finding_id"`
	At        time.Time `json:"at"`
	Actor     string    `json:"actor"`
	// From is empty for the event that created the finding.
	From   Status `json:"from,omitempty"`
	To     Status `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// State is the part of a stored finding detection needs to apply a run.
type State struct {
	ID           string
	Key          string
	RuleID       string
	ResourceID   string
	BillingOnly  bool
	Status       Status
	SnoozedUntil *time.Time
}

// Transition changes one finding's status.
type Transition struct {
	ID     string
	To     Status
	Reason string
	By     string
	At     time.Time
	// SnoozedUntil is set for StatusSnoozed.
	SnoozedUntil *time.Time
}

// FindingWrite is what applying a detection run stores, in one transaction:
// new and refreshed findings (by key; an existing finding keeps its id, its
// first sighting and its status), status changes and their events.
type FindingWrite struct {
	Upserts     []Record
	Transitions []Transition
	Events      []Event
}

// Filter selects findings. Empty fields match everything.
type Filter struct {
	Statuses   []Status
	Connection string
	Provider   valdrix.Provider
	RuleID     string
	AccountID  string
	Region     string
	// Tag is "key" (any value) or "key=value" on the resource's tags.
	Tag string
	// MinSavings keeps findings saving at least this much a month (in
	// their currency); unpriced findings never pass it.
	MinSavings *valdrix.Decimal
	// Sort is one of SortKeys; Desc orders largest first.
	Sort string
	Desc bool
}

// Sort keys of Filter.Sort.
const (
	SortSavings   = "savings"
	SortCost      = "cost"
	SortCarbon    = "carbon"
	SortFirstSeen = "first_seen"
	SortLastSeen  = "last_seen"
)

// SortKeys lists the accepted sort keys.
func SortKeys() []string {
	return []string{SortSavings, SortCost, SortCarbon, SortFirstSeen, SortLastSeen}
}

// SummaryRow is what the summary of a set of findings reads per finding.
type SummaryRow struct {
	Status Status
	TotalItem
}

// Summary sums a set of findings: counts by status, and money and carbon
// per currency over the findings that pass the status filter.
type Summary struct {
	ByStatus map[Status]int `json:"by_status"`
	Totals   []Total        `json:"totals"`
}

// RunSummary is what one detection run did to a connection's findings.
type RunSummary struct {
	// Open counts the connection's open findings after the run.
	Open int `json:"open"`
	// New counts findings seen for the first time; Reopened those that
	// came back (resolved before, or a snooze that ended).
	New      int `json:"new"`
	Reopened int `json:"reopened"`
	Resolved int `json:"resolved"`
	// Undecided counts resources rules could not decide for lack of data.
	Undecided int     `json:"undecided"`
	Totals    []Total `json:"totals"`
}

// DetectionRun is the last detection run of a connection: its summary and
// what it could not decide (so that missing permissions or metrics can be
// fixed), kept as the run left them.
type DetectionRun struct {
	ConnectionID string         `json:"connection_id"`
	StartedAt    time.Time      `json:"started_at"`
	FinishedAt   time.Time      `json:"finished_at"`
	Window       WindowEvidence `json:"window"`
	Summary      RunSummary     `json:"summary"`
	Stats        Stats          `json:"stats"`
	Skipped      []Skipped      `json:"skipped,omitempty"`
	// Undecided lists up to MaxStoredUndecided resources; UndecidedTotal
	// counts them all.
	Undecided      []*Undecided `json:"undecided,omitempty"`
	UndecidedTotal int          `json:"undecided_total"`
	Excluded       int          `json:"excluded"`
}

// MaxStoredUndecided bounds the undecided resources kept with a run.
const MaxStoredUndecided = 1000

// StoredOverride is a tenant's override of one rule, with who set it.
type StoredOverride struct {
	RuleID    string
	Override  RuleOverride
	UpdatedAt time.Time
	UpdatedBy string
}
