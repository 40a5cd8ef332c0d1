package optimization

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// fetchMetrics answers the pending evaluations' metric queries in batches,
// the most expensive resources first, under the tenant's budget and the
// run's cap, then evaluates them. A query the budget or cap refuses, or a
// failed call, gives unknown windows: never idle.
func (r *run) fetchMetrics(ctx context.Context) error {
	for _, p := range r.parts {
		r.pending = append(r.pending, p.pending...)
		p.pending = nil
	}
	if len(r.pending) == 0 {
		return nil
	}
	part := newPartial()
	r.parts = append(r.parts, part)
	slices.SortStableFunc(r.pending, func(a, b *pendingEval) int {
		if c := cmp.Compare(b.cost, a.cost); c != 0 {
			return c
		}
		return cmp.Compare(a.subject.ID, b.subject.ID)
	})
	id := 0
	for _, p := range r.pending {
		for _, sp := range p.specs {
			p.queries = append(p.queries, sp.Query("q"+strconv.Itoa(id), p.subject.Region, r.now))
			id++
		}
	}
	limit := r.e.cfg.MaxMetricQueries
	used := 0
	for start := 0; start < len(r.pending); {
		if err := ctx.Err(); err != nil {
			return err
		}
		end, n := start, 0
		for end < len(r.pending) && (n == 0 || n+len(r.pending[end].queries) <= r.e.cfg.MetricBatch) {
			n += len(r.pending[end].queries)
			end++
		}
		batch := r.pending[start:end]
		start = end
		allowed := n
		if limit > 0 {
			allowed = max(0, min(allowed, limit-used))
		}
		if r.in.Budget != nil && allowed > 0 {
			granted, err := r.in.Budget.Reserve(ctx, r.in.Connection.TenantID, MetricQueriesAPI, allowed)
			if err != nil {
				r.e.cfg.Logger.WarnContext(ctx, "metric budget unavailable", "connection_id", r.in.Connection.ID, "error", err)
				r.failBatch(batch, cloud.ReasonFailed, "the metric budget could not be checked")
				continue
			}
			allowed = granted
		}
		var queries []cloud.MetricQuery
		var asked []*pendingEval
		for _, p := range batch {
			if len(p.queries) > allowed-len(queries) {
				r.res.Stats.OverBudget += len(p.queries)
				r.failOne(p, cloud.ReasonOverBudget, "the tenant's metric query budget is spent")
				continue
			}
			queries = append(queries, p.queries...)
			asked = append(asked, p)
		}
		used += len(queries)
		if len(queries) == 0 {
			continue
		}
		r.res.Stats.MetricQueries += len(queries)
		r.res.Stats.MetricCalls++
		results, err := r.in.Metrics.QueryMetrics(ctx, r.in.Connection, queries)
		if err != nil {
			r.e.cfg.Logger.WarnContext(ctx, "metric query failed", "connection_id", r.in.Connection.ID, "error", err)
			r.failBatch(asked, cloud.ReasonFailed, "the metrics query failed: "+valdrix.ErrorMessage(err))
			continue
		}
		byID := make(map[string]cloud.MetricResult, len(results))
		for _, res := range results {
			byID[res.ID] = res
		}
		for _, p := range asked {
			for k, q := range p.queries {
				res, ok := byID[q.ID]
				if !ok {
					res = cloud.Unknown(q.ID, cloud.ReasonFailed, "the metrics source returned no result for the query")
				}
				p.windows = append(p.windows, zombie.WindowOf(p.specs[k], q, res))
			}
		}
	}
	for _, p := range r.pending {
		p.subject.SetMetrics(p.windows)
		r.record(ctx, part, p.rule, p.subject, p.name, p.rule.rule.Evaluate(p.subject), p.windows)
	}
	r.pending = nil
	return nil
}

func (r *run) failBatch(batch []*pendingEval, reason cloud.UnknownReason, msg string) {
	for _, p := range batch {
		r.failOne(p, reason, msg)
	}
}

func (r *run) failOne(p *pendingEval, reason cloud.UnknownReason, msg string) {
	p.windows = p.windows[:0]
	for k, q := range p.queries {
		p.windows = append(p.windows, zombie.WindowOf(p.specs[k], q, cloud.Unknown(q.ID, reason, msg)))
	}
}
