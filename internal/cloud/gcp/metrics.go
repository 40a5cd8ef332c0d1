package gcp

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	monitoring "google.golang.org/api/monitoring/v3"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// BudgetAPI is the budget key of Cloud Monitoring timeSeries.list calls.
const BudgetAPI = "gcp:monitoring.timeSeries.list"

// Dimensions with a meaning of their own: the project a query reads (the
// monitored resource's project_id label), or a Cloud SQL database id
// ("project:instance") that names it too. Every dimension becomes a
// `name = "value"` term of the filter, but for ResourceDimension, the
// inventory id of an instance or Cloud SQL instance, which becomes the
// labels that pick its series.
const (
	ProjectDimension  = "resource.labels.project_id"
	DatabaseDimension = "resource.labels.database_id"
	ResourceDimension = "resource_id"
)

// resourceLabels turns an inventory id into the monitored resource's
// labels: "projects/p/zones/z/instances/n" (gce_instance) or
// "projects/p/instances/n" (cloudsql_database).
func resourceLabels(id string) ([]cloud.Dimension, bool) {
	parts := strings.Split(id, "/")
	switch {
	case len(parts) == 6 && parts[0] == "projects" && parts[2] == "zones" && parts[4] == "instances":
		return []cloud.Dimension{{Name: ProjectDimension, Value: parts[1]}, {Name: "resource.labels.zone", Value: parts[3]},
			{Name: "metric.labels.instance_name", Value: parts[5]}}, true
	case len(parts) == 4 && parts[0] == "projects" && parts[2] == "instances":
		return []cloud.Dimension{{Name: DatabaseDimension, Value: parts[1] + ":" + parts[3]}}, true
	}
	return nil, false
}

// aligners maps cloud.MetricQuery statistics to Cloud Monitoring aligners.
var aligners = map[string]string{"Average": "ALIGN_MEAN", "Sum": "ALIGN_SUM", "Total": "ALIGN_SUM", "Maximum": "ALIGN_MAX", "Minimum": "ALIGN_MIN",
	"SampleCount": "ALIGN_COUNT", "Count": "ALIGN_COUNT"}

// QueryMetrics implements cloud.Metrics with Cloud Monitoring's
// timeSeries.list: one call per query (its dimensions form the filter,
// its period and statistic the alignment), each reserved from the
// tenant's daily budget. Periods without points are missing, not zero;
// throttled, denied, over-budget and empty results are unknown.
func (p *Provider) QueryMetrics(ctx context.Context, conn cloud.Connection, queries []cloud.MetricQuery) ([]cloud.MetricResult, error) {
	g, err := p.connection(conn)
	if err != nil {
		return nil, err
	}
	results := cloud.UnknownResults(queries, nil)
	if len(queries) == 0 {
		return results, nil
	}
	s, err := p.signIn(ctx, conn)
	if err != nil {
		return cloud.UnknownResults(queries, err), nil
	}
	svc, err := monitoring.NewService(ctx, p.options(ctx, s, "monitoring", "/")...)
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Cloud Monitoring client")
	}
	var mu sync.Mutex
	eg := new(errgroup.Group)
	eg.SetLimit(p.cfg.MetricConcurrency)
	for i, q := range queries {
		eg.Go(func() error {
			r := p.metricQuery(ctx, svc, conn, g, q)
			mu.Lock()
			results[i] = r
			mu.Unlock()
			return nil
		})
	}
	_ = eg.Wait()
	return results, nil
}

