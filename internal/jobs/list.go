package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// State is a job's state (River's).
type State string

// Job states.
const (
	StateAvailable State = "available" // waiting for a worker
	StateScheduled State = "scheduled" // waiting for its time
	StateRunning   State = "running"
	StateRetryable State = "retryable" // failed, waiting for its next attempt
	StateCompleted State = "completed"
	StateCancelled State = "cancelled"
	StateDiscarded State = "discarded" // failed its last attempt
	StatePending   State = "pending"
)

// AllStates lists every state.
func AllStates() []State {
	return []State{StateAvailable, StateScheduled, StateRunning, StateRetryable, StateCompleted, StateCancelled, StateDiscarded, StatePending}
}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(AllStates(), s) }

// Info is what an operator or admin sees of a job.
type Info struct {
	ID          int64            `json:"id"`
	Kind        string           `json:"kind"`
	State       State            `json:"state"`
	Queue       string           `json:"queue"`
	Tenant      valdrix.TenantID `json:"tenant_id,omitempty"`
	Key         string           `json:"unique_key,omitempty"`
	Args        json.RawMessage  `json:"args"`
	Attempt     int              `json:"attempt"`
	MaxAttempts int              `json:"max_attempts"`
	Errors      []AttemptError   `json:"errors"`
	Periodic    string           `json:"periodic,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	ScheduledAt time.Time        `json:"scheduled_at"`
	AttemptedAt *time.Time       `json:"attempted_at,omitempty"`
	FinalizedAt *time.Time       `json:"finalized_at,omitempty"`
}

// AttemptError is one failed attempt.
type AttemptError struct {
	At      time.Time `json:"at"`
	Attempt int       `json:"attempt"`
	Error   string    `json:"error"`
}

func infoOf(row *rivertype.JobRow) Info {
	var st struct {
		Args json.RawMessage `json:"args"`
		Key  string          `json:"unique_key"`
	}
	if err := json.Unmarshal(row.EncodedArgs, &st); err != nil || st.Args == nil {
		st.Args = json.RawMessage(row.EncodedArgs) // not enqueued by the runtime
	}
	meta := metaOf(row)
	in := Info{
		ID: row.ID, Kind: row.Kind, State: State(row.State), Queue: row.Queue, Tenant: meta.Tenant,
		Key: st.Key, Args: st.Args, Attempt: row.Attempt, MaxAttempts: row.MaxAttempts,
		Errors: make([]AttemptError, 0, len(row.Errors)), Periodic: meta.PeriodicJob,
		CreatedAt: row.CreatedAt.UTC(), ScheduledAt: row.ScheduledAt.UTC(),
		AttemptedAt: utc(row.AttemptedAt), FinalizedAt: utc(row.FinalizedAt),
	}
	for _, e := range row.Errors {
		in.Errors = append(in.Errors, AttemptError{At: e.At.UTC(), Attempt: e.Attempt, Error: e.Error})
	}
	return in
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// ListFilter selects jobs. Zero fields select everything.
type ListFilter struct {
	// Tenant limits the list to one tenant's jobs (what an admin sees);
	// empty lists every job (the operator's view).
	Tenant valdrix.TenantID
	Kinds  []string
	States []State
	// Limit is the page size (default 50, at most 500).
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
}

// List returns jobs, newest first, and the cursor of the next page ("" on
// the last).
func (rt *Runtime) List(ctx context.Context, f ListFilter) ([]Info, string, error) {
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 500 {
		return nil, "", valdrix.FieldError("limit", "must be 1–500")
	}
	p := river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit + 1)
	if f.Tenant != "" {
		if !valdrix.ValidID(string(f.Tenant)) {
			return nil, "", valdrix.FieldError("tenant", "%q is not a tenant id", f.Tenant)
		}
		p = p.TagsAll(tenantTag(f.Tenant))
	}
	for _, k := range f.Kinds {
		if !kindName.MatchString(k) {
			return nil, "", valdrix.FieldError("kind", "%q is not a job kind", k)
		}
	}
	if len(f.Kinds) > 0 {
		p = p.Kinds(f.Kinds...)
	}
	if len(f.States) > 0 {
		states := make([]rivertype.JobState, len(f.States))
		for i, s := range f.States {
			if !s.Valid() {
				return nil, "", valdrix.FieldError("state", "%q is not a job state", s)
			}
			states[i] = rivertype.JobState(s)
		}
		p = p.States(states...)
	}
	if f.Cursor != "" {
		before, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || before < 1 {
			return nil, "", valdrix.FieldError("cursor", "is not a cursor returned by this API")
		}
		p = p.Where("id < @before_id", river.NamedArgs{"before_id": before})
	}
	res, err := rt.client.JobList(ctx, p)
	if err != nil {
		return nil, "", valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot list jobs: the database is unavailable.")
	}
	out := make([]Info, 0, min(len(res.Jobs), limit))
	for _, row := range res.Jobs {
		out = append(out, infoOf(row))
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, nil
}

// Get returns a job. With a tenant, a job of another tenant is not found.
func (rt *Runtime) Get(ctx context.Context, tenant valdrix.TenantID, id int64) (Info, error) {
	row, err := rt.client.JobGet(ctx, id)
	if err != nil {
		return Info{}, rt.jobError(err, id)
	}
	in := infoOf(row)
	if tenant != "" && in.Tenant != tenant {
		return Info{}, valdrix.Errorf(valdrix.ENOTFOUND, "Job %d not found.", id)
	}
	return in, nil
}

// Cancel cancels a job: a waiting job is cancelled at once, a running one
// has its context cancelled (its worker decides how fast it stops) and is
// not retried. Cancelling a finished job changes nothing.
func (rt *Runtime) Cancel(ctx context.Context, id int64) (Info, error) {
	row, err := rt.client.JobCancel(ctx, id)
	if err != nil {
		return Info{}, rt.jobError(err, id)
	}
	if row.State == rivertype.JobStateRunning && rt.dialect == "sqlite" {
		// River v0.47's SQLite driver marks the job but, unlike PostgreSQL's,
		// sends no notice to the process running it; send the notice River's
		// producers listen for (in the river_notification table, which every
		// process on the file polls).
		payload, err := json.Marshal(map[string]any{"action": "cancel", "job_id": row.ID, "queue": row.Queue})
		if err == nil {
			err = rt.client.executor().NotifyMany(ctx, &riverdriver.NotifyManyParams{Payload: []string{string(payload)}, Topic: "river_control"})
		}
		if err != nil {
			return Info{}, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Job %d is marked cancelled but its worker was not told; it stops at its timeout.", id)
		}
	}
	return infoOf(row), nil
}

// Retry makes a job available to run now: a failed, cancelled or completed
// job runs again (with one more attempt if it had none left); a waiting job
// stops waiting. A running job is left alone.
func (rt *Runtime) Retry(ctx context.Context, id int64) (Info, error) {
	row, err := rt.client.JobRetry(ctx, id)
	if err != nil {
		return Info{}, rt.jobError(err, id)
	}
	return infoOf(row), nil
}

func (rt *Runtime) jobError(err error, id int64) error {
	if errors.Is(err, rivertype.ErrNotFound) {
		return valdrix.Wrap(valdrix.ENOTFOUND, err, "Job %d not found.", id)
	}
	return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "The job queue is unavailable.")
}
