package jobs

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const day = 24 * time.Hour

// Schedule says when a periodic job runs.
type Schedule struct {
	every time.Duration // a fixed interval
	at    time.Duration // or daily, this long after midnight UTC
	daily bool
}

// Every runs a periodic job at a fixed interval (at least a minute).
func Every(d time.Duration) Schedule { return Schedule{every: d} }

// DailyAt runs a periodic job every day, at this offset from midnight UTC.
func DailyAt(offset time.Duration) Schedule { return Schedule{at: offset, daily: true} }

// Next is the first run after t.
func (s Schedule) Next(t time.Time) time.Time {
	if !s.daily {
		return t.Add(s.every)
	}
	next := t.UTC().Truncate(day).Add(s.at)
	if !next.After(t) {
		next = next.Add(day)
	}
	return next
}

func (s Schedule) period() time.Duration {
	if s.daily {
		return day
	}
	return s.every
}

func (s Schedule) valid() bool {
	if s.daily {
		return s.at >= 0 && s.at < day
	}
	return s.every >= time.Second
}

// AddPeriodic registers a periodic job: the elected leader among the
// working processes enqueues args() on schedule (and once at start when
// runOnStart is set). Each run is unique by name within the schedule's
// period, so a change of leader does not run it twice. Its kind must be
// registered. In a runtime that does not work jobs it only checks its
// arguments.
func (rt *Runtime) AddPeriodic(name string, s Schedule, args func() Args, runOnStart bool) error {
	if !kindName.MatchString(name) {
		return fmt.Errorf("jobs: periodic job name %q must be lower-case letters, digits, '_' and '.'", name)
	}
	if !s.valid() {
		return fmt.Errorf("jobs: periodic job %s needs an interval of at least a second, or a time of day", name)
	}
	if k := rt.kind(args().Kind()); k == nil {
		return fmt.Errorf("jobs: periodic job %s: kind %s is not registered", name, args().Kind())
	}
	if !rt.cfg.Work {
		return nil // only working processes run periodic jobs
	}
	ctor := func() (river.JobArgs, *river.InsertOpts) {
		p, err := rt.insertParams(withPeriodic(context.Background(), name), args(),
			EnqueueOpts{Key: "periodic:" + name, UniquePeriod: s.period()})
		if err != nil {
			rt.log.Error("periodic job not enqueued", "periodic", name, "error", err)
			return nil, nil
		}
		return p.Args, p.InsertOpts
	}
	_, err := rt.client.PeriodicJobs().AddSafely(river.NewPeriodicJob(s, ctor, &river.PeriodicJobOpts{ID: name, RunOnStart: runOnStart}))
	if err != nil {
		return fmt.Errorf("jobs: periodic job %s: %w", name, err)
	}
	return nil
}

// DailySpread schedules one job a day for every item of a changing set (for
// example a scan per cloud connection), each at its own time of day: an
// offset in [Start, Start+Window) fixed by a hash of the spread's name and
// the item's key, so thousands of items are spread evenly instead of all
// starting at midnight, and an item keeps its slot from day to day.
type DailySpread[A Args] struct {
	// Name identifies the spread.
	Name string
	// Items lists the item keys (for example connection ids). The leader's
	// planner calls it every Config.PlanEvery.
	Items func(ctx context.Context) ([]string, error)
	// Args builds the job of an item for a day.
	Args func(key string, day valdrix.Date) A
	// Start and Window bound the slots within the UTC day (default: the
	// whole day). Start+Window must not pass midnight.
	Start, Window time.Duration
}

// SlotOffset is an item's offset into the window, whole seconds, fixed by
// name and key.
func SlotOffset(name, key string, window time.Duration) time.Duration {
	secs := uint64(window / time.Second)
	if secs == 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(key))
	// Finish with a 64-bit mixer (MurmurHash3's fmix64): FNV's output varies
	// little between keys that differ only in their last characters.
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return time.Duration(x%secs) * time.Second
}

// NextSlot is the first slot of an item at or after now, and its day.
func NextSlot(now time.Time, name, key string, start, window time.Duration) (time.Time, valdrix.Date) {
	if window <= 0 {
		window = day - start
	}
	midnight := now.UTC().Truncate(day)
	slot := midnight.Add(start + SlotOffset(name, key, window))
	if slot.Before(now) {
		slot = slot.Add(day)
	}
	return slot, valdrix.DateOf(slot)
}

