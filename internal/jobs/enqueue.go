package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/propagation"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// EnqueueOpts adjust one enqueue.
type EnqueueOpts struct {
	// Key makes the job unique among jobs of its kind: while a job with the
	// same kind and key is waiting, running or completed (and kept, see
	// Config.CompletedRetention), enqueuing another returns that job with
	// Duplicate set. Put what identifies the work in it, for example
	// "<connection>/2026-11-22" or "<connection>/2026-11". A failed or
	// cancelled job frees its key unless the kind sets UniqueFinished.
	Key string
	// UniquePeriod, when set, makes the key (or the kind, without a key)
	// unique within each period of this length, by scheduled time.
	UniquePeriod time.Duration
	// ScheduledAt delays the job; zero runs it as soon as a worker is free.
	ScheduledAt time.Time
	// Priority from 1 (first) to 4; default 1.
	Priority int
}

// Result reports an enqueue.
type Result struct {
	ID int64 `json:"id"`
	// Duplicate is true when a job with the same key already existed; ID is
	// that job's.
	Duplicate bool  `json:"duplicate"`
	State     State `json:"state"`
}

// Request is one job of EnqueueMany.
type Request struct {
	Args Args
	Opts EnqueueOpts
}

// Enqueue adds a job. Its kind must be registered.
func (rt *Runtime) Enqueue(ctx context.Context, args Args, opts EnqueueOpts) (Result, error) {
	res, err := rt.EnqueueMany(ctx, []Request{{Args: args, Opts: opts}})
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// EnqueueTx adds a job inside the read-write store transaction that ctx
// carries (inside store.Atomic or store.System): the job exists if and only
// if the transaction commits. On SQLite this is the only way to enqueue while
// a store transaction is open.
func (rt *Runtime) EnqueueTx(ctx context.Context, args Args, opts EnqueueOpts) (Result, error) {
	res, err := rt.enqueue(ctx, []Request{{Args: args, Opts: opts}}, true)
	if err != nil {
		return Result{}, err
	}
	return res[0], nil
}

// EnqueueMany adds jobs in one statement and returns a result per request,
// in order. Requests repeating a kind and key are inserted once and share
// the result (River v0.47 misreports duplicates within one batch, so the
// runtime removes them first).
func (rt *Runtime) EnqueueMany(ctx context.Context, reqs []Request) ([]Result, error) {
	return rt.enqueue(ctx, reqs, false)
}

func (rt *Runtime) enqueue(ctx context.Context, reqs []Request, inTx bool) ([]Result, error) {
	out := make([]Result, len(reqs))
	if len(reqs) == 0 {
		return out, nil
	}
	if !inTx && rt.dialect == "sqlite" && rt.cfg.CurrentTx != nil {
		if _, tx, ok := rt.cfg.CurrentTx(ctx); ok && tx != nil {
			// The transaction holds SQLite's only writer connection: a
			// separate insert would wait for it forever.
			return nil, valdrix.Wrap(valdrix.EINTERNAL, errors.New("enqueue inside a SQLite store transaction: use EnqueueTx"),
				"Internal error enqueuing a job.")
		}
	}
	first := map[string]int{} // kind + key → index in params
	index := make([]int, len(reqs))
	params := make([]river.InsertManyParams, 0, len(reqs))
	kinds := make([]string, 0, len(reqs))
	for i, r := range reqs {
		p, err := rt.insertParams(ctx, r.Args, r.Opts)
		if err != nil {
			return nil, err
		}
		if id, unique := rt.uniqueID(r); unique {
			if j, seen := first[id]; seen {
				index[i] = -1 - j
				continue
			}
			first[id] = len(params)
		}
		index[i] = len(params)
		params = append(params, p)
		kinds = append(kinds, r.Args.Kind())
	}
	var (
		res []*rivertype.JobInsertResult
		err error
	)
	switch {
	case inTx:
		res, err = rt.client.insertTx(ctx, params)
	case len(params) == 1:
		var r *rivertype.JobInsertResult
		r, err = rt.client.Insert(ctx, params[0].Args, params[0].InsertOpts)
		res = []*rivertype.JobInsertResult{r}
	default:
		res, err = rt.client.InsertMany(ctx, params)
	}
	if err != nil {
		if err == errNoTx { //nolint:errorlint // our own sentinel, never wrapped
			return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "Internal error enqueuing a job.")
		}
		return nil, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot enqueue the job: the database is unavailable.")
	}
	for i := range reqs {
		j, repeat := index[i], false
		if j < 0 {
			j, repeat = -1-j, true
		}
		r := res[j]
		out[i] = Result{ID: r.Job.ID, Duplicate: r.UniqueSkippedAsDuplicate || repeat, State: State(r.Job.State)}
		if !repeat {
			result := "inserted"
			if r.UniqueSkippedAsDuplicate {
				result = "duplicate"
			}
			rt.metrics.enqueued.WithLabelValues(kinds[j], result).Inc()
		}
	}
	return out, nil
}

