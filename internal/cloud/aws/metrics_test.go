package aws

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// metricQueries returns CPU queries for an idle instance, a busy one, a
// stopped one (no data) and one that does not exist.
func (b testBundle) metricQueries(t *testing.T) []cloud.MetricQuery {
	t.Helper()
	e := b.estate
	idle, busy, stopped := -1, -1, -1
	for _, ci := range e.Accounts[b.acct].Cells {
		lo, hi := e.Cells[ci].Span(cloudsim.AWSInstance)
		for i := lo; i < hi; i++ {
			x := &e.Resources[i]
			switch {
			case x.State == "stopped" && stopped < 0 && x.Flags&cloudsim.FlagNearMiss == 0:
				stopped = i
			case x.State == "running" && x.Profile == cloudsim.ProfileIdle && idle < 0:
				idle = i
			case x.State == "running" && x.Profile == cloudsim.ProfileBusy && busy < 0 && e.Now.Sub(e.CreatedAt(i)) > 20*24*time.Hour:
				busy = i
			}
		}
	}
	require.True(t, idle >= 0 && busy >= 0 && stopped >= 0)
	q := func(id string, i int) cloud.MetricQuery {
		region, inst := "us-east-1", "i-0000000000000dead"
		if i >= 0 {
			region, inst = e.CellOfResource(i).Region, e.Resources[i].ID
		}
		return cloud.MetricQuery{ID: id, Region: region, Namespace: "AWS/EC2", Metric: "CPUUtilization", Stat: "Average",
			Dimensions: []cloud.Dimension{{Name: "InstanceId", Value: inst}}, Period: 24 * time.Hour,
			Start: e.Now.Add(-14 * 24 * time.Hour), End: e.Now}
	}
	return []cloud.MetricQuery{q("idle", idle), q("busy", busy), q("stopped", stopped), q("missing", -1)}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	qs := b.metricQueries(t)
	res, err := b.p.QueryMetrics(t.Context(), b.conn, qs)
	require.NoError(t, err)
	require.Len(t, res, 4)
	require.Equal(t, cloud.MetricOK, res[0].Status)
	require.Len(t, res[0].Points, 14)
	for _, p := range res[0].Points {
		require.Less(t, p.Value, 2.0, "the idle instance is idle")
	}
	require.Equal(t, cloud.MetricOK, res[1].Status)
	for _, p := range res[1].Points {
		require.Greater(t, p.Value, 10.0, "the busy instance is busy")
	}
	require.True(t, res[1].Points[0].Time.Before(res[1].Points[1].Time), "oldest first")
	require.Equal(t, cloud.Unknown("missing", cloud.ReasonNoData, res[3].Message), res[3], "no datapoints is unknown, not zero")
	require.Equal(t, cloud.MetricUnknown, res[2].Status)
}

func TestMetricsUnknownReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  *cloudsim.Fault
		budget int
		want   cloud.UnknownReason
	}{
		{name: "throttled", fault: &cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "monitoring"}, want: cloud.ReasonThrottled},
		{name: "denied", fault: &cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "monitoring"}, want: cloud.ReasonDenied},
		{name: "over budget", budget: -1, want: cloud.ReasonOverBudget},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) {
				if tt.budget != 0 {
					o.cfg = func(c *Config) { c.Budget = cloud.NewMemoryBudget(0, c.Clock) }
				}
			})
			if tt.fault != nil {
				b.sim.Faults().Add(*tt.fault)
			}
			res, err := b.p.QueryMetrics(t.Context(), b.conn, b.metricQueries(t))
			require.NoError(t, err)
			for _, r := range res {
				require.Equal(t, cloud.MetricUnknown, r.Status)
				require.Equal(t, tt.want, r.Reason)
				require.Empty(t, r.Points)
			}
		})
	}
}

func TestMetricsBatchesAndBudget(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *setupOpts) {
		o.cfg = func(c *Config) { c.Budget = cloud.NewMemoryBudget(2, c.Clock) }
	})
	base := b.metricQueries(t)[0]
	qs := make([]cloud.MetricQuery, 1200) // 3 calls of ≤500; the budget allows 2
	for i := range qs {
		qs[i] = base
		qs[i].ID = "q" + time.Duration(i).String()
	}
	res, err := b.p.QueryMetrics(t.Context(), b.conn, qs)
	require.NoError(t, err)
	ok, over := 0, 0
	for _, r := range res {
		switch {
		case r.Status == cloud.MetricOK:
			ok++
		case r.Reason == cloud.ReasonOverBudget:
			over++
		}
	}
	require.Equal(t, 1000, ok)
	require.Equal(t, 200, over)
	require.Equal(t, 2, b.p.cfg.Budget.(*cloud.MemoryBudget).Used("tenant-1", BudgetAPI))
	_ = valdrix.AWS
}
