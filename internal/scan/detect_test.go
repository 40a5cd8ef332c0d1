package scan_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// allFindings lists every finding of the tenant, whatever its status.
func allFindings(t *testing.T, b bundle) map[string]optimization.Record {
	t.Helper()
	out := map[string]optimization.Record{}
	cursor := ""
	for {
		page, next, err := b.opt.ListFindings(context.Background(), sys, b.tenant, optimization.Filter{}, governance.Page{Limit: 500, Cursor: cursor})
		require.NoError(t, err)
		for _, r := range page {
			out[r.Key] = r
		}
		if next == "" {
			return out
		}
		cursor = next
	}
}

// markGone records, as discovery does when a resource disappears, that the
// resource is no longer in its region.
func markGone(t *testing.T, b bundle, resourceID string) {
	t.Helper()
	ctx := context.Background()
	var keep []cloud.Resource
	region := ""
	require.NoError(t, b.db.WalkResources(ctx, b.tenant, b.conn.ID, func(r *cloud.Resource) error {
		if r.ID == resourceID {
			region = r.Region
		} else {
			keep = append(keep, *r)
		}
		return nil
	}))
	require.NotEmpty(t, region, "resource %s is in the inventory", resourceID)
	var same []cloud.Resource
	for _, r := range keep {
		if r.Region == region {
			same = append(same, r)
		}
	}
	at := b.sim.Estate().Now.Add(time.Duration(b.shift.Load())).Add(time.Minute)
	sc := inventory.Scan{ID: valdrix.NewID(), TenantID: b.tenant, ConnectionID: b.conn.ID, Kind: "discover", Status: inventory.ScanRunning, StartedAt: at}
	require.NoError(t, b.db.CreateScan(ctx, sc))
	require.NoError(t, b.db.UpsertResources(ctx, b.tenant, b.conn.ID, sc.ID, at, same))
	n, err := b.db.MarkResourcesGone(ctx, b.tenant, b.conn.ID, []string{region}, at, at)
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
}

