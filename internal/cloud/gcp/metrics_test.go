package gcp

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// instanceQuery asks for a metric of instance i (or of an instance that
// does not exist when i < 0).
func (b testBundle) instanceQuery(id string, i int, metric, stat string) cloud.MetricQuery {
	e := b.estate
	project, zone, name := b.conn.GCP.Projects[0], "us-central1-a", "vm-gone"
	if i >= 0 {
		parts := strings.Split(e.Resources[i].ID, "/") // projects/p/zones/z/instances/n
		project, zone, name = parts[1], parts[3], parts[5]
	}
	return cloud.MetricQuery{ID: id, Metric: metric, Stat: stat, Period: 24 * time.Hour, Start: e.Now.Add(-14 * 24 * time.Hour), End: e.Now,
		Dimensions: []cloud.Dimension{{Name: ProjectDimension, Value: project}, {Name: "resource.labels.zone", Value: zone}, {Name: "metric.labels.instance_name", Value: name}}}
}

// metricQueries returns CPU queries for an idle instance, a busy one, a
// terminated one (no data) and one that does not exist.
func (b testBundle) metricQueries(t *testing.T) []cloud.MetricQuery {
	t.Helper()
	e := b.estate
	idle, busy, stopped := -1, -1, -1
	for _, a := range b.accts {
		for _, ci := range e.Accounts[a].Cells {
			lo, hi := e.Cells[ci].Span(cloudsim.GCPInstance)
			for i := lo; i < hi; i++ {
				x := &e.Resources[i]
				old := e.Now.Sub(e.CreatedAt(i)) > 20*24*time.Hour
				switch {
				case x.State == "TERMINATED" && stopped < 0 && e.Now.Sub(e.ChangedAt(i)) > 20*24*time.Hour:
					stopped = i
				case x.State == "RUNNING" && x.Profile == cloudsim.ProfileIdle && idle < 0 && old:
					idle = i
				case x.State == "RUNNING" && x.Profile == cloudsim.ProfileBusy && busy < 0 && old:
					busy = i
				}
			}
		}
	}
	require.True(t, idle >= 0 && busy >= 0, "the estate has idle and busy instances")
	qs := []cloud.MetricQuery{
		b.instanceQuery("idle", idle, cloudsim.MetricGCPCPU, "Average"), b.instanceQuery("busy", busy, cloudsim.MetricGCPCPU, "Average"),
		b.instanceQuery("missing", -1, cloudsim.MetricGCPCPU, "Average"),
	}
	if stopped >= 0 {
		qs = append(qs, b.instanceQuery("stopped", stopped, cloudsim.MetricGCPCPU, "Average"))
	}
	return qs
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t)
	qs := b.metricQueries(t)
	net := qs[1]
	net.ID, net.Metric, net.Stat = "busy-net", cloudsim.MetricGCPNetOut, "Sum"
	sql := -1
	for i := range b.estate.Resources {
		if x := &b.estate.Resources[i]; x.Kind == cloudsim.GCPSQLInstance && x.Profile == cloudsim.ProfileIdle && b.estate.AccountOf(i).ID == b.conn.GCP.Projects[0] {
			sql = i
			break
		}
	}
	require.GreaterOrEqual(t, sql, 0)
	conns := cloud.MetricQuery{ID: "sql-idle", Metric: cloudsim.MetricGCPSQLConns, Stat: "Maximum", Period: 24 * time.Hour,
		Start: b.estate.Now.Add(-7 * 24 * time.Hour), End: b.estate.Now,
		Dimensions: []cloud.Dimension{{Name: DatabaseDimension, Value: b.conn.GCP.Projects[0] + ":" + b.estate.Resources[sql].Name}}}
	ambiguous := qs[0]
	ambiguous.ID, ambiguous.Dimensions = "ambiguous", ambiguous.Dimensions[:1]
	// The waste rules name the resource by its inventory id.
	ruleVM := qs[0]
	ruleVM.ID, ruleVM.Dimensions = "rule-vm", []cloud.Dimension{{Name: ResourceDimension, Value: b.estate.Resources[idleIndex(t, b)].ID}}
	ruleSQL := conns
	ruleSQL.ID, ruleSQL.Dimensions = "rule-sql", []cloud.Dimension{{Name: ResourceDimension, Value: b.estate.Resources[sql].ID}}
	ruleDisk := qs[0]
	ruleDisk.ID, ruleDisk.Dimensions = "rule-disk", []cloud.Dimension{{Name: ResourceDimension, Value: "projects/p/zones/z/disks/d"}}
	qs = append(qs, net, conns, ambiguous, ruleVM, ruleSQL, ruleDisk)
	res, err := b.p.QueryMetrics(t.Context(), b.conn, qs)
	require.NoError(t, err)
	require.Len(t, res, len(qs))
	byID := map[string]cloud.MetricResult{}
	for i, r := range res {
		require.Equal(t, qs[i].ID, r.ID, "results are in query order")
		byID[r.ID] = r
	}
	require.Equal(t, cloud.MetricOK, byID["idle"].Status, "%+v", byID["idle"])
	require.Len(t, byID["idle"].Points, 14)
	for _, p := range byID["idle"].Points {
		require.Less(t, p.Value, 0.02, "the idle instance is idle (utilization is a fraction)")
	}
	require.True(t, byID["idle"].Points[0].Time.Equal(qs[0].Start), "a point is stamped with the start of its period")
	for _, p := range byID["busy"].Points {
		require.Greater(t, p.Value, 0.1, "the busy instance is busy")
	}
	require.Equal(t, cloud.Unknown("missing", cloud.ReasonNoData, byID["missing"].Message), byID["missing"], "no series is unknown, not zero")
	if r, ok := byID["stopped"]; ok {
		require.Equal(t, cloud.MetricUnknown, r.Status, "a terminated instance has no points")
	}
	require.Equal(t, cloud.MetricOK, byID["busy-net"].Status)
	require.Equal(t, cloud.MetricOK, byID["sql-idle"].Status, "%+v", byID["sql-idle"])
	for _, p := range byID["sql-idle"].Points {
		require.Zero(t, p.Value, "an idle database has no connections: an observed zero")
	}
	require.Equal(t, cloud.ReasonFailed, byID["ambiguous"].Reason, "dimensions that match many series are not one resource's value")
	require.Equal(t, byID["idle"].Points, byID["rule-vm"].Points, "an inventory id names the same series")
	require.Equal(t, byID["sql-idle"].Points, byID["rule-sql"].Points)
	require.Equal(t, cloud.ReasonFailed, byID["rule-disk"].Reason)
}

