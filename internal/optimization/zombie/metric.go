package zombie

import (
	"cmp"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
)

// MetricSpec is a metric window a rule asks for. The engine turns it into a
// cloud.MetricQuery over the Days whole days before the start of today
// (UTC) in the subject's region.
type MetricSpec struct {
	// Key is the rule's name for the window ("cpu", "net").
	Key        string
	Namespace  string // "AWS/EC2", "Microsoft.Compute/virtualMachines", "compute.googleapis.com"
	Metric     string
	Dimensions []cloud.Dimension
	Stat       string        // "Average", "Sum", "Maximum", …
	Period     time.Duration // default one day
	Days       int
}

// Range returns the spec's [start, end) at time now: whole UTC days ending
// at the start of now's day.
func (m MetricSpec) Range(now time.Time) (start, end time.Time) {
	end = now.UTC().Truncate(24 * time.Hour)
	return end.AddDate(0, 0, -m.Days), end
}

// Query returns the spec as a query with id, for a resource in region.
func (m MetricSpec) Query(id, region string, now time.Time) cloud.MetricQuery {
	start, end := m.Range(now)
	return cloud.MetricQuery{ID: id, Region: region, Namespace: m.Namespace, Metric: m.Metric, Dimensions: m.Dimensions,
		Stat: m.Stat, Period: cmp.Or(m.Period, 24*time.Hour), Start: start, End: end}
}

// MetricWindow is a fetched metric window: points, or unknown with a reason.
// It is kept as evidence.
type MetricWindow struct {
	Key        string              `json:"key"`
	Namespace  string              `json:"namespace"`
	Metric     string              `json:"metric"`
	Dimensions []cloud.Dimension   `json:"dimensions,omitempty"`
	Stat       string              `json:"stat"`
	PeriodSec  int64               `json:"period_seconds"`
	Start      time.Time           `json:"start"`
	End        time.Time           `json:"end"`
	Status     cloud.MetricStatus  `json:"status"`
	Reason     cloud.UnknownReason `json:"reason,omitempty"`
	Message    string              `json:"message,omitempty"`
	Points     []cloud.MetricPoint `json:"points,omitempty"`
}

// WindowOf builds the window for spec from a query result.
func WindowOf(spec MetricSpec, q cloud.MetricQuery, res cloud.MetricResult) MetricWindow {
	w := MetricWindow{Key: spec.Key, Namespace: q.Namespace, Metric: q.Metric, Dimensions: q.Dimensions, Stat: q.Stat,
		PeriodSec: int64(q.Period / time.Second), Start: q.Start, End: q.End, Status: res.Status, Reason: res.Reason,
		Message: res.Message, Points: res.Points}
	if w.Status == cloud.MetricOK && len(w.Points) == 0 {
		w.Status, w.Reason, w.Message = cloud.MetricUnknown, cloud.ReasonNoData, "the result has no datapoints"
	}
	if w.Status == "" {
		w.Status, w.Reason = cloud.MetricUnknown, cloud.ReasonFailed
	}
	return w
}

// Mean returns the mean of the points.
func (w MetricWindow) Mean() float64 {
	if len(w.Points) == 0 {
		return 0
	}
	return w.Sum() / float64(len(w.Points))
}

// Sum returns the sum of the points.
func (w MetricWindow) Sum() float64 {
	var s float64
	for _, p := range w.Points {
		s += p.Value
	}
	return s
}

// Max returns the largest point.
func (w MetricWindow) Max() float64 {
	var m float64
	for i, p := range w.Points {
		if i == 0 || p.Value > m {
			m = p.Value
		}
	}
	return m
}

// Days returns the number of whole days the window spans.
func (w MetricWindow) Days() int { return int(w.End.Sub(w.Start).Hours() / 24) }
