package optimization

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// MetricQueriesAPI is the budget key under which the engine reserves metric
// queries (one unit per query) when DetectInput.Budget is set. The adapters
// ration their own API calls under their own keys.
const MetricQueriesAPI = "valdrix:metric_queries"

// Config configures an Engine. Zero values take the defaults.
type Config struct {
	// Rules are the rules to run (default zombie.Rules()).
	Rules []*zombie.Rule
	// Carbon estimates CO2e (default carbon.New with CCF's defaults).
	Carbon *carbon.Estimator
	Clock  valdrix.Clock
	Logger *slog.Logger
	// WindowDays is the default ledger window (default 30, at most 90).
	WindowDays int
	// MetricBatch is the number of queries per QueryMetrics call (default
	// 500, CloudWatch GetMetricData's limit).
	MetricBatch int
	// MaxMetricQueries caps the metric queries of one run (0: no cap but
	// the budget). Queries beyond it are unknown, over budget.
	MaxMetricQueries int
	// Workers is the number of goroutines evaluating rules (default
	// GOMAXPROCS).
	Workers int
}

// Engine runs waste rules over a connection. It is safe for concurrent use;
// each Detect call is independent.
type Engine struct {
	cfg Config
}

// NewEngine returns an engine, checking every rule's declaration.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Rules == nil {
		cfg.Rules = zombie.Rules()
	}
	if cfg.Carbon == nil {
		est, err := carbon.New(carbon.Config{})
		if err != nil {
			return nil, err
		}
		cfg.Carbon = est
	}
	if cfg.Clock == nil {
		cfg.Clock = valdrix.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.WindowDays = cmp.Or(cfg.WindowDays, 30)
	cfg.MetricBatch = cmp.Or(cfg.MetricBatch, 500)
	cfg.Workers = max(1, cmp.Or(cfg.Workers, runtime.GOMAXPROCS(0)))
	if cfg.WindowDays < 1 || cfg.WindowDays > zombie.MaxWindowDays {
		return nil, valdrix.FieldError("WindowDays", "the window must be 1 to %d days (got %d)", zombie.MaxWindowDays, cfg.WindowDays)
	}
	seen := map[string]bool{}
	for _, r := range cfg.Rules {
		if err := r.Validate(); err != nil {
			return nil, valdrix.Wrap(valdrix.EINVALID, err, "rule %s is declared wrongly", r.ID)
		}
		if seen[r.ID] {
			return nil, valdrix.Errorf(valdrix.EINVALID, "rule %s is listed twice", r.ID)
		}
		seen[r.ID] = true
	}
	return &Engine{cfg: cfg}, nil
}

// Rules returns the engine's rules.
func (e *Engine) Rules() []*zombie.Rule { return slices.Clone(e.cfg.Rules) }

// ResourceSource streams a connection's inventory to fn. Detect calls it
// twice (once to index, once to evaluate), expects the same resources, and
// may keep a resource (and its maps) until it returns: a source must not
// reuse or modify them. The first call runs while the ledger is read.
type ResourceSource func(ctx context.Context, fn func(r *cloud.Resource) error) error

// LedgerSource streams a connection's ledger rows of window w (usage days
// Start…End, and rows of ChargeFrequency Recurring from FeesFrom) to fn.
// Extra rows are ignored. fn does not keep the row, so a source may reuse
// it. It runs while the inventory is read.
type LedgerSource func(ctx context.Context, w zombie.Window, fn func(row *ingestion.LedgerRow) error) error

