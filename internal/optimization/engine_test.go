package optimization_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const acct = "111122223333"

var testNow = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)

type testBundle struct {
	eng  *optimization.Engine
	conn cloud.Connection
}

func setup(t *testing.T, cfg optimization.Config) *testBundle {
	t.Helper()
	cfg.Clock = valdrix.ClockFunc(func() time.Time { return testNow })
	eng, err := optimization.NewEngine(cfg)
	require.NoError(t, err)
	return &testBundle{eng: eng, conn: cloud.Connection{ID: "conn-1", TenantID: "tenant-1", Provider: valdrix.AWS}}
}

func (b *testBundle) detect(t *testing.T, in optimization.DetectInput) optimization.DetectResult {
	t.Helper()
	in.Connection = b.conn
	if in.Resources == nil {
		in.Resources = optimization.ResourceSlice(nil)
	}
	if in.Ledger == nil {
		in.Ledger = optimization.LedgerSlice(nil)
	}
	res, err := b.eng.Detect(t.Context(), in)
	require.NoError(t, err)
	return res
}

func mustDec(t *testing.T, s string) valdrix.Decimal {
	t.Helper()
	d, err := valdrix.ParseDecimal(s)
	require.NoError(t, err)
	return d
}

// resource returns an AWS resource created 200 days before testNow.
func resource(typ, id, state string, attrs map[string]string) cloud.Resource {
	return cloud.Resource{Provider: valdrix.AWS, AccountID: acct, Region: "us-east-1", Type: typ, ID: id, BillingID: id,
		Name: id, State: state, CreatedAt: testNow.AddDate(0, 0, -200), Attrs: attrs, Tags: map[string]string{}}
}

// daily returns one AWS usage row per day for the days days before
// testNow's day.
func daily(t *testing.T, id, usageType, unit, qty, cost string, days int) []ingestion.LedgerRow {
	t.Helper()
	var rows []ingestion.LedgerRow
	end := valdrix.DateOf(testNow)
	for d := end.AddDays(-days); d < end; d++ {
		rows = append(rows, ingestion.LedgerRow{
			ChargeDay: d, BillingPeriod: d.Month(), Provider: valdrix.AWS, BillingAccountID: acct, SubAccountID: acct,
			ServiceName: "Amazon Elastic Compute Cloud", ServiceCategory: "Compute", RegionID: "us-east-1", ResourceID: id,
			UsageType: usageType, ChargeCategory: "Usage", ChargeFrequency: "Usage-Based", PricingCategory: "Standard",
			PricingUnit: unit, ConsumedUnit: unit, BillingCurrency: "USD", ConsumedQuantity: mustDec(t, qty),
			PricingQuantity: mustDec(t, qty), BilledCost: mustDec(t, cost), EffectiveCost: mustDec(t, cost), ListCost: mustDec(t, cost),
			LineCount: 24, Missing: ingestion.MissingVCPUs,
		})
	}
	return rows
}

// gp2 returns an unattached 100 GiB gp2 volume and 30 days of its billing
// (October: 100/31 GB-months a day at $0.10).
func gp2(t *testing.T, id string) (cloud.Resource, []ingestion.LedgerRow) {
	t.Helper()
	return resource("aws.ec2.volume", id, "available", map[string]string{"volume_type": "gp2", "size_gib": "100"}),
		daily(t, id, "USE1-EBS:VolumeUsage.gp2", "GB-Mo", "3.225806452", "0.322580645", 30)
}

func findingOf(res optimization.DetectResult, ruleID, resourceID string) (*optimization.Finding, bool) {
	for _, f := range res.Findings {
		if f.RuleID == ruleID && f.ResourceID == resourceID {
			return f, true
		}
	}
	return nil, false
}

func rulesOf(res optimization.DetectResult) []string {
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.RuleID+" "+f.ResourceID)
	}
	slices.Sort(ids)
	return ids
}

