package optimization

import (
	"cmp"
	"context"
	"slices"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/reporting/carbon"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// finding builds the finding of a waste verdict.
func (r *run) finding(ctx context.Context, p *partial, ar *activeRule, s *zombie.Subject, name string, v zombie.Verdict, ws []zombie.MetricWindow) Finding {
	rule := ar.rule
	f := Finding{
		Target: targetOf(r.in.Connection, rule, s, name), Title: rule.Title, Detail: v.Detail, Action: rule.Action, MonthlyCost: r.monthlyCost(s, v), MonthlySavings: v.Savings, SavingsMethod: cmp.Or(v.Method, rule.SavingsMethod),
		Confidence: cmp.Or(v.Confidence, rule.Confidence),
	}
	if len(v.Related) == 0 {
		if p.carbonOf != s.Index {
			p.carbonOf, p.carbon = s.Index, r.carbon(ctx, s, nil, rule.ID)
		}
		f.Carbon = p.carbon
	} else {
		f.Carbon = r.carbon(ctx, s, v.Related, rule.ID)
	}
	f.Evidence = r.evidence(ar, s, v, ws)
	return f
}

// monthlyCost is the finding's cost basis: the verdict's when it states
// one, else the resource's own billed cost plus that of the related
// resources the finding covers.
func (r *run) monthlyCost(s *zombie.Subject, v zombie.Verdict) zombie.Money {
	if v.Cost.State != "" {
		return v.Cost
	}
	own := s.Cost()
	if len(v.Related) == 0 {
		return own
	}
	if s.Usage.Empty() && s.Usage.Covered {
		own = zombie.Free(s.Usage.Currency(), "ledger: the resource has no charges of its own")
	}
	for _, rel := range v.Related {
		own = own.Plus(r.scope.Cost(rel.Index))
	}
	return own
}

// undecided builds the result of an unknown verdict.
func (r *run) undecided(ar *activeRule, s *zombie.Subject, name string, v zombie.Verdict, ws []zombie.MetricWindow) Undecided {
	return Undecided{Target: targetOf(r.in.Connection, ar.rule, s, name), Reason: v.Reason, Detail: v.Detail, Metrics: ws, Facts: v.Facts}
}

// evidence collects what the verdict rests on.
func (r *run) evidence(ar *activeRule, s *zombie.Subject, v zombie.Verdict, ws []zombie.MetricWindow) Evidence {
	ev := Evidence{
		RuleID: ar.rule.ID, RuleVersion: ar.rule.Version, Signal: ar.rule.Signal, Data: ar.rule.Data.String(),
		Window: r.res.Window, Metrics: ws, Thresholds: ar.thresholds, Overridden: ar.overridden, Facts: v.Facts,
	}
	for i := range s.Usage.Lines {
		ev.Billing = append(ev.Billing, billingEvidence(s.Usage, &s.Usage.Lines[i]))
	}
	if s.Resource != nil {
		// The source does not modify resources (ResourceSource): the maps
		// are shared, not copied.
		ev.Resource = &ResourceEvidence{State: s.Resource.State, CreatedAt: s.Resource.CreatedAt,
			Tags: nonEmpty(s.Resource.Tags), Attrs: nonEmpty(s.Resource.Attrs)}
	}
	for _, rel := range v.Related {
		ev.Related = append(ev.Related, RelatedEvidence{ResourceID: rel.ID, BillingID: rel.BillingID, Type: rel.Type,
			MonthlyCost: r.scope.Cost(rel.Index)})
	}
	return ev
}

// nonEmpty returns m, or nil when it is empty (as it reads back from JSON).
func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func billingEvidence(u zombie.Usage, l *zombie.Line) BillingEvidence {
	q, unit := l.ConsumedQuantity, l.ConsumedUnit
	if !l.Missing.Has(ingestion.MissingConsumedQuantity) {
		q, unit = l.PricingQuantity, l.PricingUnit
	}
	return BillingEvidence{
		Month: l.Month, UsageType: l.UsageType, Operation: l.Operation, ServiceName: l.ServiceName,
		ChargeCategory: l.ChargeCategory, PricingCategory: l.PricingCategory, CommitmentDiscountID: l.CommitmentDiscountID,
		CommitmentDiscountStatus: l.CommitmentDiscountStatus, CapacityReservationStatus: l.CapacityReservationStatus,
		FirstDay: u.Day(l.Days.First()), LastDay: u.Day(l.Days.Last()), Days: l.Days.Count(), Rows: l.Rows,
		Quantity: q, Unit: unit, BilledCost: l.BilledCost, EffectiveCost: l.EffectiveCost, ListCost: l.ListCost,
		Currency: l.BillingCurrency,
	}
}

// carbon estimates the CO2e per month of the finding's ledger lines (the
// resource's and the related resources'): each line summed per billing
// month becomes one ledger row dated on its first day, and
// carbon.ResourceMonth normalises the sum over the days from the first line
// to the last ledger day to 30.44 days, as the monthly cost is.
func (r *run) carbon(ctx context.Context, s *zombie.Subject, related []zombie.Ref, ruleID string) Carbon {
	usages := []zombie.Usage{s.Usage}
	for _, rel := range related {
		usages = append(usages, r.scope.Usage(rel.Index))
	}
	rows := carbonRows(s.BillingID, r.w, usages)
	out := Carbon{CoefficientsVersion: carbon.CoefficientsVersion}
	if len(rows) == 0 {
		return out
	}
	first := rows[0].ChargeDay
	for _, row := range rows {
		first = min(first, row.ChargeDay)
	}
	win := carbon.Window{Start: first, End: r.scope.Ledger().Through() + 1}
	if win.End <= win.Start {
		return out
	}
	rm, err := r.e.cfg.Carbon.ResourceMonth(rows, win)
	if err != nil {
		r.e.cfg.Logger.WarnContext(ctx, "carbon estimate failed", "rule_id", ruleID,
			"resource_id", s.ID, "error", err)
		return out
	}
	out = Carbon{
		Known: true, KgCO2ePerMonth: rm.TotalKg, OperationalKg: rm.OperationalKg, EmbodiedKg: rm.EmbodiedKg,
		KWhPerMonth: rm.KWh, Complete: rm.Complete, EstimatedLines: rm.EstimatedRows, UnknownLines: rm.UnknownRows,
		Reasons: rm.Reasons, CoefficientsVersion: rm.Version, Window: win,
	}
	if len(out.Reasons) == 0 {
		out.Reasons = nil
	}
	return out
}

// carbonRows turns usage lines into ledger rows for the estimator: one per
// line and month, dated on the line's first usage day in the window, with
// the line's summed quantities and costs, all under one resource id.
func carbonRows(id string, w zombie.Window, usages []zombie.Usage) []ingestion.LedgerRow {
	var rows []ingestion.LedgerRow
	for _, u := range usages {
		for i := range u.Lines {
			l := &u.Lines[i]
			day := u.Day(l.Days.First())
			if !w.Contains(day) {
				continue // a monthly fee before the window: not usage
			}
			rows = append(rows, ingestion.LedgerRow{
				ChargeDay: day, BillingPeriod: l.Month, Provider: l.Provider, SubAccountID: l.SubAccountID,
				ServiceName: l.ServiceName, ServiceCategory: l.ServiceCategory, RegionID: l.RegionID, ResourceID: id,
				ResourceType: l.ResourceType, InstanceType: l.InstanceType, UsageType: l.UsageType, Operation: l.Operation,
				ChargeCategory: l.ChargeCategory, ChargeFrequency: l.ChargeFrequency, PricingCategory: l.PricingCategory,
				PricingUnit: l.PricingUnit, ConsumedUnit: l.ConsumedUnit, BillingCurrency: l.BillingCurrency,
				CommitmentDiscountID: l.CommitmentDiscountID, CommitmentDiscountStatus: l.CommitmentDiscountStatus,
				CommitmentDiscountType: l.CommitmentDiscountType, CapacityReservationStatus: l.CapacityReservationStatus,
				Extensions: l.Extensions, ConsumedQuantity: l.ConsumedQuantity, PricingQuantity: l.PricingQuantity,
				BilledCost: l.BilledCost, EffectiveCost: l.EffectiveCost, ListCost: l.ListCost, VCPUs: l.VCPUs,
				LineCount: int64(l.Rows), Missing: l.Missing,
			})
		}
	}
	return rows
}

// totals sums the findings of a run per currency (see Summarize).
func totals(fs []*Finding) []Total {
	items := make([]TotalItem, len(fs))
	for i, f := range fs {
		items[i] = f.TotalItem()
	}
	return Summarize(items)
}

// TotalItem is what the totals need of one finding.
type TotalItem struct {
	Key            string
	MonthlyCost    zombie.Money
	MonthlySavings zombie.Money
	// KgCO2e is nil when the finding's carbon is unknown.
	KgCO2e *valdrix.Decimal
	// Covers are the billing ids whose charges the finding covers: its own
	// and its related resources'.
	Covers []string
}

// TotalItem returns what the totals need of f.
func (f *Finding) TotalItem() TotalItem {
	it := TotalItem{Key: f.Key, MonthlyCost: f.MonthlyCost, MonthlySavings: f.MonthlySavings, Covers: f.Covers()}
	if f.Carbon.Known {
		kg := f.Carbon.KgCO2ePerMonth
		it.KgCO2e = &kg
	}
	return it
}

// Covers returns the billing ids whose charges the finding covers.
func (f *Finding) Covers() []string {
	ids := []string{f.BillingID}
	for _, rel := range f.Evidence.Related {
		ids = append(ids, rel.BillingID)
	}
	return ids
}

// Summarize sums findings per currency. A ledger line (a billing id)
// counts once: findings are taken by savings, largest first, and one whose
// resource or related resources an earlier finding already covered adds
// nothing (a stopped instance and its volumes, an unattached gp2 volume).
// Unpriced findings are counted, never added as $0.
func Summarize(items []TotalItem) []Total {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(items[b].MonthlySavings.Amount, items[a].MonthlySavings.Amount); c != 0 {
			return c
		}
		return cmp.Compare(items[a].Key, items[b].Key)
	})
	covered := map[string]bool{}
	byCur := map[string]*Total{}
	var curs []string
	add := func(dst *valdrix.Decimal, v valdrix.Decimal) {
		if s, ok := dst.Add(v); ok {
			*dst = s
		}
	}
	for _, i := range order {
		f := &items[i]
		cur := cmp.Or(f.MonthlyCost.Currency, f.MonthlySavings.Currency, "USD")
		t := byCur[cur]
		if t == nil {
			t = &Total{Currency: cur}
			byCur[cur] = t
			curs = append(curs, cur)
		}
		t.Findings++
		if !f.MonthlySavings.Known() {
			t.UnpricedFindings++
		}
		if slices.ContainsFunc(f.Covers, func(id string) bool { return id != "" && covered[id] }) {
			continue
		}
		for _, id := range f.Covers {
			covered[id] = true
		}
		if f.MonthlyCost.Known() {
			add(&t.MonthlyCost, f.MonthlyCost.Amount)
		}
		if f.MonthlySavings.Known() {
			add(&t.MonthlySavings, f.MonthlySavings.Amount)
		}
		if f.KgCO2e != nil {
			add(&t.KgCO2ePerMonth, *f.KgCO2e)
		}
	}
	slices.Sort(curs)
	out := make([]Total, len(curs))
	for i, c := range curs {
		out[i] = *byCur[c]
	}
	return out
}
