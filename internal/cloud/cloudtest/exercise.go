package cloudtest

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Subject is what an adapter hands the contract suite.
type Subject struct {
	Provider   valdrix.Provider
	Inventory  cloud.Inventory
	Tester     cloud.Tester     // optional
	Metrics    cloud.Metrics    // optional
	CostSource cloud.CostSource // optional

	// Conn is a working connection.
	Conn cloud.Connection
	// DeniedConn is a connection whose credentials are refused; its zero
	// value skips the denial cases.
	DeniedConn cloud.Connection
	// Want, when non-nil, is exactly the inventory Conn must yield.
	Want []cloud.Resource
	// MetricQueries are asked of Metrics; at least one should have data.
	MetricQueries []cloud.MetricQuery
}

// Exercise runs the contract suite against s. Every adapter runs it against
// the cloud simulator; the Fake runs it too.
func Exercise(t *testing.T, s Subject) {
	t.Helper()
	t.Run("Discover", func(t *testing.T) { t.Parallel(); exerciseDiscover(t, s) })
	t.Run("DiscoverRegionFilter", func(t *testing.T) { t.Parallel(); exerciseRegionFilter(t, s) })
	t.Run("DiscoverSinkError", func(t *testing.T) { t.Parallel(); exerciseSinkError(t, s) })
	if s.DeniedConn.Provider != "" {
		t.Run("DiscoverDenied", func(t *testing.T) { t.Parallel(); exerciseDenied(t, s) })
	}
	if s.Tester != nil {
		t.Run("Test", func(t *testing.T) { t.Parallel(); exerciseTester(t, s) })
	}
	if s.Metrics != nil {
		t.Run("Metrics", func(t *testing.T) { t.Parallel(); exerciseMetrics(t, s) })
	}
	if s.CostSource != nil {
		t.Run("CostSource", func(t *testing.T) { t.Parallel(); exerciseCostSource(t, s) })
	}
}

// Collect runs a discovery and returns the resources it streamed.
func Collect(ctx context.Context, inv cloud.Inventory, conn cloud.Connection, opts cloud.DiscoverOpts) ([]cloud.Resource, cloud.DiscoveryReport, error) {
	var mu sync.Mutex
	var out []cloud.Resource
	rep, err := inv.Discover(ctx, conn, opts, func(_ context.Context, batch []cloud.Resource) error {
		mu.Lock()
		defer mu.Unlock()
		out = append(out, batch...)
		return nil
	})
	return out, rep, err
}

func resourceKey(r cloud.Resource) string { return r.Type + " " + r.ID }

func exerciseDiscover(t *testing.T, s Subject) {
	got, rep, err := Collect(t.Context(), s.Inventory, s.Conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	require.True(t, rep.Complete, "a full scan of a healthy estate is complete: %+v", rep.Failed())
	require.Equal(t, len(got), rep.Resources, "the report counts what was streamed")
	sum := 0
	for _, it := range rep.Items {
		require.Equal(t, cloud.ScanOK, it.Status)
		require.NotEmpty(t, it.Region)
		require.NotEmpty(t, it.Service)
		sum += it.Resources
	}
	require.Equal(t, len(got), sum, "items add up to the total")
	seen := map[string]bool{}
	for _, r := range got {
		require.Equal(t, s.Provider, r.Provider, "%s", resourceKey(r))
		require.True(t, strings.HasPrefix(r.Type, string(s.Provider)+"."), "canonical type %q", r.Type)
		require.Len(t, strings.Split(r.Type, "."), 3, "canonical type %q is provider.service.kind", r.Type)
		require.NotEmpty(t, r.ID)
		require.NotEmpty(t, r.BillingID, "%s", resourceKey(r))
		require.NotEmpty(t, r.AccountID, "%s", resourceKey(r))
		require.NotEmpty(t, r.Region, "%s", resourceKey(r))
		require.False(t, seen[resourceKey(r)], "duplicate %s", resourceKey(r))
		seen[resourceKey(r)] = true
	}
	if s.Want != nil {
		sortRes := func(rs []cloud.Resource) []cloud.Resource {
			rs = slices.Clone(rs)
			slices.SortFunc(rs, func(a, b cloud.Resource) int { return strings.Compare(resourceKey(a), resourceKey(b)) })
			return rs
		}
		diff := cmp.Diff(sortRes(s.Want), sortRes(got), cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0))
		require.Empty(t, diff, "inventory differs from the estate (-want +got)")
	}
}