func TestFindingFields(t *testing.T) {
	t.Parallel()
	b := setup(t, optimization.Config{})
	vol, rows := gp2(t, "vol-1")
	res := b.detect(t, optimization.DetectInput{Resources: optimization.ResourceSlice([]cloud.Resource{vol}), Ledger: optimization.LedgerSlice(rows)})
	require.Equal(t, []string{"aws.ec2.previous_generation_volume vol-1", "aws.ec2.unattached_volume vol-1"}, rulesOf(res))

	f, ok := findingOf(res, "aws.ec2.unattached_volume", "vol-1")
	require.True(t, ok)
	require.Equal(t, optimization.FindingKey{ConnectionID: "conn-1", ResourceID: "vol-1", RuleID: "aws.ec2.unattached_volume"}, f.FindingKey)
	require.Equal(t, f.FindingKey.String(), f.Key)
	require.Len(t, f.Key, 32)
	require.Equal(t, "A4", f.Code)
	require.Equal(t, 1, f.RuleVersion)
	require.Equal(t, zombie.ActionSnapshotDelete, f.Action.Kind)
	// 30 days × $0.322580645 = $9.67741935 over 30 days → × 30.44 / 30.
	require.Equal(t, "9.82", f.MonthlyCost.Amount.StringFixed(2))
	require.Equal(t, zombie.CostBilled, f.MonthlyCost.State)
	require.Equal(t, f.MonthlyCost, f.MonthlySavings)
	require.Equal(t, 0.95, f.Confidence)

	ev := f.Evidence
	require.Equal(t, valdrix.NewDate(2026, 10, 2), ev.Window.Start)
	require.Equal(t, valdrix.NewDate(2026, 11, 1), ev.Window.End)
	require.Equal(t, valdrix.NewDate(2026, 10, 1), ev.Window.FeesFrom)
	require.Equal(t, valdrix.NewDate(2026, 10, 31), ev.Window.Through)
	require.Len(t, ev.Billing, 1)
	require.Equal(t, 30, ev.Billing[0].Days)
	require.Equal(t, "USE1-EBS:VolumeUsage.gp2", ev.Billing[0].UsageType)
	require.Equal(t, "9.67741935", ev.Billing[0].EffectiveCost.String())
	require.Equal(t, map[string]float64{"min_age_days": 1}, ev.Thresholds)
	require.Equal(t, "available", ev.Resource.State)

	gp3, ok := findingOf(res, "aws.ec2.previous_generation_volume", "vol-1")
	require.True(t, ok)
	require.Equal(t, zombie.CostEstimated, gp3.MonthlySavings.State)
	require.Equal(t, "1.96", gp3.MonthlySavings.Amount.StringFixed(2), "20 %% of the billed gp2 cost")
	require.Contains(t, gp3.MonthlySavings.Source, "gp3 $0.08")

	// Evidence and findings survive JSON (the lead stores them).
	raw, err := json.Marshal(f)
	require.NoError(t, err)
	var back optimization.Finding
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Empty(t, cmp.Diff(*f, back))

	// The two findings cover the same volume: the totals count it once,
	// with the larger saving.
	require.Len(t, res.Totals, 1)
	require.Equal(t, 2, res.Totals[0].Findings)
	require.Equal(t, f.MonthlySavings.Amount, res.Totals[0].MonthlySavings)

	// The same inputs give the same keys and findings.
	again := b.detect(t, optimization.DetectInput{Resources: optimization.ResourceSlice([]cloud.Resource{vol}), Ledger: optimization.LedgerSlice(rows)})
	require.Empty(t, cmp.Diff(res.Findings, again.Findings))
}

func TestRelatedCosts(t *testing.T) {
	t.Parallel()
	b := setup(t, optimization.Config{})
	inst := resource("aws.ec2.instance", "i-1", "stopped", map[string]string{"stopped_at": testNow.AddDate(0, 0, -60).Format(time.RFC3339)})
	v1 := resource("aws.ec2.volume", "vol-a", "in-use", map[string]string{"attached_instance_ids": "i-1", "volume_type": "gp3"})
	v2 := resource("aws.ec2.volume", "vol-b", "in-use", map[string]string{"attached_instance_ids": "i-1", "volume_type": "gp3"})
	rows := slices.Concat(daily(t, "vol-a", "EBS:VolumeUsage.gp3", "GB-Mo", "1", "0.1", 30), daily(t, "vol-b", "EBS:VolumeUsage.gp3", "GB-Mo", "2", "0.2", 30))
	res := b.detect(t, optimization.DetectInput{
		Resources: optimization.ResourceSlice([]cloud.Resource{inst, v1, v2}), Ledger: optimization.LedgerSlice(rows),
	})
	require.Equal(t, []string{"aws.ec2.stopped_instance i-1", "aws.ec2.volume_on_stopped_instance vol-a", "aws.ec2.volume_on_stopped_instance vol-b"}, rulesOf(res))
	f, _ := findingOf(res, "aws.ec2.stopped_instance", "i-1")
	// The instance has no charges of its own; its volumes cost (0.1 + 0.2)
	// × 30.44 a month.
	require.Equal(t, "9.13", f.MonthlyCost.Amount.StringFixed(2))
	require.Equal(t, zombie.CostBilled, f.MonthlyCost.State)
	require.Equal(t, f.MonthlyCost.Amount, f.MonthlySavings.Amount)
	require.Len(t, f.Evidence.Related, 2)
	require.True(t, f.Carbon.Known, "the volumes' lines are estimated")
	// The instance finding covers both volumes: the totals count the
	// volumes' findings no more.
	require.Equal(t, f.MonthlySavings.Amount, res.Totals[0].MonthlySavings)
	require.Equal(t, 3, res.Totals[0].Findings)
}

