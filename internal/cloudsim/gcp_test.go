package cloudsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestGCPBillingRowsMatchEstate(t *testing.T) {
	t.Parallel()
	e := Generate(EstateConfig{Seed: 9, Resources: 600, Mix: map[valdrix.Provider]float64{valdrix.GCP: 1}})
	m := valdrix.NewMonth(2026, 10)
	byResource := map[string]valdrix.Decimal{}
	credits := map[string]valdrix.Decimal{}
	n := 0
	e.gcpBillingRows(m.Start(), m.End(), func(r *gcpBillingRow) {
		n++
		require.Equal(t, m, r.day.Month())
		require.Equal(t, r.day+1, r.partition(), "rows land in the next day's partition")
		byResource[r.globalName], _ = byResource[r.globalName].Add(r.cost)
		for _, c := range r.credits {
			require.Negative(t, int64(c.amount), "credits are negative")
			credits[r.globalName], _ = credits[r.globalName].Add(c.amount)
		}
	})
	require.Positive(t, n)
	hours := int64(m.Days() * 24)
	checked := 0
	for i := range e.Resources {
		x := &e.Resources[i]
		if x.Created >= m.Start().Time().Unix() || x.Changed != 0 {
			continue
		}
		hourly, _ := e.HourlyRate(i).MulRatio(hours, 1)
		storage, _ := e.StorageMonthly(i).MulRatio(hours, hoursPerMonth)
		want, _ := hourly.Add(storage)
		got := byResource[e.BillingID(i)]
		diff, _ := got.Sub(want)
		require.LessOrEqual(t, abs(int64(diff)), int64(2*m.Days()), "%s %s: got %s, want %s", x.Kind, e.BillingID(i), got, want)
		checked++
	}
	require.Positive(t, checked)
	require.NotEmpty(t, credits, "committed use discounts credit covered instances")
}

func TestParseMonitoringFilter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter string
		want   map[string]string
		ok     bool
	}{
		{name: "instance", filter: `metric.type = "compute.googleapis.com/instance/cpu/utilization" AND metric.labels.instance_name = "vm-1"`, ok: true,
			want: map[string]string{"metric.type": MetricGCPCPU, "metric.labels.instance_name": "vm-1"}},
		{name: "no metric type", filter: `resource.labels.zone = "us-central1-a"`},
		{name: "unquoted", filter: `metric.type = cpu`},
		{name: "other operator", filter: `metric.type = "x" AND metric.labels.instance_name != "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := parseMonitoringFilter(tt.filter)
			require.Equal(t, tt.ok, ok)
			if tt.ok {
				require.Equal(t, tt.want, got)
			}
		})
	}
}

func TestBigQueryRequiresPartitionFilter(t *testing.T) {
	t.Parallel()
	s, err := New(Config{EstateConfig: EstateConfig{Seed: 3, Resources: 200, Mix: map[valdrix.Provider]float64{valdrix.GCP: 1}}})
	require.NoError(t, err)
	g := s.gcp
	table := s.GCPBillingTable()
	_, msg, _ := g.runQuery(s.GCPBillingProject(), "cost", table, []bqCond{{col: "usage_start_time", op: ">=", t: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)}})
	require.Contains(t, msg, "without a filter over column(s)")
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	job, msg, _ := g.runQuery(s.GCPBillingProject(), "cost, usage_start_time", table, []bqCond{
		{col: "_partitiontime", op: ">=", t: oct}, {col: "_partitiontime", op: "<", t: oct.AddDate(0, 1, 7)},
		{col: "usage_start_time", op: ">=", t: oct}, {col: "usage_start_time", op: "<", t: oct.AddDate(0, 1, 0)},
	})
	require.Empty(t, msg)
	require.Len(t, job.schema, 2)
	want := 0
	s.estate.gcpBillingRows(valdrix.NewMonth(2026, 10).Start(), valdrix.NewMonth(2026, 11).Start(), func(*gcpBillingRow) { want++ })
	require.Len(t, job.rows, want)
	_, msg, code := g.runQuery(s.GCPBillingProject(), "cost", s.GCPBillingProject()+".other.table", []bqCond{{col: "_partitiontime", op: ">=", t: oct}})
	require.Equal(t, 404, code, msg)
}