// uniqueID identifies the unique key River will compute for r, if any.
func (rt *Runtime) uniqueID(r Request) (string, bool) {
	if r.Opts.Key == "" && r.Opts.UniquePeriod <= 0 {
		return "", false
	}
	id := r.Args.Kind() + "\x00" + r.Opts.Key
	if p := r.Opts.UniquePeriod; p > 0 {
		at := r.Opts.ScheduledAt
		if at.IsZero() {
			at = rt.clock.Now()
		}
		id += "\x00" + at.Truncate(p).Format(time.RFC3339)
	}
	return id, true
}

// insertParams turns args and opts into River's insert parameters.
func (rt *Runtime) insertParams(ctx context.Context, args Args, opts EnqueueOpts) (river.InsertManyParams, error) {
	if args == nil {
		return river.InsertManyParams{}, valdrix.Errorf(valdrix.EINTERNAL, "Internal error: enqueue without arguments.")
	}
	k := rt.kind(args.Kind())
	if k == nil {
		return river.InsertManyParams{}, valdrix.Wrap(valdrix.EINTERNAL, fmt.Errorf("job kind %q is not registered", args.Kind()), "Internal error enqueuing a job.")
	}
	if opts.Priority < 0 || opts.Priority > 4 {
		return river.InsertManyParams{}, valdrix.FieldError("priority", "must be 1–4")
	}
	meta := jobMeta{Trace: map[string]string{}}
	io := &river.InsertOpts{
		MaxAttempts: k.maxAttempts,
		Queue:       k.queue,
		Priority:    opts.Priority,
		ScheduledAt: opts.ScheduledAt,
	}
	if ta, ok := args.(TenantArgs); ok {
		t := ta.TenantID()
		if !valdrix.ValidID(string(t)) {
			return river.InsertManyParams{}, valdrix.FieldError("tenant_id", "%q is not a tenant id", t)
		}
		meta.Tenant = t
		io.Tags = []string{tenantTag(t)}
	}
	if p, ok := periodicFrom(ctx); ok {
		meta.PeriodicJob = p
	}
	propagation.TraceContext{}.Inject(ctx, propagation.MapCarrier(meta.Trace))
	md, err := json.Marshal(meta)
	if err != nil {
		return river.InsertManyParams{}, fmt.Errorf("encode job metadata: %w", err)
	}
	io.Metadata = md
	if opts.Key != "" || opts.UniquePeriod > 0 {
		io.UniqueOpts = river.UniqueOpts{ByArgs: opts.Key != "", ByPeriod: opts.UniquePeriod}
		if k.uniqueFinished {
			io.UniqueOpts.ByState = append(rivertype.UniqueOptsByStateDefault(), rivertype.JobStateCancelled, rivertype.JobStateDiscarded)
		}
	}
	return river.InsertManyParams{Args: envelope{kind: k.name, Args: args, Key: opts.Key}, InsertOpts: io}, nil
}

type periodicKey struct{}

// withPeriodic marks enqueues made by a periodic job's constructor.
func withPeriodic(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, periodicKey{}, name)
}

func periodicFrom(ctx context.Context) (string, bool) {
	s, ok := ctx.Value(periodicKey{}).(string)
	return s, ok
}