func TestOverrides(t *testing.T) {
	t.Parallel()
	yes, no := true, false
	newVol := resource("aws.ec2.volume", "vol-new", "available", map[string]string{"volume_type": "gp3", "size_gib": "500"})
	newVol.CreatedAt = testNow.Add(-36 * time.Hour)
	tests := []struct {
		name      string
		overrides optimization.Overrides
		want      []string
		wantErr   string // the error's field
	}{
		{name: "defaults", want: []string{"aws.ec2.unattached_volume vol-new"}},
		{name: "threshold raised", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{
			"aws.ec2.unattached_volume": {Thresholds: map[string]float64{"min_age_days": 7}}}}},
		{name: "rule off", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{
			"aws.ec2.unattached_volume": {Enabled: &no}}}},
		{name: "opt-in rule on", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{
			"aws.ec2.oversized_volume": {Enabled: &yes}}}, want: []string{"aws.ec2.oversized_volume vol-new", "aws.ec2.unattached_volume vol-new"}},
		{name: "unknown rule", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{"aws.nope.rule": {}}},
			wantErr: "rules.aws.nope.rule"},
		{name: "unknown threshold", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{
			"aws.ec2.unattached_volume": {Thresholds: map[string]float64{"age": 3}}}}, wantErr: "rules.aws.ec2.unattached_volume.thresholds.age"},
		{name: "threshold out of range", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{
			"aws.ec2.unattached_volume": {Thresholds: map[string]float64{"min_age_days": -1}}}}, wantErr: "rules.aws.ec2.unattached_volume.thresholds.min_age_days"},
		{name: "fractional days", overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{
			"aws.ec2.unattached_volume": {Thresholds: map[string]float64{"min_age_days": 1.5}}}}, wantErr: "rules.aws.ec2.unattached_volume.thresholds.min_age_days"},
		{name: "window too long", overrides: optimization.Overrides{WindowDays: 120}, wantErr: "window_days"},
		{name: "empty exclusion tag", overrides: optimization.Overrides{ExcludeTags: []string{"=x"}}, wantErr: "exclude_tags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, optimization.Config{})
			res, err := b.eng.Detect(t.Context(), optimization.DetectInput{Connection: b.conn, Overrides: tt.overrides,
				Resources: optimization.ResourceSlice([]cloud.Resource{newVol}), Ledger: optimization.LedgerSlice(nil)})
			if tt.wantErr != "" {
				require.Error(t, err)
				require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
				require.Equal(t, tt.wantErr, valdrix.ErrorField(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, rulesOf(res))
			for _, f := range res.Findings {
				require.Equal(t, zombie.CostUnpriced, f.MonthlyCost.State, "no ledger: unpriced, never $0")
			}
		})
	}
}

func TestThresholdOverrideInEvidence(t *testing.T) {
	t.Parallel()
	b := setup(t, optimization.Config{})
	vol, rows := gp2(t, "vol-1")
	res := b.detect(t, optimization.DetectInput{
		Resources: optimization.ResourceSlice([]cloud.Resource{vol}), Ledger: optimization.LedgerSlice(rows),
		Overrides: optimization.Overrides{Rules: map[string]optimization.RuleOverride{"aws.ec2.unattached_volume": {Thresholds: map[string]float64{"min_age_days": 3}}}},
	})
	f, ok := findingOf(res, "aws.ec2.unattached_volume", "vol-1")
	require.True(t, ok)
	require.Equal(t, map[string]float64{"min_age_days": 3}, f.Evidence.Thresholds)
	require.Equal(t, []string{"min_age_days"}, f.Evidence.Overridden)
}

