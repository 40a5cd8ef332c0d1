package azure

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// metricQueries returns CPU queries for an idle VM, a busy one, a
// deallocated one (no data) and one that does not exist.
func (b testBundle) metricQueries(t *testing.T) []cloud.MetricQuery {
	t.Helper()
	e := b.estate
	idle, busy, stopped := -1, -1, -1
	for _, a := range b.accts {
		for _, ci := range e.Accounts[a].Cells {
			lo, hi := e.Cells[ci].Span(cloudsim.AzureVirtualMachine)
			for i := lo; i < hi; i++ {
				x := &e.Resources[i]
				switch {
				case x.State == "deallocated" && stopped < 0 && e.Now.Sub(e.ChangedAt(i)) > 20*24*time.Hour:
					stopped = i
				case x.State == "running" && x.Profile == cloudsim.ProfileIdle && idle < 0 && e.Now.Sub(e.CreatedAt(i)) > 20*24*time.Hour:
					idle = i
				case x.State == "running" && x.Profile == cloudsim.ProfileBusy && busy < 0 && e.Now.Sub(e.CreatedAt(i)) > 20*24*time.Hour:
					busy = i
				}
			}
		}
	}
	require.True(t, idle >= 0 && busy >= 0 && stopped >= 0)
	q := func(id string, i int) cloud.MetricQuery {
		rid := "/subscriptions/" + b.conn.Azure.Subscriptions[0] + "/resourceGroups/rg-none/providers/Microsoft.Compute/virtualMachines/vm-gone"
		if i >= 0 {
			rid = e.Resources[i].ID
		}
		return cloud.MetricQuery{ID: id, Namespace: "Microsoft.Compute/virtualMachines", Metric: cloudsim.MetricAzureCPU, Stat: "Average",
			Dimensions: []cloud.Dimension{{Name: ResourceIDDimension, Value: rid}}, Period: 24 * time.Hour,
			Start: e.Now.Add(-14 * 24 * time.Hour), End: e.Now}
	}
	return []cloud.MetricQuery{q("idle", idle), q("busy", busy), q("stopped", stopped), q("missing", -1)}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	qs := b.metricQueries(t)
	net := qs[1]
	net.ID, net.Metric, net.Stat = "busy-net", cloudsim.MetricAzureNetOut, "Sum"
	// The waste rules name the resource by its inventory id (lower case)
	// and use Azure's aggregation names.
	rule := qs[0]
	rule.ID, rule.Metric, rule.Stat = "rule-net", cloudsim.MetricAzureNetOut, "Total"
	rule.Dimensions = []cloud.Dimension{{Name: "resource_id", Value: strings.ToLower(qs[0].Dimensions[0].Value)}}
	qs = append(qs, net, rule)
	res, err := b.p.QueryMetrics(t.Context(), b.conn, qs)
	require.NoError(t, err)
	require.Len(t, res, 6)
	require.Equal(t, cloud.MetricOK, res[5].Status, "%+v", res[5])
	require.Len(t, res[5].Points, 14)
	require.Equal(t, cloud.MetricOK, res[0].Status, "%+v", res[0])
	require.Len(t, res[0].Points, 14)
	for _, p := range res[0].Points {
		require.Less(t, p.Value, 2.0, "the idle VM is idle")
	}
	require.Equal(t, cloud.MetricOK, res[1].Status)
	for _, p := range res[1].Points {
		require.Greater(t, p.Value, 10.0, "the busy VM is busy")
	}
	require.True(t, res[1].Points[0].Time.Before(res[1].Points[1].Time), "oldest first")
	require.Equal(t, cloud.Unknown("stopped", cloud.ReasonNoData, res[2].Message), res[2],
		"a deallocated VM's grains carry no value: unknown, not zero")
	require.Equal(t, cloud.MetricUnknown, res[3].Status, "a resource that does not exist is unknown")
	require.Equal(t, cloud.MetricOK, res[4].Status, "two metrics of one VM share a call")
	require.Greater(t, res[4].Points[0].Value, 1e6, "daily sums of network bytes")
}

func TestMetricsUnknownReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  *cloudsim.Fault
		budget int
		mutate func(*cloud.MetricQuery)
		want   cloud.UnknownReason
	}{
		{name: "throttled", fault: &cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "monitor"}, want: cloud.ReasonThrottled},
		{name: "denied", fault: &cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "monitor"}, want: cloud.ReasonDenied},
		{name: "over budget", budget: -1, want: cloud.ReasonOverBudget},
		{name: "period Azure cannot aggregate to", mutate: func(q *cloud.MetricQuery) { q.Period = 7 * time.Minute }, want: cloud.ReasonFailed},
		{name: "no resource id", mutate: func(q *cloud.MetricQuery) { q.Dimensions = nil }, want: cloud.ReasonFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) {
				if tt.budget < 0 {
					o.cfg = func(c *Config) {
						c.Budget = cloud.NewMemoryBudget(0, valdrix.ClockFunc(func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }))
					}
				}
			})
			if tt.fault != nil {
				b.sim.Faults().Add(*tt.fault)
			}
			q := b.metricQueries(t)[0]
			if tt.mutate != nil {
				tt.mutate(&q)
			}
			res, err := b.p.QueryMetrics(t.Context(), b.conn, []cloud.MetricQuery{q})
			require.NoError(t, err)
			require.Len(t, res, 1)
			require.Equal(t, cloud.MetricUnknown, res[0].Status)
			require.Equal(t, tt.want, res[0].Reason, "%+v", res[0])
			require.Empty(t, res[0].Points, "unknown is never zero")
		})
	}
}

func TestMetricsBudgetCountsCalls(t *testing.T) {
	t.Parallel()
	budget := cloud.NewMemoryBudget(1, valdrix.ClockFunc(func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }))
	b := setup(t, func(o *setupOpts) { o.cfg = func(c *Config) { c.Budget = budget } })
	qs := b.metricQueries(t)[:2]
	cpu := qs[0]
	net := cpu
	net.ID, net.Metric = "idle-net", cloudsim.MetricAzureNetOut
	res, err := b.p.QueryMetrics(t.Context(), b.conn, []cloud.MetricQuery{cpu, net, qs[1]})
	require.NoError(t, err)
	require.Equal(t, 1, budget.Used(b.conn.TenantID, BudgetAPI))
	ok, over := 0, 0
	for _, r := range res {
		switch {
		case r.Status == cloud.MetricOK:
			ok++
		case r.Reason == cloud.ReasonOverBudget:
			over++
		}
	}
	require.Equal(t, 3, ok+over)
	require.Contains(t, []int{1, 2}, ok, "the two metrics of one VM share the one call the budget allows")
	require.Equal(t, res[0].Status, res[1].Status, "queries of one call share its fate")
}