// AddDailySpread registers s: a planner, run by the leader every
// Config.PlanEvery (and at start), enqueues each item's next daily job at
// its slot, unique by item and day. Enqueuing ahead means a job runs on time
// even if no planner runs near its slot; items added later are picked up by
// the next planner run.
func AddDailySpread[A Args](rt *Runtime, s DailySpread[A]) error {
	var zero A
	if rt.kind(zero.Kind()) == nil {
		return fmt.Errorf("jobs: daily spread %s: kind %s is not registered", s.Name, zero.Kind())
	}
	if !kindName.MatchString(s.Name) || s.Items == nil || s.Args == nil {
		return fmt.Errorf("jobs: daily spread %q needs a lower-case name, Items and Args", s.Name)
	}
	if s.Window == 0 {
		s.Window = day - s.Start
	}
	if s.Start < 0 || s.Window < time.Minute || s.Start+s.Window > day {
		return fmt.Errorf("jobs: daily spread %s: the window must lie within one UTC day", s.Name)
	}
	plan := func(ctx context.Context, o PlanOpts) (PlanResult, error) {
		keys, err := s.Items(ctx)
		if err != nil {
			return PlanResult{}, fmt.Errorf("list the items of %s: %w", s.Name, err)
		}
		slices.Sort(keys)
		keys = slices.Compact(keys)
		now := rt.clock.Now()
		today := valdrix.DateOf(now)
		reqs := make([]Request, 0, len(keys))
		for _, key := range keys {
			if o.DueNow {
				// Today's job, with the key the planner gives it, to run now.
				reqs = append(reqs, Request{Args: s.Args(key, today), Opts: EnqueueOpts{Key: key + "/" + today.String()}})
				continue
			}
			at, d := NextSlot(now, s.Name, key, s.Start, s.Window)
			reqs = append(reqs, Request{Args: s.Args(key, d), Opts: EnqueueOpts{Key: key + "/" + d.String(), ScheduledAt: at}})
		}
		r := PlanResult{Spread: s.Name, Items: len(keys), DueNow: o.DueNow}
		var later []int64 // with DueNow, today's jobs already planned for a later slot
		for batch := range slices.Chunk(reqs, 1000) {
			res, err := rt.EnqueueMany(withPeriodic(ctx, s.Name), batch)
			if err != nil {
				return r, err
			}
			for _, x := range res {
				if !x.Duplicate {
					r.Enqueued++
					continue
				}
				r.Duplicates++
				if o.DueNow && x.State == StateScheduled {
					later = append(later, x.ID)
				}
			}
		}
		if len(later) > 0 {
			n, err := rt.bringForward(ctx, later)
			if err != nil {
				return r, err
			}
			r.BroughtForward = n
		}
		rt.log.InfoContext(ctx, "planned daily jobs", "spread", s.Name, "items", len(keys), "enqueued", r.Enqueued,
			"duplicates", r.Duplicates, "due_now", o.DueNow, "brought_forward", r.BroughtForward)
		return r, nil
	}
	rt.mu.Lock()
	if _, dup := rt.spreads[s.Name]; dup {
		rt.mu.Unlock()
		return fmt.Errorf("jobs: daily spread %s is added twice", s.Name)
	}
	rt.spreads[s.Name] = plan
	rt.mu.Unlock()
	return rt.AddPeriodic("plan."+s.Name, Every(rt.cfg.PlanEvery), func() Args { return planArgs{Spread: s.Name} }, true)
}

// PlanOpts adjust a run of a daily spread's planner.
type PlanOpts struct {
	// DueNow enqueues each item's job for today to run now instead of its
	// next slot, with the key the planner gives it (<item>/<today>): the
	// planner never adds a second job for today, and running it again, or
	// from several processes, adds nothing. A job for today already planned
	// for a later slot is brought forward to now. For catching up after an
	// outage: items whose slot passed while no planner ran would otherwise
	// wait for tomorrow's slot.
	DueNow bool
}

