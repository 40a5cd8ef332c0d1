package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"regexp"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Args are a job's arguments: a struct encoded as JSON, whose Kind names the
// job kind (for example "scan"). Kind must not depend on the value: it is
// called on the zero value too.
type Args interface {
	Kind() string
}

// TenantArgs are the arguments of a tenant-scoped job. The runtime records
// the tenant on the job, so that a tenant's admins see the job and nobody
// else's (ListFilter.Tenant).
type TenantArgs interface {
	Args
	TenantID() valdrix.TenantID
}

// Job is one attempt at a job, handed to the kind's worker function.
type Job[A Args] struct {
	ID          int64
	Kind        string
	Args        A
	Key         string // the unique key it was enqueued with, if any
	Tenant      valdrix.TenantID
	Attempt     int // 1 on the first attempt
	MaxAttempts int
	ScheduledAt time.Time
	AttemptedAt time.Time
	// Deadline is when the kind's timeout cancels ctx.
	Deadline time.Time
}

// Kind describes a job kind: how to work it and its limits.
type Kind[A Args] struct {
	// Work does the job. Return nil when done; an error to retry after the
	// kind's backoff (until MaxAttempts); Cancel(err) to give up at once.
	// Work must honour ctx: it is cancelled at the timeout, on Cancel from
	// an operator and when the process stops.
	Work func(ctx context.Context, job *Job[A]) error
	// Timeout bounds one attempt (default DefaultTimeout; ScanTimeout for
	// scans). Config.Timeouts overrides it by kind name.
	Timeout time.Duration
	// MaxAttempts bounds the attempts (default DefaultMaxAttempts).
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after attempt n failed
	// (default Exponential(10s, 1h)). The runtime adds up to 10% jitter,
	// fixed per job, so jobs that fail together do not retry together.
	Backoff func(attempt int) time.Duration
	// Queue is the River queue (default DefaultQueue).
	Queue string
	// UniqueFinished also counts cancelled and discarded jobs as holders of
	// a unique key, so a key runs at most once even when it failed (the
	// daily spread uses it). By default a failed or cancelled job frees its
	// key for a new attempt.
	UniqueFinished bool
}

