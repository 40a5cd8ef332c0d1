package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// FindingRecord returns a new open finding of a connection for tests:
// savings in whole dollars, negative for unpriced; kg < 0 for unknown
// carbon.
func FindingRecord(tenant valdrix.TenantID, connection, resource, rule string, savings, kg int64, at time.Time) optimization.Record {
	key := optimization.FindingKey{ConnectionID: connection, ResourceID: resource, RuleID: rule}
	f := optimization.Finding{
		Target: optimization.Target{Key: key.String(), FindingKey: key, RuleID: rule, RuleVersion: 1, Code: "A1", Provider: valdrix.AWS,
			AccountID: "111111111111", Region: "us-east-1", ResourceID: resource, BillingID: resource, ResourceType: "aws.ec2.volume"},
		Title: "Unattached volume", Detail: resource + " is unattached", Action: zombie.Action{Kind: zombie.ActionSnapshotDelete, Reversible: true},
		SavingsMethod: "all of it", Confidence: 0.9,
		Evidence: optimization.Evidence{RuleID: rule, RuleVersion: 1, Signal: "state = available", Data: "inventory",
			Thresholds: map[string]float64{"min_age_days": 7},
			Resource:   &optimization.ResourceEvidence{State: "available", Tags: map[string]string{"team": "web"}}},
	}
	if savings >= 0 {
		f.MonthlyCost = zombie.Money{Amount: valdrix.NewDecimal(savings, 0), Currency: "USD", State: zombie.CostBilled, Source: "ledger"}
		f.MonthlySavings = f.MonthlyCost
	} else {
		f.MonthlyCost, f.MonthlySavings = zombie.Unpriced("no ledger lines"), zombie.Unpriced("no ledger lines")
	}
	if kg >= 0 {
		f.Carbon = optimization.Carbon{Known: true, KgCO2ePerMonth: valdrix.NewDecimal(kg, 0), Complete: true, CoefficientsVersion: "test"}
	}
	return optimization.Record{ID: valdrix.NewID(), TenantID: tenant, ConnectionID: connection, Finding: f,
		Status: optimization.StatusOpen, StatusReason: "detected", StatusBy: "system:test", StatusAt: at,
		FirstSeen: at, LastSeen: at, Tags: map[string]string{"team": "web"}}
}