func TestMetricsUnknownReasons(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		fault  *cloudsim.Fault
		budget bool
		mutate func(*cloud.MetricQuery)
		want   cloud.UnknownReason
	}{
		{name: "throttled", fault: &cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "monitoring"}, want: cloud.ReasonThrottled},
		{name: "denied", fault: &cloudsim.Fault{Kind: cloudsim.FaultDeny, Service: "monitoring"}, want: cloud.ReasonDenied},
		{name: "over budget", budget: true, want: cloud.ReasonOverBudget},
		{name: "project of another connection", mutate: func(q *cloud.MetricQuery) { q.Dimensions[0].Value = "other-project-1" }, want: cloud.ReasonFailed},
		{name: "unknown statistic", mutate: func(q *cloud.MetricQuery) { q.Stat = "p99" }, want: cloud.ReasonFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) {
				o.resources = 300
				if tt.budget {
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

// idleIndex returns the estate index of the instance metricQueries calls
// idle.
func idleIndex(t *testing.T, b testBundle) int {
	t.Helper()
	q := b.metricQueries(t)[0]
	for i := range b.estate.Resources {
		x := &b.estate.Resources[i]
		if x.Kind == cloudsim.GCPInstance && strings.HasSuffix(x.ID, "/instances/"+q.Dimensions[2].Value) && strings.Contains(x.ID, "/zones/"+q.Dimensions[1].Value+"/") {
			return i
		}
	}
	t.Fatal("no idle instance")
	return -1
}