func TestExclusions(t *testing.T) {
	t.Parallel()
	ri := func(tags string) []ingestion.LedgerRow {
		d := valdrix.NewDate(2026, 10, 1)
		return []ingestion.LedgerRow{{
			ChargeDay: d, BillingPeriod: d.Month(), Provider: valdrix.AWS, SubAccountID: acct, RegionID: "us-east-1",
			ResourceID: "arn:ri-1", ServiceName: "Amazon Elastic Compute Cloud", UsageType: "USE1-HeavyUsage:m5.large",
			ChargeCategory: "Purchase", ChargeFrequency: "Recurring", CommitmentDiscountID: "arn:ri-1", CommitmentDiscountType: "Reservation",
			CommitmentDiscountStatus: "Unused", BillingCurrency: "USD", BilledCost: 100 * valdrix.DecimalScale,
			EffectiveCost: 50 * valdrix.DecimalScale, Tags: tags,
		}}
	}
	tagged := func(id string, tags map[string]string) cloud.Resource {
		r := resource("aws.ec2.volume", id, "available", map[string]string{"volume_type": "gp3"})
		r.Tags = tags
		return r
	}
	tests := []struct {
		name      string
		resources []cloud.Resource
		ledger    []ingestion.LedgerRow
		overrides optimization.Overrides
		want      []string
		excluded  []optimization.Excluded
	}{
		{name: "valdrix:ignore always", resources: []cloud.Resource{tagged("vol-1", map[string]string{"valdrix:ignore": "true"})},
			excluded: []optimization.Excluded{{ResourceID: "vol-1", Reason: "tag valdrix:ignore"}}},
		{name: "valdrix:ignore=false is not ignored", resources: []cloud.Resource{tagged("vol-1", map[string]string{"valdrix:ignore": "false"})},
			want: []string{"aws.ec2.unattached_volume vol-1"}},
		{name: "tenant tag key", resources: []cloud.Resource{tagged("vol-1", map[string]string{"Keep": "x"}), tagged("vol-2", nil)},
			overrides: optimization.Overrides{ExcludeTags: []string{"keep"}},
			want:      []string{"aws.ec2.unattached_volume vol-2"}, excluded: []optimization.Excluded{{ResourceID: "vol-1", Reason: "tag Keep"}}},
		{name: "tenant tag key=value", resources: []cloud.Resource{tagged("vol-1", map[string]string{"env": "dr"}), tagged("vol-2", map[string]string{"env": "prod"})},
			overrides: optimization.Overrides{ExcludeTags: []string{"env=DR"}},
			want:      []string{"aws.ec2.unattached_volume vol-2"}, excluded: []optimization.Excluded{{ResourceID: "vol-1", Reason: "tag env"}}},
		{name: "account", resources: []cloud.Resource{tagged("vol-1", nil)}, overrides: optimization.Overrides{ExcludeAccounts: []string{acct}},
			excluded: []optimization.Excluded{{ResourceID: "vol-1", Reason: "account " + acct}}},
		{name: "region", resources: []cloud.Resource{tagged("vol-1", nil)}, overrides: optimization.Overrides{ExcludeRegions: []string{"US-EAST-1"}},
			excluded: []optimization.Excluded{{ResourceID: "vol-1", Reason: "region us-east-1"}}},
		{name: "billing-only resource", ledger: ri(""), want: []string{"aws.ec2.unused_reservation arn:ri-1"}},
		{name: "billing-only resource with a cost-allocation ignore tag", ledger: ri(`{"user_valdrix_ignore":"yes"}`),
			excluded: []optimization.Excluded{{ResourceID: "arn:ri-1", Reason: "tag valdrix:ignore"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, optimization.Config{})
			res := b.detect(t, optimization.DetectInput{Overrides: tt.overrides, Resources: optimization.ResourceSlice(tt.resources),
				Ledger: optimization.LedgerSlice(tt.ledger)})
			require.Equal(t, tt.want, rulesOf(res))
			require.Equal(t, tt.excluded, res.Excluded)
			require.Equal(t, len(tt.excluded), res.Stats.Excluded)
		})
	}
}