func exerciseFindings(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	c := AWSConnection(a.ID, "111111111111")
	require.NoError(t, db.CreateConnection(ctx, c))

	r1 := FindingRecord(a.ID, c.ID, "vol-1", "aws.ec2.unattached_volume", 40, 3, T0)
	r2 := FindingRecord(a.ID, c.ID, "vol-2", "aws.ec2.unattached_volume", 10, -1, T0)
	r3 := FindingRecord(a.ID, c.ID, "vol-3", "aws.ec2.unattached_volume", -1, -1, T0)
	r3.Tags = map[string]string{"team": "data"}
	created := func(r optimization.Record) optimization.Event {
		return optimization.Event{ID: valdrix.NewID(), FindingID: r.ID, At: T0, Actor: "system:test", To: optimization.StatusOpen, Reason: "detected"}
	}
	require.NoError(t, db.SaveFindings(ctx, a.ID, optimization.FindingWrite{
		Upserts: []optimization.Record{r1, r2, r3}, Events: []optimization.Event{created(r1), created(r2), created(r3)}}))

	// The stored finding reads back whole, evidence included.
	got, err := db.GetFinding(ctx, a.ID, r1.ID)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(r1, got, cmpopts.EquateEmpty()))

	states, err := db.FindingStates(ctx, a.ID, c.ID)
	require.NoError(t, err)
	require.Len(t, states, 3)

	// Re-detection: a new id and status in the upsert change neither the
	// identity, the first sighting nor the status; the figures change.
	t1 := T0.Add(24 * time.Hour)
	again := FindingRecord(a.ID, c.ID, "vol-1", "aws.ec2.unattached_volume", 45, 3, t1)
	again.Status = optimization.StatusResolved
	require.NoError(t, db.SaveFindings(ctx, a.ID, optimization.FindingWrite{Upserts: []optimization.Record{again}}))
	got, err = db.GetFinding(ctx, a.ID, r1.ID)
	require.NoError(t, err)
	require.Equal(t, r1.ID, got.ID)
	require.Equal(t, T0, got.FirstSeen)
	require.Equal(t, t1, got.LastSeen)
	require.Equal(t, optimization.StatusOpen, got.Status)
	require.Equal(t, "45", got.MonthlySavings.Amount.String())
	_, err = db.GetFinding(ctx, a.ID, again.ID)
	require.Equal(t, valdrix.ENOTFOUND, code(err), "the re-detection's id was not stored")

	// A transition and its event.
	until := T0.Add(48 * time.Hour)
	require.NoError(t, db.SaveFindings(ctx, a.ID, optimization.FindingWrite{
		Transitions: []optimization.Transition{{ID: r2.ID, To: optimization.StatusSnoozed, Reason: "next sprint", By: "user:u", At: t1, SnoozedUntil: &until}},
		Events:      []optimization.Event{{ID: valdrix.NewID(), FindingID: r2.ID, At: t1, Actor: "user:u", From: optimization.StatusOpen, To: optimization.StatusSnoozed, Reason: "next sprint"}},
	}))
	got, err = db.GetFinding(ctx, a.ID, r2.ID)
	require.NoError(t, err)
	require.Equal(t, optimization.StatusSnoozed, got.Status)
	require.Equal(t, "next sprint", got.StatusReason)
	require.Equal(t, "user:u", got.StatusBy)
	require.Equal(t, until, *got.SnoozedUntil)
	evs, err := db.FindingEvents(ctx, a.ID, r2.ID)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, optimization.StatusOpen, evs[0].To)
	require.Equal(t, optimization.StatusSnoozed, evs[1].To)

	exp, err := db.ExpiredSnoozes(ctx, until.Add(-time.Second), 10)
	require.NoError(t, err)
	require.Empty(t, exp, "the snooze has not ended")
	exp, err = db.ExpiredSnoozes(ctx, until, 10)
	require.NoError(t, err)
	require.Equal(t, map[valdrix.TenantID][]string{a.ID: {r2.ID}}, exp)

	// Resolving records when.
	require.NoError(t, db.SaveFindings(ctx, a.ID, optimization.FindingWrite{
		Transitions: []optimization.Transition{{ID: r3.ID, To: optimization.StatusResolved, Reason: optimization.ResolvedGone, By: "system:test", At: t1}}}))
	got, err = db.GetFinding(ctx, a.ID, r3.ID)
	require.NoError(t, err)
	require.Equal(t, t1, *got.ResolvedAt)

	ids := func(f optimization.Filter, limit int) []string {
		t.Helper()
		var out []string
		cursor := ""
		for range 10 {
			page, next, err := db.ListFindings(ctx, a.ID, f, governance.Page{Limit: limit, Cursor: cursor})
			require.NoError(t, err)
			for _, r := range page {
				out = append(out, r.ResourceID)
			}
			if next == "" {
				return out
			}
			cursor = next
		}
		t.Fatal("pagination does not end")
		return nil
	}
	min20 := valdrix.NewDecimal(20, 0)
	// Ties (vol-2 and vol-3 on carbon and last seen) order by id, and ids
	// grow with time: vol-3 is after vol-2.
	for _, tc := range []struct {
		name  string
		f     optimization.Filter
		limit int
		want  []string
	}{
		{"savings desc, unpriced last", optimization.Filter{Sort: optimization.SortSavings, Desc: true}, 1, []string{"vol-1", "vol-2", "vol-3"}},
		{"savings asc, unpriced first", optimization.Filter{Sort: optimization.SortSavings}, 2, []string{"vol-3", "vol-2", "vol-1"}},
		{"carbon desc", optimization.Filter{Sort: optimization.SortCarbon, Desc: true}, 1, []string{"vol-1", "vol-3", "vol-2"}},
		{"last seen desc", optimization.Filter{Sort: optimization.SortLastSeen, Desc: true}, 1, []string{"vol-1", "vol-3", "vol-2"}},
		{"open only", optimization.Filter{Statuses: []optimization.Status{optimization.StatusOpen}, Sort: optimization.SortSavings}, 5, []string{"vol-1"}},
		{"two statuses", optimization.Filter{Statuses: []optimization.Status{optimization.StatusSnoozed, optimization.StatusResolved}, Sort: optimization.SortSavings}, 5, []string{"vol-3", "vol-2"}},
		{"min savings drops unpriced", optimization.Filter{MinSavings: &min20, Sort: optimization.SortSavings}, 5, []string{"vol-1"}},
		{"tag key=value", optimization.Filter{Tag: "team=data", Sort: optimization.SortSavings}, 5, []string{"vol-3"}},
		{"tag key", optimization.Filter{Tag: "team", Sort: optimization.SortSavings}, 5, []string{"vol-3", "vol-2", "vol-1"}},
		{"rule, account, region, provider, connection", optimization.Filter{RuleID: "aws.ec2.unattached_volume", AccountID: "111111111111",
			Region: "us-east-1", Provider: valdrix.AWS, Connection: c.ID, Sort: optimization.SortSavings}, 5, []string{"vol-3", "vol-2", "vol-1"}},
		{"other region", optimization.Filter{Region: "eu-west-1", Sort: optimization.SortSavings}, 5, nil},
	} {
		require.Equal(t, tc.want, ids(tc.f, tc.limit), tc.name)
	}
	_, _, err = db.ListFindings(ctx, a.ID, optimization.Filter{}, governance.Page{Limit: 5, Cursor: "bogus"})
	require.Equal(t, valdrix.EINVALID, code(err))

	var rows []optimization.SummaryRow
	require.NoError(t, db.SummarizeFindings(ctx, a.ID, optimization.Filter{Statuses: []optimization.Status{optimization.StatusOpen}},
		func(r optimization.SummaryRow) error { rows = append(rows, r); return nil }))
	require.Len(t, rows, 3, "the summary reads every status")
	byKey := map[string]optimization.SummaryRow{}
	for _, r := range rows {
		byKey[r.Key] = r
	}
	require.Equal(t, "45", byKey[r1.Key].MonthlySavings.Amount.String())
	require.Equal(t, "3", byKey[r1.Key].KgCO2e.String())
	require.Nil(t, byKey[r2.Key].KgCO2e, "unknown carbon is not 0")
	require.False(t, byKey[r3.Key].MonthlySavings.Known(), "unpriced stays unpriced")
	require.Equal(t, []string{"vol-1"}, byKey[r1.Key].Covers)

	// Tenant B sees and changes nothing of A's.
	nb, _, err := db.ListFindings(ctx, b.ID, optimization.Filter{}, governance.Page{Limit: 50})
	require.NoError(t, err)
	require.Empty(t, nb)
	_, err = db.GetFinding(ctx, b.ID, r1.ID)
	require.Equal(t, valdrix.ENOTFOUND, code(err))
	evs, err = db.FindingEvents(ctx, b.ID, r1.ID)
	require.NoError(t, err)
	require.Empty(t, evs)
	_, err = db.FindingStates(ctx, b.ID, c.ID)
	require.Equal(t, valdrix.ENOTFOUND, code(err), "B cannot read A's connection's findings")
	err = db.SaveFindings(ctx, b.ID, optimization.FindingWrite{Transitions: []optimization.Transition{{ID: r1.ID, To: optimization.StatusDismissed, By: "x", At: t1}}})
	require.Equal(t, valdrix.ENOTFOUND, code(err))
	err = db.SaveFindings(ctx, b.ID, optimization.FindingWrite{Upserts: []optimization.Record{r1}})
	require.Equal(t, valdrix.EINTERNAL, code(err), "a record of another tenant is refused")
	n := 0
	require.NoError(t, db.SummarizeFindings(ctx, b.ID, optimization.Filter{}, func(optimization.SummaryRow) error { n++; return nil }))
	require.Zero(t, n)
	got, err = db.GetFinding(ctx, a.ID, r1.ID)
	require.NoError(t, err)
	require.Equal(t, optimization.StatusOpen, got.Status)

	// Deleting the connection deletes its findings and their history.
	require.NoError(t, db.DeleteConnection(ctx, a.ID, c.ID))
	_, err = db.GetFinding(ctx, a.ID, r1.ID)
	require.Equal(t, valdrix.ENOTFOUND, code(err))
}