func exerciseRegionFilter(t *testing.T, s Subject) {
	all, _, err := Collect(t.Context(), s.Inventory, s.Conn, cloud.DiscoverOpts{})
	require.NoError(t, err)
	if len(all) == 0 {
		t.Skip("empty estate")
	}
	region := all[0].Region
	want := 0
	for _, r := range all {
		if r.Region == region {
			want++
		}
	}
	got, rep, err := Collect(t.Context(), s.Inventory, s.Conn, cloud.DiscoverOpts{Regions: []string{region}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	for _, r := range got {
		require.Equal(t, region, r.Region, "%s", resourceKey(r))
	}
	require.Len(t, got, want)
}

func exerciseSinkError(t *testing.T, s Subject) {
	boom := errors.New("sink full")
	calls := 0
	_, err := s.Inventory.Discover(t.Context(), s.Conn, cloud.DiscoverOpts{}, func(context.Context, []cloud.Resource) error {
		calls++
		return boom
	})
	if calls == 0 {
		t.Skip("empty estate")
	}
	require.ErrorIs(t, err, boom, "a sink error stops the scan and is returned")
	require.Equal(t, 1, calls, "no batch is sent after the sink failed")
}

func exerciseDenied(t *testing.T, s Subject) {
	var got []cloud.Resource
	rep, err := s.Inventory.Discover(t.Context(), s.DeniedConn, cloud.DiscoverOpts{}, func(_ context.Context, b []cloud.Resource) error {
		got = append(got, b...)
		return nil
	})
	require.Error(t, err)
	require.Contains(t, []string{valdrix.EFORBIDDEN, valdrix.EUNAUTHORIZED}, valdrix.ErrorCode(err), "%v", err)
	require.False(t, rep.Complete)
	require.Empty(t, got)
	if s.Tester != nil {
		tr, err := s.Tester.Test(t.Context(), s.DeniedConn)
		require.NoError(t, err)
		require.False(t, tr.OK)
		require.NotEmpty(t, tr.Checks)
		require.Equal(t, cloud.CheckFailed, tr.Checks[0].Status)
		require.NotEmpty(t, tr.Checks[0].Remedy, "a failed check says how to fix it")
	}
}

func exerciseTester(t *testing.T, s Subject) {
	tr, err := s.Tester.Test(t.Context(), s.Conn)
	require.NoError(t, err)
	require.True(t, tr.OK, "%+v", tr.Checks)
	for _, c := range tr.Checks {
		require.NotEmpty(t, c.Name)
		require.NotEqual(t, cloud.CheckFailed, c.Status)
	}
}

func exerciseMetrics(t *testing.T, s Subject) {
	res, err := s.Metrics.QueryMetrics(t.Context(), s.Conn, s.MetricQueries)
	require.NoError(t, err)
	require.Len(t, res, len(s.MetricQueries), "one result per query")
	withData := 0
	for i, r := range res {
		require.Equal(t, s.MetricQueries[i].ID, r.ID, "results are in query order")
		switch r.Status {
		case cloud.MetricOK:
			require.NotEmpty(t, r.Points, "an ok result has datapoints")
			withData++
		case cloud.MetricUnknown:
			require.Contains(t, []cloud.UnknownReason{cloud.ReasonNoData, cloud.ReasonThrottled, cloud.ReasonDenied, cloud.ReasonOverBudget, cloud.ReasonFailed}, r.Reason)
			require.Empty(t, r.Points, "an unknown result carries no value")
		default:
			t.Fatalf("result %s has status %q", r.ID, r.Status)
		}
	}
	if len(s.MetricQueries) > 0 {
		require.Positive(t, withData, "at least one query has data")
	}
}

func exerciseCostSource(t *testing.T, s Subject) {
	periods, err := s.CostSource.ListBillingPeriods(t.Context(), s.Conn)
	require.NoError(t, err)
	require.NotEmpty(t, periods)
	p := periods[len(periods)-1]
	require.NotEmpty(t, p.Format)
	dir := t.TempDir()
	files, err := s.CostSource.FetchBillingPeriod(t.Context(), s.Conn, p.Period, dir)
	require.NoError(t, err)
	require.Equal(t, p.Period, files.Period)
	require.FileExists(t, files.Manifest)
	require.NotEmpty(t, files.DataFiles)
	for _, f := range files.DataFiles {
		require.True(t, strings.HasPrefix(f, dir), "%s is under the target dir", f)
		st, err := os.Stat(f)
		require.NoError(t, err)
		require.Positive(t, st.Size())
	}
	_, err = s.CostSource.FetchBillingPeriod(t.Context(), s.Conn, p.Period-120, t.TempDir())
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err), "a period that is not in the export is not found: %v", err)
}