// ResourceSlice is a ResourceSource over a slice.
func ResourceSlice(rs []cloud.Resource) ResourceSource {
	return func(ctx context.Context, fn func(*cloud.Resource) error) error {
		for i := range rs {
			if err := fn(&rs[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// LedgerSlice is a LedgerSource over a slice of rows.
func LedgerSlice(rows []ingestion.LedgerRow) LedgerSource {
	return func(ctx context.Context, _ zombie.Window, fn func(*ingestion.LedgerRow) error) error {
		for i := range rows {
			if err := fn(&rows[i]); err != nil {
				return err
			}
		}
		return nil
	}
}

// DetectInput is one connection's data for a run.
type DetectInput struct {
	// Connection identifies the connection (ID, TenantID, Provider); it is
	// passed to Metrics as is.
	Connection cloud.Connection
	Resources  ResourceSource
	Ledger     LedgerSource
	// Metrics answers metric rules' queries; nil makes every metric
	// window unknown (metrics_unavailable).
	Metrics cloud.Metrics
	// Budget, when set, rations metric queries per tenant and day under
	// MetricQueriesAPI. Most expensive resources are queried first.
	Budget    cloud.Budget
	Overrides Overrides
}

// LedgerWindow returns the window a run with overrides o reads, for callers
// that query the ledger for it.
func (e *Engine) LedgerWindow(o Overrides) (zombie.Window, error) {
	return zombie.NewWindow(valdrix.DateOf(e.cfg.Clock.Now()), cmp.Or(o.WindowDays, e.cfg.WindowDays))
}

// Detect runs the enabled rules over one connection: it reads the
// inventory (twice) and the ledger window (once) from the sources, asks the
// metrics source for the windows metric rules need, and returns findings,
// undecided results, skipped rules and exclusions (docs/detection.md). Bad
// overrides are EINVALID field errors; a source's error is returned wrapped,
// with nothing partial.
func (e *Engine) Detect(ctx context.Context, in DetectInput) (DetectResult, error) {
	if in.Resources == nil || in.Ledger == nil {
		return DetectResult{}, valdrix.Errorf(valdrix.EINVALID, "detection needs a resource source and a ledger source")
	}
	rules, err := in.Overrides.resolve(e.cfg.Rules)
	if err != nil {
		return DetectResult{}, err
	}
	now := e.cfg.Clock.Now().UTC()
	w, err := zombie.NewWindow(valdrix.DateOf(now), cmp.Or(in.Overrides.WindowDays, e.cfg.WindowDays))
	if err != nil {
		return DetectResult{}, err
	}
	r := newRun(e, in, rules, w, now)
	// The inventory and the ledger are read at the same time: they fill
	// independent structures that Finish then joins.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.indexInventory(gctx) })
	g.Go(func() error { return r.readLedger(gctx) })
	if err := g.Wait(); err != nil {
		return DetectResult{}, err
	}
	r.join()
	if err := r.evaluateInventory(ctx); err != nil {
		return DetectResult{}, err
	}
	if err := r.evaluateBillingOnly(ctx); err != nil {
		return DetectResult{}, err
	}
	if err := r.fetchMetrics(ctx); err != nil {
		return DetectResult{}, err
	}
	r.finish()
	e.cfg.Logger.InfoContext(ctx, "detection finished",
		"connection_id", in.Connection.ID, "tenant_id", string(in.Connection.TenantID),
		"resources", r.res.Stats.Resources, "findings", len(r.res.Findings),
		"undecided", len(r.res.Undecided), "ledger_rows", r.res.Stats.LedgerRows,
		"duration", r.res.FinishedAt.Sub(r.res.StartedAt))
	return r.res, nil
}

// run is the state of one Detect call.
type run struct {
	e       *Engine
	in      DetectInput
	now     time.Time
	w       zombie.Window
	rules   []*activeRule
	byType  map[string][]*activeRule
	billing map[valdrix.Provider][]*activeRule
	scope   *zombie.Scope
	excl    *exclusion
	done    []bool // subjects evaluated
	parts   []*partial
	pending []*pendingEval
	res     DetectResult
}

// partial collects one worker's results; finish merges them.
type partial struct {
	findings  []*Finding
	undecided []*Undecided
	pending   []*pendingEval
	skipped   map[string]int // metric evaluations not run for lack of a metrics source, by rule
	// carbonOf and carbon cache the footprint of the last subject's own
	// lines: a resource's rules run one after the other, and its findings
	// share it.
	carbonOf int32
	carbon   Carbon
	stats    Stats
}

func newPartial() *partial {
	return &partial{skipped: map[string]int{}, carbonOf: -1, stats: Stats{ByRule: map[string]RuleStats{}}}
}

// pendingEval is an evaluation waiting for metric windows.
type pendingEval struct {
	rule    *activeRule
	subject *zombie.Subject
	name    string
	specs   []zombie.MetricSpec
	queries []cloud.MetricQuery
	windows []zombie.MetricWindow
	cost    valdrix.Decimal
}

func newRun(e *Engine, in DetectInput, rules []*activeRule, w zombie.Window, now time.Time) *run {
	r := &run{e: e, in: in, now: now, w: w, rules: rules, byType: map[string][]*activeRule{},
		billing: map[valdrix.Provider][]*activeRule{}, excl: newExclusion(in.Overrides)}
	var indexes []zombie.Index
	for _, ar := range rules {
		for _, t := range ar.rule.Types {
			r.byType[t] = append(r.byType[t], ar)
		}
		if ar.rule.Billing != nil {
			r.billing[ar.rule.Provider] = append(r.billing[ar.rule.Provider], ar)
		}
		indexes = append(indexes, ar.rule.Indexes...)
	}
	r.scope = zombie.NewScope(w, now, indexes)
	r.res = DetectResult{ConnectionID: in.Connection.ID, TenantID: in.Connection.TenantID, Provider: in.Connection.Provider,
		StartedAt: now, Stats: Stats{ByRule: map[string]RuleStats{}}}
	return r
}

// indexInventory is the first pass: every resource becomes a subject and is
// recorded in the rules' relation indexes.
func (r *run) indexInventory(ctx context.Context) error {
	n := 0
	err := r.in.Resources(ctx, func(res *cloud.Resource) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		why := r.excl.resource(res)
		if _, added := r.scope.AddResource(res, why != ""); added {
			r.res.Stats.Resources++
			if why != "" {
				r.res.Stats.Excluded++
				r.res.Excluded = append(r.res.Excluded, Excluded{ResourceID: res.ID, Reason: why})
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the inventory of connection %s: %w", r.in.Connection.ID, err)
	}
	return nil
}

// readLedger is the second pass, run alongside the first: the window's
// ledger rows stream into the ledger's per-resource summaries.
func (r *run) readLedger(ctx context.Context) error {
	l := r.scope.Ledger()
	n := 0
	err := r.in.Ledger(ctx, r.w, func(row *ingestion.LedgerRow) error {
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		l.AddRow(row)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the ledger of connection %s: %w", r.in.Connection.ID, err)
	}
	return l.Err()
}

// join joins the ledger to the inventory.
func (r *run) join() {
	r.scope.Finish()
	l := r.scope.Ledger()
	r.res.Stats.LedgerRows, r.res.Stats.RowsSkipped = l.Rows()
	r.res.Stats.LineEntries = l.Entries()
	r.res.Window = WindowEvidence{Start: r.w.Start, End: r.w.End, FeesFrom: r.w.FeesFrom, Through: l.Through()}
	r.done = make([]bool, r.scope.Len())
}

// evaluateInventory is the third pass: every inventory resource is
// evaluated by the rules of its type, by Workers goroutines fed in batches
// by the resource source.
func (r *run) evaluateInventory(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	batches := make(chan []subjectRes, 2*r.e.cfg.Workers)
	for range r.e.cfg.Workers {
		p := newPartial()
		r.parts = append(r.parts, p)
		g.Go(func() error {
			for batch := range batches {
				for _, sr := range batch {
					r.evaluateResource(gctx, p, sr.i, sr.res)
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(batches)
		const size = 256
		batch := make([]subjectRes, 0, size)
		n := 0
		prev := int32(-1)
		err := r.in.Resources(gctx, func(res *cloud.Resource) error {
			i, ok := r.scope.LookupAfter(prev, res.ID)
			if !ok {
				return nil
			}
			prev = i
			if r.done[i] || r.scope.Excluded(i) || len(r.byType[res.Type]) == 0 {
				return nil
			}
			r.done[i] = true
			if batch = append(batch, subjectRes{i, res}); len(batch) == size {
				select {
				case batches <- batch:
				case <-gctx.Done():
					return gctx.Err()
				}
				batch = make([]subjectRes, 0, size)
			}
			if n++; n%4096 == 0 {
				return gctx.Err()
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			select {
			case batches <- batch:
			case <-gctx.Done():
				err = gctx.Err()
			}
		}
		if err != nil {
			return fmt.Errorf("read the inventory of connection %s: %w", r.in.Connection.ID, err)
		}
		return nil
	})
	return g.Wait()
}

// subjectRes is an inventory resource and its subject index.
type subjectRes struct {
	i   int32
	res *cloud.Resource
}

// evaluateResource runs the rules of res's type on it.
func (r *run) evaluateResource(ctx context.Context, p *partial, i int32, res *cloud.Resource) {
	// One subject serves every rule of the resource in turn (rules do not
	// keep it); evaluate copies it when it has to wait for metrics.
	var s *zombie.Subject
	for _, ar := range r.byType[res.Type] {
		if ar.rule.Provider != res.Provider {
			continue
		}
		if s == nil {
			s = r.scope.Subject(i, res, ar.params)
		}
		s.Params = ar.params
		s.SetMetrics(nil)
		r.evaluate(ctx, p, ar, s, res.Name)
	}
}

// evaluateBillingOnly evaluates the resources known only from the ledger
// with the rules whose billing matcher accepts one of their lines.
func (r *run) evaluateBillingOnly(ctx context.Context) error {
	p := newPartial()
	r.parts = append(r.parts, p)
	for i := range int32(r.scope.Len()) {
		ref := r.scope.Ref(i)
		if !ref.BillingOnly || r.done[i] {
			continue
		}
		r.done[i] = true
		r.res.Stats.BillingOnly++
		cands := r.billing[ref.Provider]
		if len(cands) == 0 {
			continue
		}
		var base *zombie.Subject
		for _, ar := range cands {
			if base == nil {
				base = r.scope.Subject(i, nil, ar.params)
				why := r.excl.scope(ref.AccountID, ref.Region)
				if why == "" {
					why = r.excl.tagged(billingTags(r.scope.BillingTags(i)))
				}
				if why != "" {
					r.res.Stats.Excluded++
					r.res.Excluded = append(r.res.Excluded, Excluded{ResourceID: ref.ID, Reason: why})
					break
				}
			}
			if !base.Usage.Has(ar.rule.Billing) {
				continue
			}
			base.Params, base.Type = ar.params, ar.rule.Types[0]
			base.SetMetrics(nil)
			r.evaluate(ctx, p, ar, base, "")
		}
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return nil
}

// evaluate runs one rule on one subject, now or (when it needs metrics
// from a metrics source) after fetchMetrics.
func (r *run) evaluate(ctx context.Context, p *partial, ar *activeRule, s *zombie.Subject, name string) {
	var specs []zombie.MetricSpec
	if ar.rule.Queries != nil {
		specs = ar.rule.Queries(s)
	}
	if len(specs) == 0 {
		r.record(ctx, p, ar, s, name, ar.rule.Evaluate(s), nil)
		return
	}
	if r.in.Metrics == nil {
		// Without a metrics source the rule cannot decide: it is counted
		// in DetectResult.Skipped, not answered resource by resource.
		p.skipped[ar.rule.ID]++
		return
	}
	p.pending = append(p.pending, &pendingEval{rule: ar, subject: s.WithParams(s.Params), name: name, specs: specs, cost: s.Cost().Amount})
}

// record turns a verdict into a finding, an undecided result or a count.
func (r *run) record(ctx context.Context, p *partial, ar *activeRule, s *zombie.Subject, name string, v zombie.Verdict, ws []zombie.MetricWindow) {
	st := &p.stats
	rs := st.ByRule[ar.rule.ID]
	st.Evaluations++
	switch v.Outcome {
	case zombie.OutcomeWaste:
		st.Waste++
		rs.Waste++
		f := r.finding(ctx, p, ar, s, name, v, ws)
		p.findings = append(p.findings, &f)
	case zombie.OutcomeUnknown:
		st.Unknown++
		rs.Unknown++
		u := r.undecided(ar, s, name, v, ws)
		p.undecided = append(p.undecided, &u)
	default:
		st.OK++
		rs.OK++
	}
	st.ByRule[ar.rule.ID] = rs
}

// finish sorts the results and computes the totals.
func (r *run) finish() {
	st := &r.res.Stats
	var fs []*Finding
	var us []*Undecided
	skipped := map[string]int{}
	for _, p := range r.parts {
		fs = append(fs, p.findings...)
		us = append(us, p.undecided...)
		for id, n := range p.skipped {
			skipped[id] += n
		}
		st.Evaluations += p.stats.Evaluations
		st.Waste += p.stats.Waste
		st.OK += p.stats.OK
		st.Unknown += p.stats.Unknown
		for id, rs := range p.stats.ByRule {
			t := st.ByRule[id]
			t.Waste, t.OK, t.Unknown = t.Waste+rs.Waste, t.OK+rs.OK, t.Unknown+rs.Unknown
			st.ByRule[id] = t
		}
	}
	slices.SortFunc(fs, func(a, b *Finding) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(us, func(a, b *Undecided) int { return cmp.Compare(a.Key, b.Key) })
	r.res.Findings, r.res.Undecided = fs, us
	if fs == nil {
		r.res.Findings = []*Finding{}
	}
	if us == nil {
		r.res.Undecided = []*Undecided{}
	}
	for _, ar := range r.rules {
		if n := skipped[ar.rule.ID]; n > 0 {
			r.res.Skipped = append(r.res.Skipped, Skipped{RuleID: ar.rule.ID, Reason: zombie.ReasonMetricsUnavailable,
				Resources: n, Detail: "no metrics source is configured for the connection"})
		}
	}
	slices.SortFunc(r.res.Excluded, func(a, b Excluded) int { return cmp.Compare(a.ResourceID, b.ResourceID) })
	r.res.Totals = totals(r.res.Findings)
	r.res.FinishedAt = r.e.cfg.Clock.Now().UTC()
}