// TestPipelineFindsTheSeededWaste runs the whole pipeline — the CUR 2.0
// export read from the simulator's S3, discovery and CloudWatch through the
// real AWS SDK, the rules, the findings ledger — over one simulated account
// with a known set of seeded waste, and requires the open findings to be
// exactly that set. Then it walks the ledger's life cycle: a second scan
// changes no identity, a deleted resource resolves its findings, a snooze
// ends, a dismissal holds, a rule turned off and an excluded tag resolve
// theirs.
func TestPipelineFindsTheSeededWaste(t *testing.T) {
	t.Parallel()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, open)
			e := b.sim.Estate()

			sc, err := b.runner.Run(ctx, sys, b.tenant, b.conn.ID)
			require.NoError(t, err)
			require.Equal(t, inventory.ScanSucceeded, sc.Status, sc.Error)
			found := allFindings(t, b)

			// Ground truth of the connection's account, keyed like findings.
			truth := map[string]cloudsim.Truth{}
			for _, tr := range e.GroundTruth() {
				if tr.AccountID == b.acct {
					truth[string(tr.Code)+" "+tr.BillingID] = tr
				}
			}
			require.NotEmpty(t, truth)
			byTruthKey := map[string]optimization.Record{}
			for _, r := range found {
				require.Equal(t, optimization.StatusOpen, r.Status)
				byTruthKey[r.Code+" "+r.BillingID] = r
			}
			var missed, extra []string
			var truthCost, savings valdrix.Decimal
			for k, tr := range truth {
				truthCost, _ = truthCost.Add(tr.MonthlyCost)
				if _, ok := byTruthKey[k]; !ok {
					missed = append(missed, k)
				}
			}
			for k, r := range byTruthKey {
				require.True(t, r.MonthlyCost.Known(), "%s: the cost is %s (%s)", k, r.MonthlyCost.State, r.MonthlyCost.Source)
				if r.MonthlySavings.Known() {
					savings, _ = savings.Add(r.MonthlySavings.Amount)
				}
				if _, ok := truth[k]; !ok {
					extra = append(extra, k+" ("+r.Detail+")")
				}
			}
			slices.Sort(missed)
			slices.Sort(extra)
			hits := len(truth) - len(missed)
			t.Logf("%s: ground truth %d, findings %d: precision %.4f, recall %.4f; truth cost $%s/month, findings' savings $%s/month (overlaps counted)",
				name, len(truth), len(found), float64(hits)/float64(max(1, len(found))), float64(hits)/float64(len(truth)),
				truthCost.StringFixed(2), savings.StringFixed(2))
			require.Empty(t, missed, "seeded waste the pipeline did not find")
			require.Empty(t, extra, "findings that are not seeded waste")

			sum, err := b.opt.Summarize(ctx, sys, b.tenant, optimization.Filter{})
			require.NoError(t, err)
			require.Equal(t, len(found), sum.ByStatus[optimization.StatusOpen])
			require.Len(t, sum.Totals, 1)
			require.Equal(t, "USD", sum.Totals[0].Currency)
			require.Positive(t, sum.Totals[0].MonthlySavings)
			require.LessOrEqual(t, sum.Totals[0].MonthlySavings, savings, "the summary counts each ledger line once")
			run, err := b.opt.LastRun(ctx, sys, b.tenant, b.conn.ID)
			require.NoError(t, err)
			require.Equal(t, len(found), run.Summary.New)

			// A second scan changes no identity and adds nothing.
			again, err := b.opt.Detect(ctx, sys, b.tenant, b.conn.ID)
			require.NoError(t, err)
			require.Zero(t, again.New)
			require.Zero(t, again.Resolved)
			require.Equal(t, len(found), again.Open)
			after := allFindings(t, b)
			require.Len(t, after, len(found))
			for k, r := range found {
				require.Equal(t, r.ID, after[k].ID)
				require.Equal(t, r.FirstSeen, after[k].FirstSeen)
			}

			// Pick findings on distinct inventory resources for each step;
			// the deleted one is a database in Extended Support, whose ledger
			// lines stay in the window after it is gone (they must not make
			// it a resource known only from billing).
			var picks []optimization.Record
			used := map[string]bool{}
			for _, r := range sortedRecords(found) {
				if r.RuleID == "aws.rds.extended_support" && len(picks) == 0 {
					picks = append(picks, r)
					used[r.ResourceID] = true
				}
			}
			require.Len(t, picks, 1, "the estate has a database in Extended Support")
			for _, r := range sortedRecords(found) {
				if !r.BillingOnly && !used[r.ResourceID] && countOn(found, r.ResourceID) == 1 {
					picks = append(picks, r)
					used[r.ResourceID] = true
				}
			}
			require.GreaterOrEqual(t, len(picks), 3)
			gone, snoozed, dismissed := picks[0], picks[1], picks[2]

			// A deleted resource resolves its findings.
			markGone(t, b, gone.ResourceID)
			until := e.Now.Add(time.Hour)
			_, err = b.opt.Snooze(ctx, sys, b.tenant, snoozed.ID, until, "after the migration")
			require.NoError(t, err)
			_, err = b.opt.Dismiss(ctx, sys, b.tenant, dismissed.ID, "kept for the audit")
			require.NoError(t, err)
			res, err := b.opt.Detect(ctx, sys, b.tenant, b.conn.ID)
			require.NoError(t, err)
			require.Equal(t, 1, res.Resolved)
			got, evs, err := b.opt.GetFinding(ctx, sys, b.tenant, gone.ID)
			require.NoError(t, err)
			require.Equal(t, optimization.StatusResolved, got.Status)
			require.Equal(t, optimization.ResolvedGone, got.StatusReason)
			require.NotNil(t, got.ResolvedAt)
			require.Equal(t, []optimization.Status{optimization.StatusOpen, optimization.StatusResolved}, statuses(evs))
			got, _, err = b.opt.GetFinding(ctx, sys, b.tenant, snoozed.ID)
			require.NoError(t, err)
			require.Equal(t, optimization.StatusSnoozed, got.Status, "the snooze holds until its date")

			// After the date, detection reopens the snoozed finding; the
			// dismissed one stays dismissed.
			b.shift.Store(int64(2 * time.Hour))
			res, err = b.opt.Detect(ctx, sys, b.tenant, b.conn.ID)
			require.NoError(t, err)
			require.Equal(t, 1, res.Reopened)
			got, evs, err = b.opt.GetFinding(ctx, sys, b.tenant, snoozed.ID)
			require.NoError(t, err)
			require.Equal(t, optimization.StatusOpen, got.Status)
			require.Equal(t, "the snooze ended", got.StatusReason)
			require.Equal(t, []optimization.Status{optimization.StatusOpen, optimization.StatusSnoozed, optimization.StatusOpen}, statuses(evs))
			got, _, err = b.opt.GetFinding(ctx, sys, b.tenant, dismissed.ID)
			require.NoError(t, err)
			require.Equal(t, optimization.StatusDismissed, got.Status)
			require.Equal(t, "kept for the audit", got.StatusReason)

			// Turning a rule off resolves its findings; excluding a tag
			// resolves those of the tagged resources.
			rule := picks[3%len(picks)].RuleID
			no := false
			_, err = b.opt.SetRule(ctx, sys, b.tenant, rule, optimization.RuleOverride{Enabled: &no})
			require.NoError(t, err)
			tagged := ""
			for _, r := range sortedRecords(found) {
				if r.RuleID != rule && r.Status == optimization.StatusOpen && r.Tags["team"] != "" && r.ID != gone.ID && r.ID != dismissed.ID {
					tagged = "team=" + r.Tags["team"]
					break
				}
			}
			require.NotEmpty(t, tagged)
			_, err = b.gov.UpdateSettings(ctx, sys, b.tenant, governance.TenantSettings{ExcludeTags: &[]string{tagged}})
			require.NoError(t, err)
			_, err = b.opt.Detect(ctx, sys, b.tenant, b.conn.ID)
			require.NoError(t, err)
			k, v, _ := strings.Cut(tagged, "=")
			for _, r := range allFindings(t, b) {
				switch {
				case r.ID == gone.ID || r.ID == dismissed.ID:
				case r.RuleID == rule:
					require.Equal(t, optimization.StatusResolved, r.Status, r.Key)
					require.Equal(t, optimization.ResolvedDisabled, r.StatusReason)
				case r.Tags[k] == v:
					require.Equal(t, optimization.StatusResolved, r.Status, r.Key)
					require.Equal(t, optimization.ResolvedExcluded, r.StatusReason)
				default:
					require.Equal(t, optimization.StatusOpen, r.Status, "%s: %s", r.Key, r.StatusReason)
				}
			}
		})
	}
}

func sortedRecords(m map[string]optimization.Record) []optimization.Record {
	out := make([]optimization.Record, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b optimization.Record) int {
		return strings.Compare(a.RuleID+" "+a.ResourceID, b.RuleID+" "+b.ResourceID)
	})
	return out
}

func countOn(m map[string]optimization.Record, resource string) int {
	n := 0
	for _, r := range m {
		if r.ResourceID == resource {
			n++
		}
	}
	return n
}

func statuses(evs []optimization.Event) []optimization.Status {
	out := make([]optimization.Status, len(evs))
	for i, e := range evs {
		out[i] = e.To
	}
	return out
}