// kindInfo is a registered kind without its type parameter.
type kindInfo struct {
	name           string
	timeout        time.Duration
	maxAttempts    int
	backoff        func(attempt int) time.Duration
	queue          string
	uniqueFinished bool
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,62}$`)

// Exponential returns a backoff of base·2^(attempt-1), at most max.
func Exponential(base, maxWait time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < maxWait; i++ {
			d *= 2
		}
		return min(d, maxWait)
	}
}

// Register adds a kind to rt. Kinds are registered before Start, once each.
func Register[A Args](rt *Runtime, k Kind[A]) error {
	var zero A
	name := zero.Kind()
	if !kindName.MatchString(name) {
		return fmt.Errorf("jobs: kind %q must be lower-case letters, digits, '_' and '.'", name)
	}
	if k.Work == nil {
		return fmt.Errorf("jobs: kind %s has no Work function", name)
	}
	info := &kindInfo{
		name:           name,
		timeout:        k.Timeout,
		maxAttempts:    k.MaxAttempts,
		backoff:        k.Backoff,
		queue:          k.Queue,
		uniqueFinished: k.UniqueFinished,
	}
	if info.timeout == 0 {
		info.timeout = rt.defaultTimeout()
	}
	if d, ok := rt.cfg.Timeouts[name]; ok {
		info.timeout = d
	}
	if info.maxAttempts == 0 {
		info.maxAttempts = DefaultMaxAttempts
	}
	if info.backoff == nil {
		info.backoff = Exponential(10*time.Second, time.Hour)
	}
	if info.queue == "" {
		info.queue = DefaultQueue
	}
	if info.timeout < 0 || 2*info.timeout > rt.cfg.RescueAfter {
		return fmt.Errorf("jobs: the timeout of %s (%s) must be positive and at most half of the rescue delay (%s)", name, info.timeout, rt.cfg.RescueAfter)
	}
	if info.maxAttempts < 1 {
		return fmt.Errorf("jobs: kind %s needs at least one attempt", name)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.started {
		return fmt.Errorf("jobs: register %s before Start", name)
	}
	if _, dup := rt.kinds[name]; dup {
		return fmt.Errorf("jobs: kind %s is registered twice", name)
	}
	if rt.cfg.Work && !rt.queues[info.queue] {
		if err := rt.client.Queues().Add(info.queue, river.QueueConfig{MaxWorkers: rt.cfg.MaxWorkers}); err != nil {
			return fmt.Errorf("jobs: queue %s: %w", info.queue, err)
		}
		rt.queues[info.queue] = true
	}
	if err := river.AddWorkerSafely[stored[A]](rt.workers, &worker[A]{info: info, work: k.Work}); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	rt.kinds[name] = info
	return nil
}

// kind returns a registered kind, or nil.
func (rt *Runtime) kind(name string) *kindInfo {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.kinds[name]
}

// timeoutOf is the timeout of a kind, registered or not.
func (rt *Runtime) timeoutOf(name string) time.Duration {
	if k := rt.kind(name); k != nil {
		return k.timeout
	}
	if d, ok := rt.cfg.Timeouts[name]; ok {
		return d
	}
	return rt.defaultTimeout()
}

// Jobs are stored as {"args": <the module's args>, "unique_key": "…"}: the
// key is the only field River's unique insert hashes (with the kind).

// stored is the shape a worker decodes.
type stored[A Args] struct {
	Args A      `json:"args"`
	Key  string `json:"unique_key,omitempty"`
}

func (stored[A]) Kind() string {
	var a A
	return a.Kind()
}

// envelope is the shape the runtime inserts, for any kind.
type envelope struct {
	kind string
	Args any    `json:"args"`
	Key  string `json:"unique_key,omitempty" river:"unique"`
}

func (e envelope) Kind() string { return e.kind }

// worker adapts a kind's Work function to River.
type worker[A Args] struct {
	river.WorkerDefaults[stored[A]]
	info *kindInfo
	work func(ctx context.Context, job *Job[A]) error
}

func (w *worker[A]) Timeout(*river.Job[stored[A]]) time.Duration { return w.info.timeout }

func (w *worker[A]) Work(ctx context.Context, j *river.Job[stored[A]]) error {
	job := &Job[A]{
		ID: j.ID, Kind: j.Kind, Args: j.Args.Args, Key: j.Args.Key, Tenant: tenantOf(j.JobRow),
		Attempt: j.Attempt, MaxAttempts: j.MaxAttempts, ScheduledAt: j.ScheduledAt,
	}
	if j.AttemptedAt != nil {
		job.AttemptedAt = *j.AttemptedAt
	}
	if d, ok := ctx.Deadline(); ok {
		job.Deadline = d
	}
	err := w.work(ctx, job)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && !isCancel(err) {
		return &TimeoutError{Kind: w.info.name, Timeout: w.info.timeout, Err: err}
	}
	return err
}

// TimeoutError is recorded when a job ran past its kind's timeout.
type TimeoutError struct {
	Kind    string
	Timeout time.Duration
	Err     error
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s job exceeded its %s timeout: %v", e.Kind, e.Timeout, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// Cancel wraps err so that the job is cancelled, not retried.
func Cancel(err error) error { return river.JobCancel(err) }

func isCancel(err error) bool {
	var c *rivertype.JobCancelError
	return errors.As(err, &c)
}

// retryPolicy schedules a failed job's next attempt with its kind's backoff.
// It also serves River's rescuer for jobs whose worker died.
type retryPolicy struct{ rt *Runtime }

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	backoff := Exponential(10*time.Second, time.Hour)
	if k := p.rt.kind(job.Kind); k != nil {
		backoff = k.backoff
	}
	d := backoff(max(job.Attempt, 1))
	return p.rt.clock.Now().Add(d + jitter(job.ID, d))
}

// jitter is 0–10% of d, fixed by the job's id.
func jitter(id int64, d time.Duration) time.Duration {
	h := fnv.New32a()
	_, _ = fmt.Fprint(h, id)
	return d * time.Duration(h.Sum32()%101) / 1000
}

// jobMeta is what the runtime keeps in a job's metadata.
type jobMeta struct {
	Tenant      valdrix.TenantID  `json:"tenant_id,omitempty"`
	Trace       map[string]string `json:"trace,omitempty"`
	PeriodicJob string            `json:"periodic_name,omitempty"` // River sets "periodic": true
}

func metaOf(row *rivertype.JobRow) jobMeta {
	var m jobMeta
	_ = json.Unmarshal(row.Metadata, &m) // written by the runtime; unknown shapes give zero values
	return m
}

func tenantOf(row *rivertype.JobRow) valdrix.TenantID { return metaOf(row).Tenant }

// tenantTag is the tag that marks a tenant's jobs (tags filter on both
// databases; metadata filters only on PostgreSQL).
func tenantTag(t valdrix.TenantID) string { return "tenant_" + string(t) }