// query answers one query.
func (p *Provider) metricQuery(ctx context.Context, svc *monitoring.Service, conn cloud.Connection, g *cloud.GCPConnection, q cloud.MetricQuery) cloud.MetricResult {
	aligner, ok := aligners[q.Stat]
	switch {
	case !ok:
		return cloud.Unknown(q.ID, cloud.ReasonFailed, "Cloud Monitoring has no statistic "+q.Stat)
	case q.Period < time.Minute || q.Period%time.Second != 0:
		return cloud.Unknown(q.ID, cloud.ReasonFailed, "Cloud Monitoring cannot align to a period of "+q.Period.String())
	case !q.Start.Before(q.End):
		return cloud.Unknown(q.ID, cloud.ReasonNoData, "the window is empty")
	}
	project := ""
	terms := []string{fmt.Sprintf("metric.type = %q", q.Metric)}
	var dims []cloud.Dimension
	for _, d := range q.Dimensions {
		if d.Name != ResourceDimension {
			dims = append(dims, d)
			continue
		}
		labels, ok := resourceLabels(d.Value)
		if !ok {
			return cloud.Unknown(q.ID, cloud.ReasonFailed, "Cloud Monitoring series of "+d.Value+" cannot be named (only instances and Cloud SQL instances)")
		}
		dims = append(dims, labels...)
	}
	slices.SortFunc(dims, func(a, b cloud.Dimension) int { return strings.Compare(a.Name, b.Name) })
	for _, d := range dims {
		if strings.ContainsAny(d.Name, " \"=") {
			return cloud.Unknown(q.ID, cloud.ReasonFailed, "dimension "+d.Name+" is not a label name")
		}
		terms = append(terms, fmt.Sprintf("%s = %q", d.Name, d.Value))
		switch d.Name {
		case ProjectDimension:
			project = d.Value
		case DatabaseDimension:
			if project == "" {
				project, _, _ = strings.Cut(d.Value, ":")
			}
		}
	}
	if !slices.Contains(g.Projects, project) {
		return cloud.Unknown(q.ID, cloud.ReasonFailed, "the query names no project of the connection (dimension "+ProjectDimension+")")
	}
	if p.cfg.Budget != nil {
		granted, err := p.cfg.Budget.Reserve(ctx, conn.TenantID, BudgetAPI, 1)
		if err != nil || granted == 0 {
			return cloud.Unknown(q.ID, cloud.ReasonOverBudget, "the tenant's daily Cloud Monitoring budget is spent")
		}
	}
	var pts []cloud.MetricPoint
	series := 0
	call := svc.Projects.TimeSeries.List("projects/" + project).Filter(strings.Join(terms, " AND ")).
		IntervalStartTime(q.Start.UTC().Format(time.RFC3339)).IntervalEndTime(q.End.UTC().Format(time.RFC3339)).
		AggregationAlignmentPeriod(strconv.FormatInt(int64(q.Period/time.Second), 10) + "s").AggregationPerSeriesAligner(aligner).View("FULL")
	err := call.Pages(ctx, func(page *monitoring.ListTimeSeriesResponse) error {
		for _, ts := range page.TimeSeries {
			series++
			for _, pt := range ts.Points {
				mp, ok := point(pt, q.Period)
				if ok && !mp.Time.Before(q.Start) && mp.Time.Before(q.End) {
					pts = append(pts, mp)
				}
			}
		}
		return nil
	})
	if err != nil {
		return cloud.UnknownFrom(q.ID, translate(err, "monitoring.timeSeries.list", "read Cloud Monitoring metrics in project "+project))
	}
	if series > 1 {
		return cloud.Unknown(q.ID, cloud.ReasonFailed, fmt.Sprintf("the dimensions match %d time series, not one resource", series))
	}
	slices.SortFunc(pts, func(a, b cloud.MetricPoint) int { return a.Time.Compare(b.Time) })
	if len(pts) == 0 {
		return cloud.Unknown(q.ID, cloud.ReasonNoData, "Cloud Monitoring has no points for this metric in the window")
	}
	return cloud.MetricResult{ID: q.ID, Status: cloud.MetricOK, Points: pts}
}

// point reads an aligned point; its time is the start of its alignment
// period (Cloud Monitoring stamps aligned points at the period's end).
func point(pt *monitoring.Point, period time.Duration) (cloud.MetricPoint, bool) {
	if pt == nil || pt.Interval == nil || pt.Value == nil {
		return cloud.MetricPoint{}, false
	}
	end, err := time.Parse(time.RFC3339Nano, pt.Interval.EndTime)
	if err != nil {
		return cloud.MetricPoint{}, false
	}
	var v float64
	switch {
	case pt.Value.DoubleValue != nil:
		v = *pt.Value.DoubleValue
	case pt.Value.Int64Value != nil:
		v = float64(*pt.Value.Int64Value)
	default:
		return cloud.MetricPoint{}, false
	}
	return cloud.MetricPoint{Time: end.Add(-period).UTC(), Value: v}, true
}