// PlanResult reports a run of a daily spread's planner.
type PlanResult struct {
	Spread string `json:"spread"`
	Items  int    `json:"items"`
	DueNow bool   `json:"due_now"`
	// Enqueued counts new jobs; Duplicates items whose job (same key) was
	// already there: waiting, running or completed.
	Enqueued   int `json:"enqueued"`
	Duplicates int `json:"duplicates"`
	// BroughtForward counts, with DueNow, duplicates that were scheduled
	// for later today and now wait for a worker.
	BroughtForward int `json:"brought_forward"`
}

// Plan runs the planner of a daily spread now (the CLI and tests use it).
func (rt *Runtime) Plan(ctx context.Context, spread string) error {
	_, err := rt.PlanWith(ctx, spread, PlanOpts{})
	return err
}

// PlanWith runs the planner of a daily spread now, with options, and says
// what it enqueued. Any process may run it, one that does not work jobs
// too: unique keys make concurrent runs add each job once.
func (rt *Runtime) PlanWith(ctx context.Context, spread string, o PlanOpts) (PlanResult, error) {
	rt.mu.Lock()
	plan := rt.spreads[spread]
	rt.mu.Unlock()
	if plan == nil {
		return PlanResult{}, valdrix.Errorf(valdrix.ENOTFOUND, "No daily spread named %s.", spread)
	}
	return plan(ctx, o)
}

// planFunc is a daily spread's planner.
type planFunc func(ctx context.Context, o PlanOpts) (PlanResult, error)

// Spreads lists the daily spreads' names.
func (rt *Runtime) Spreads() []string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return sortedNames(rt.spreads)
}

// bringForward makes the jobs ids that are still scheduled for later wait
// for a worker now. Only scheduled jobs change: a job that meanwhile became
// available, ran or completed is left alone, so none runs twice.
func (rt *Runtime) bringForward(ctx context.Context, ids []int64) (int, error) {
	fail := func(err error) (int, error) {
		return 0, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cannot reschedule the jobs: the database is unavailable.")
	}
	// "Now" is the database's clock, which River's fetch compares with.
	if rt.cfg.Postgres != nil {
		tag, err := rt.cfg.Postgres.Exec(ctx,
			`UPDATE river_job SET state = 'available', scheduled_at = now() WHERE id = ANY($1) AND state = 'scheduled'`, ids)
		if err != nil {
			return fail(err)
		}
		return int(tag.RowsAffected()), nil
	}
	n := 0
	for batch := range slices.Chunk(ids, 500) {
		// datetime('now', 'subsec') is the text format River's SQLite
		// driver stores times in.
		q := `UPDATE river_job SET state = 'available', scheduled_at = datetime('now', 'subsec') WHERE state = 'scheduled' AND id IN (?` +
			strings.Repeat(", ?", len(batch)-1) + `)`
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		res, err := rt.cfg.SQLite.ExecContext(ctx, q, args...)
		if err != nil {
			return fail(err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return fail(err)
		}
		n += int(k)
	}
	return n, nil
}

// The runtime's own kinds.

type planArgs struct {
	Spread string `json:"spread"`
}

func (planArgs) Kind() string { return "valdrix.jobs.plan" }

type stuckCheckArgs struct{}

func (stuckCheckArgs) Kind() string { return "valdrix.jobs.stuck_check" }

// addMaintenance registers the planner and stuck-detector kinds and the
// detector's periodic job.
func (rt *Runtime) addMaintenance() error {
	limit := func(d time.Duration) time.Duration { return min(d, rt.cfg.RescueAfter/2) }
	if err := Register(rt, Kind[planArgs]{
		Queue: MaintenanceQueue, Timeout: limit(5 * time.Minute), MaxAttempts: 3, Backoff: Exponential(time.Minute, 10*time.Minute),
		Work: func(ctx context.Context, j *Job[planArgs]) error { return rt.Plan(ctx, j.Args.Spread) },
	}); err != nil {
		return err
	}
	if err := Register(rt, Kind[stuckCheckArgs]{
		Queue: MaintenanceQueue, Timeout: limit(2 * time.Minute), MaxAttempts: 1,
		Work: func(ctx context.Context, _ *Job[stuckCheckArgs]) error {
			_, err := rt.DetectStuck(ctx)
			return err
		},
	}); err != nil {
		return err
	}
	return rt.AddPeriodic("stuck_check", Every(rt.cfg.StuckCheckEvery), func() Args { return stuckCheckArgs{} }, true)
}