// An excluded resource is still part of the inventory other resources are
// judged against: an AMI run only by an excluded instance is in use.
func TestExcludedResourcesStillRelate(t *testing.T) {
	t.Parallel()
	b := setup(t, optimization.Config{})
	inst := resource("aws.ec2.instance", "i-1", "running", map[string]string{"image_id": "ami-1"})
	inst.Tags = map[string]string{"valdrix:ignore": "1"}
	ami := resource("aws.ec2.image", "ami-1", "available", map[string]string{"public": "false"})
	res := b.detect(t, optimization.DetectInput{Resources: optimization.ResourceSlice([]cloud.Resource{inst, ami})})
	require.Empty(t, res.Findings)
	require.Equal(t, 1, res.Stats.Excluded)
}

// fakeMetrics answers every query with the same points, or an error.
type fakeMetrics struct {
	value  float64
	err    error
	calls  int
	sizes  []int
	asked  []string
	points int
}

func (m *fakeMetrics) QueryMetrics(_ context.Context, _ cloud.Connection, qs []cloud.MetricQuery) ([]cloud.MetricResult, error) {
	m.calls++
	m.sizes = append(m.sizes, len(qs))
	if m.err != nil {
		return nil, m.err
	}
	out := make([]cloud.MetricResult, len(qs))
	for i, q := range qs {
		m.asked = append(m.asked, q.Dimensions[0].Value)
		res := cloud.MetricResult{ID: q.ID, Status: cloud.MetricOK}
		for d := range m.points {
			res.Points = append(res.Points, cloud.MetricPoint{Time: q.Start.AddDate(0, 0, d), Value: m.value})
		}
		out[i] = res
	}
	return out, nil
}

func TestMetricRules(t *testing.T) {
	t.Parallel()
	// Three running instances costing $1, $3 and $2 a day; idle metrics.
	var inv []cloud.Resource
	var rows []ingestion.LedgerRow
	for _, x := range []struct{ id, cost string }{{"i-a", "1"}, {"i-b", "3"}, {"i-c", "2"}} {
		inv = append(inv, resource("aws.ec2.instance", x.id, "running", map[string]string{"instance_type": "m5.large"}))
		rows = append(rows, daily(t, x.id, "BoxUsage:m5.large", "Hrs", "24", x.cost, 30)...)
	}
	tests := []struct {
		name       string
		metrics    *fakeMetrics
		budget     int // queries a day; 0: no budget
		cfg        optimization.Config
		want       []string
		reasons    map[string]zombie.Reason
		skipped    []optimization.Skipped
		calls      int
		overBudget int
	}{
		{name: "no metrics source: skipped, not idle", skipped: []optimization.Skipped{{RuleID: "aws.ec2.idle_instance", Reason: "metrics_unavailable",
			Resources: 3, Detail: "no metrics source is configured for the connection"}}},
		{name: "idle everywhere", metrics: &fakeMetrics{value: 0.5, points: 14}, calls: 1,
			want: []string{"aws.ec2.idle_instance i-a", "aws.ec2.idle_instance i-b", "aws.ec2.idle_instance i-c"}},
		{name: "busy", metrics: &fakeMetrics{value: 50, points: 14}, calls: 1},
		{name: "too few datapoints", metrics: &fakeMetrics{value: 0.5, points: 3}, calls: 1,
			reasons: map[string]zombie.Reason{"i-a": "short_history", "i-b": "short_history", "i-c": "short_history"}},
		{name: "the call fails", metrics: &fakeMetrics{err: errors.New("boom")}, calls: 1,
			reasons: map[string]zombie.Reason{"i-a": "metrics_failed", "i-b": "metrics_failed", "i-c": "metrics_failed"}},
		{name: "budget of two queries: the most expensive first", metrics: &fakeMetrics{value: 0.5, points: 14}, budget: 2, calls: 1,
			want: []string{"aws.ec2.idle_instance i-b"}, overBudget: 4,
			reasons: map[string]zombie.Reason{"i-a": "metrics_over_budget", "i-c": "metrics_over_budget"}},
		{name: "run cap of four queries", metrics: &fakeMetrics{value: 0.5, points: 14}, cfg: optimization.Config{MaxMetricQueries: 4}, calls: 1,
			want: []string{"aws.ec2.idle_instance i-b", "aws.ec2.idle_instance i-c"}, overBudget: 2,
			reasons: map[string]zombie.Reason{"i-a": "metrics_over_budget"}},
		{name: "batches of two queries", metrics: &fakeMetrics{value: 0.5, points: 14}, cfg: optimization.Config{MetricBatch: 2}, calls: 3,
			want: []string{"aws.ec2.idle_instance i-a", "aws.ec2.idle_instance i-b", "aws.ec2.idle_instance i-c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tt.cfg)
			in := optimization.DetectInput{Resources: optimization.ResourceSlice(inv), Ledger: optimization.LedgerSlice(rows)}
			if tt.metrics != nil {
				in.Metrics = tt.metrics
			}
			if tt.budget > 0 {
				in.Budget = cloud.NewMemoryBudget(tt.budget, valdrix.ClockFunc(func() time.Time { return testNow }))
			}
			res := b.detect(t, in)
			require.Equal(t, tt.want, rulesOf(res))
			got := map[string]zombie.Reason{}
			for _, u := range res.Undecided {
				if u.RuleID == "aws.ec2.idle_instance" {
					got[u.ResourceID] = u.Reason
					require.Len(t, u.Metrics, 2, "the unknown result carries its metric windows")
				}
			}
			if tt.reasons == nil {
				tt.reasons = map[string]zombie.Reason{}
			}
			require.Equal(t, tt.reasons, got)
			require.Equal(t, tt.overBudget, res.Stats.OverBudget)
			require.Equal(t, tt.skipped, res.Skipped)
			if tt.metrics != nil {
				require.Equal(t, tt.calls, tt.metrics.calls)
				require.Equal(t, tt.calls, res.Stats.MetricCalls)
			}
			for _, f := range res.Findings {
				require.Len(t, f.Evidence.Metrics, 2)
				require.Equal(t, "AWS/EC2", f.Evidence.Metrics[0].Namespace)
			}
		})
	}
}

