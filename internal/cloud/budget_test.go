package cloud

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	clock := valdrix.ClockFunc(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	b := NewMemoryBudget(10, clock)
	ctx := t.Context()

	got, err := b.Reserve(ctx, "t1", "GetMetricData", 7)
	require.NoError(t, err)
	require.Equal(t, 7, got)
	got, _ = b.Reserve(ctx, "t1", "GetMetricData", 7)
	require.Equal(t, 3, got, "only the rest of the day's budget is granted")
	got, _ = b.Reserve(ctx, "t1", "GetMetricData", 1)
	require.Equal(t, 0, got)
	got, _ = b.Reserve(ctx, "t2", "GetMetricData", 4)
	require.Equal(t, 4, got, "tenants have separate budgets")
	got, _ = b.Reserve(ctx, "t1", "Other", 2)
	require.Equal(t, 2, got, "APIs have separate budgets")
	require.Equal(t, 10, b.Used("t1", "GetMetricData"))

	mu.Lock()
	now = now.Add(24 * time.Hour)
	mu.Unlock()
	got, _ = b.Reserve(ctx, "t1", "GetMetricData", 7)
	require.Equal(t, 7, got, "a new day has a new budget")
}

func TestReportFinish(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		items    []DiscoveryItem
		complete bool
		total    int
	}{
		{name: "empty is not complete", complete: false},
		{name: "all ok", items: []DiscoveryItem{{Status: ScanOK, Resources: 2}, {Status: ScanOK, Resources: 3}}, complete: true, total: 5},
		{name: "one failed", items: []DiscoveryItem{{Status: ScanOK, Resources: 2}, {Status: ScanFailed}}, complete: false, total: 2},
		{name: "one timeout", items: []DiscoveryItem{{Status: ScanTimeout, Resources: 1}}, complete: false, total: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := DiscoveryReport{Items: tt.items}
			r.Finish(time.Unix(0, 0))
			require.Equal(t, tt.complete, r.Complete)
			require.Equal(t, tt.total, r.Resources)
			require.Len(t, r.Failed(), len(tt.items)-countOK(tt.items))
		})
	}
	tr := TestReport{Checks: []Check{{Status: CheckOK}, {Status: CheckFailed}}}
	tr.Finish()
	require.False(t, tr.OK)
	tr = TestReport{Checks: []Check{{Status: CheckOK}, {Status: CheckSkipped}}}
	tr.Finish()
	require.True(t, tr.OK)
}

func countOK(items []DiscoveryItem) int {
	n := 0
	for _, it := range items {
		if it.Status == ScanOK {
			n++
		}
	}
	return n
}