func exerciseDetectionData(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	c := AWSConnection(a.ID, "111111111111")
	require.NoError(t, db.CreateConnection(ctx, c))

	// Detection runs: one per connection, replaced.
	run := optimization.DetectionRun{ConnectionID: c.ID, StartedAt: T0, FinishedAt: T0.Add(time.Second),
		Summary: optimization.RunSummary{Open: 2, New: 2, Undecided: 1}, UndecidedTotal: 1,
		Undecided: []*optimization.Undecided{{Target: optimization.Target{Key: "k", RuleID: "aws.ec2.idle_instance", ResourceID: "i-1"}, Reason: zombie.ReasonMetricsUnavailable}}}
	require.NoError(t, db.PutDetectionRun(ctx, a.ID, run))
	run.Summary.Open = 1
	require.NoError(t, db.PutDetectionRun(ctx, a.ID, run))
	gotRun, err := db.GetDetectionRun(ctx, a.ID, c.ID)
	require.NoError(t, err)
	require.Empty(t, cmp.Diff(run, gotRun, cmpopts.EquateEmpty()))
	_, err = db.GetDetectionRun(ctx, b.ID, c.ID)
	require.Equal(t, valdrix.ENOTFOUND, code(err))

	// Rule overrides: set, replace, clear; per tenant.
	yes, no := true, false
	require.NoError(t, db.PutRuleOverride(ctx, a.ID, optimization.StoredOverride{RuleID: "aws.ec2.old_snapshot",
		Override: optimization.RuleOverride{Thresholds: map[string]float64{"min_age_days": 180}}, UpdatedAt: T0, UpdatedBy: "user:u"}))
	require.NoError(t, db.PutRuleOverride(ctx, a.ID, optimization.StoredOverride{RuleID: "aws.ec2.idle_instance",
		Override: optimization.RuleOverride{Enabled: &no}, UpdatedAt: T0, UpdatedBy: "user:u"}))
	require.NoError(t, db.PutRuleOverride(ctx, a.ID, optimization.StoredOverride{RuleID: "aws.ec2.idle_instance",
		Override: optimization.RuleOverride{Enabled: &yes, Thresholds: map[string]float64{"cpu_percent": 3}}, UpdatedAt: T0, UpdatedBy: "user:v"}))
	ovs, err := db.RuleOverrides(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, []optimization.StoredOverride{
		{RuleID: "aws.ec2.idle_instance", Override: optimization.RuleOverride{Enabled: &yes, Thresholds: map[string]float64{"cpu_percent": 3}}, UpdatedAt: T0, UpdatedBy: "user:v"},
		{RuleID: "aws.ec2.old_snapshot", Override: optimization.RuleOverride{Thresholds: map[string]float64{"min_age_days": 180}}, UpdatedAt: T0, UpdatedBy: "user:u"},
	}, ovs)
	require.NoError(t, db.PutRuleOverride(ctx, a.ID, optimization.StoredOverride{RuleID: "aws.ec2.old_snapshot", UpdatedAt: T0, UpdatedBy: "user:u"}))
	ovs, err = db.RuleOverrides(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, ovs, 1, "an empty override restores the defaults")
	ovs, err = db.RuleOverrides(ctx, b.ID)
	require.NoError(t, err)
	require.Empty(t, ovs)

	// Detection reads present resources and the connection's own ledger.
	scan := inventory.Scan{ID: valdrix.NewID(), TenantID: a.ID, ConnectionID: c.ID, Kind: "discover", Status: inventory.ScanRunning, StartedAt: T0}
	require.NoError(t, db.CreateScan(ctx, scan))
	rs := []cloud.Resource{
		{Provider: valdrix.AWS, AccountID: "1", Region: "us-east-1", Type: "aws.ec2.volume", ID: "vol-1", BillingID: "vol-1", State: "available",
			Tags: map[string]string{"team": "web"}, Attrs: map[string]string{"size_gb": "100"}, CreatedAt: T0.Add(-time.Hour)},
		{Provider: valdrix.AWS, AccountID: "1", Region: "us-east-1", Type: "aws.ec2.volume", ID: "vol-2", BillingID: "vol-2", State: "in-use"},
	}
	require.NoError(t, db.UpsertResources(ctx, a.ID, c.ID, scan.ID, T0, rs))
	_, err = db.MarkResourcesGone(ctx, a.ID, c.ID, []string{"us-east-1"}, T0, T0) // nothing older than T0
	require.NoError(t, err)
	require.NoError(t, db.UpsertResources(ctx, a.ID, c.ID, scan.ID, T0.Add(time.Hour), rs[:1]))
	gone, err := db.MarkResourcesGone(ctx, a.ID, c.ID, []string{"us-east-1"}, T0.Add(time.Hour), T0.Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(1), gone)
	var walked []*cloud.Resource
	require.NoError(t, db.WalkResources(ctx, a.ID, c.ID, func(r *cloud.Resource) error { walked = append(walked, r); return nil }))
	require.Len(t, walked, 1, "gone resources are not walked")
	require.Equal(t, rs[0], *walked[0])
	require.NoError(t, db.WalkResources(ctx, b.ID, c.ID, func(*cloud.Resource) error { t.Fatal("B walked A's resources"); return nil }))

	// The connection's account (222222222222) is billed in its own export
	// for November and in its organisation's export for October and
	// November; the organisation's export also holds another account.
	nov, oct := valdrix.NewMonth(2026, 11), valdrix.NewMonth(2026, 10)
	row := func(day valdrix.Date, account, resource string) ingestion.LedgerRow {
		r := LedgerRow(day, "AmazonEC2", resource, "", 3)
		r.SubAccountID = account
		return r
	}
	imports := []struct {
		source string
		period valdrix.Month
		rows   []ingestion.LedgerRow
	}{
		{c.ID, nov, []ingestion.LedgerRow{row(nov.Start(), "222222222222", "vol-1"), row(nov.Start().AddDays(5), "222222222222", "vol-1")}},
		{"org:cur2", nov, []ingestion.LedgerRow{row(nov.Start(), "222222222222", "vol-1"), row(nov.Start(), "333333333333", "vol-9"),
			row(nov.Start(), "Sub-ABC", "disk-1")}},
		{"org:cur2", oct, []ingestion.LedgerRow{row(oct.Start(), "222222222222", "vol-1"), row(oct.Start(), "333333333333", "vol-9")}},
	}
	for _, im := range imports {
		id := valdrix.NewID()
		require.NoError(t, db.InsertLedgerRows(ctx, a.ID, im.source, id, im.rows))
		_, err := db.SwapLedgerPeriod(ctx, a.ID, im.source, im.period, id, T0)
		require.NoError(t, err)
	}
	for _, tc := range []struct {
		name     string
		tenant   valdrix.TenantID
		source   string
		accounts []string
		from, to valdrix.Date
		want     []string
	}{
		{"own export first, the organisation's for the other periods", a.ID, c.ID, []string{"222222222222"}, oct.Start(), nov.End(),
			[]string{"222222222222 vol-1 2026-10-01", "222222222222 vol-1 2026-11-01", "222222222222 vol-1 2026-11-06"}},
		{"an account only the organisation exports", a.ID, c.ID, []string{"333333333333"}, oct.Start(), nov.End(),
			[]string{"333333333333 vol-9 2026-10-01", "333333333333 vol-9 2026-11-01"}},
		{"the range bounds the days", a.ID, c.ID, []string{"222222222222"}, nov.Start().AddDays(1), nov.End(),
			[]string{"222222222222 vol-1 2026-11-06"}},
		{"accounts compare without case", a.ID, "", []string{"sub-abc"}, nov.Start(), nov.End(), []string{"Sub-ABC disk-1 2026-11-01"}},
		{"no accounts: the source's rows", a.ID, "org:cur2", nil, nov.Start(), nov.End(),
			[]string{"222222222222 vol-1 2026-11-01", "333333333333 vol-9 2026-11-01", "Sub-ABC disk-1 2026-11-01"}},
		{"another tenant", b.ID, c.ID, []string{"222222222222"}, oct.Start(), nov.End(), nil},
	} {
		var got []string
		require.NoError(t, db.WalkAccountLedger(ctx, tc.tenant, tc.source, tc.accounts, tc.from, tc.to, func(r *ingestion.LedgerRow) error {
			got = append(got, r.SubAccountID+" "+r.ResourceID+" "+r.ChargeDay.String())
			return nil
		}), tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}

func exerciseAPIBudget(t *testing.T, open Opener) {
	db := open(t)
	ctx := context.Background()
	a := MustTenant(t, db, "A")
	b := MustTenant(t, db, "B")
	day := valdrix.DateOf(T0)
	const api, limit = "cloudwatch:GetMetricData", 50

	// Concurrent reservations never grant more than the limit together.
	var wg sync.WaitGroup
	grants := make([]int64, 12)
	errs := make([]error, 12)
	for i := range grants {
		wg.Go(func() { grants[i], errs[i] = db.ReserveAPIBudget(ctx, a.ID, api, day, 7, limit) })
	}
	wg.Wait()
	var total int64
	for i, g := range grants {
		require.NoError(t, errs[i])
		require.True(t, g == 7 || g < 7 && g >= 0, "grant %d", g)
		total += g
	}
	require.Equal(t, int64(limit), total)

	for _, tc := range []struct {
		name   string
		tenant valdrix.TenantID
		api    string
		day    valdrix.Date
		want   int64
	}{
		{"spent", a.ID, api, day, 0},
		{"another API", a.ID, "azure:metrics", day, 7},
		{"another tenant", b.ID, api, day, 7},
		{"the next day", a.ID, api, day.AddDays(1), 7},
	} {
		got, err := db.ReserveAPIBudget(ctx, tc.tenant, tc.api, tc.day, 7, limit)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}