func TestDetectErrors(t *testing.T) {
	t.Parallel()
	b := setup(t, optimization.Config{})
	boom := errors.New("store down")
	_, err := b.eng.Detect(t.Context(), optimization.DetectInput{Connection: b.conn})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	_, err = b.eng.Detect(t.Context(), optimization.DetectInput{Connection: b.conn,
		Resources: func(context.Context, func(*cloud.Resource) error) error { return boom }, Ledger: optimization.LedgerSlice(nil)})
	require.ErrorIs(t, err, boom)
	_, err = b.eng.Detect(t.Context(), optimization.DetectInput{Connection: b.conn, Resources: optimization.ResourceSlice(nil),
		Ledger: func(context.Context, zombie.Window, func(*ingestion.LedgerRow) error) error { return boom }})
	require.ErrorIs(t, err, boom)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	many := make([]cloud.Resource, 10000)
	for i := range many {
		many[i] = resource("aws.ec2.volume", fmt.Sprintf("vol-%d", i), "available", nil)
	}
	_, err = b.eng.Detect(ctx, optimization.DetectInput{Connection: b.conn, Resources: optimization.ResourceSlice(many), Ledger: optimization.LedgerSlice(nil)})
	require.ErrorIs(t, err, context.Canceled)
}

func TestNewEngineChecksRules(t *testing.T) {
	t.Parallel()
	bad := *zombie.Rules()[0]
	bad.Code = "X9"
	_, err := optimization.NewEngine(optimization.Config{Rules: []*zombie.Rule{&bad}})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	r := zombie.Rules()[0]
	_, err = optimization.NewEngine(optimization.Config{Rules: []*zombie.Rule{r, r}})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	eng, err := optimization.NewEngine(optimization.Config{Clock: valdrix.ClockFunc(func() time.Time { return testNow })})
	require.NoError(t, err)
	w, err := eng.LedgerWindow(optimization.Overrides{WindowDays: 7})
	require.NoError(t, err)
	require.Equal(t, zombie.Window{Start: valdrix.NewDate(2026, 10, 25), End: valdrix.NewDate(2026, 11, 1), FeesFrom: valdrix.NewDate(2026, 10, 1)}, w)
}
