package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"golang.org/x/sync/errgroup"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// BudgetAPI is the budget key of Azure Monitor metrics calls.
const BudgetAPI = "azure:Microsoft.Insights/metrics"

// metricsAPIVersion is the Azure Monitor metrics API version.
const metricsAPIVersion = "2023-10-01"

// maxMetricNames is how many metrics one call may ask for.
const maxMetricNames = 20

// ResourceIDDimension is the query dimension naming the resource a metric
// belongs to (its ARM id; "resource_id", the waste rules' name, is read the
// same way). Other dimensions filter the metric's own dimensions.
const ResourceIDDimension = "ResourceId"

// grains are the intervals Azure Monitor aggregates to.
var grains = []struct {
	d    time.Duration
	name string
}{
	{time.Minute, "PT1M"}, {5 * time.Minute, "PT5M"}, {15 * time.Minute, "PT15M"}, {30 * time.Minute, "PT30M"},
	{time.Hour, "PT1H"}, {6 * time.Hour, "PT6H"}, {12 * time.Hour, "PT12H"}, {24 * time.Hour, "P1D"},
}

// aggregations maps cloud.MetricQuery statistics (the seam's names and
// Azure's own) to Azure aggregation names (and the JSON field of a data
// point).
var aggregations = map[string]string{"Average": "average", "Sum": "total", "Total": "total", "Maximum": "maximum", "Minimum": "minimum",
	"SampleCount": "count", "Count": "count"}

// metricCall is one Azure Monitor call: one resource, window, grain and
// aggregation, several metrics.
type metricCall struct {
	resource, filter string
	start, end       time.Time
	grain, agg       string
	idx              []int // query indices
}

// QueryMetrics implements cloud.Metrics with Azure Monitor's metrics API:
// queries of the same resource, window, period and statistic share a call
// (up to 20 metrics), each call first reserved from the tenant's daily
// budget. Time grains Azure Monitor returns without a value are missing
// data, not zero; throttled, denied, over-budget and empty results are
// unknown.
func (p *Provider) QueryMetrics(ctx context.Context, conn cloud.Connection, queries []cloud.MetricQuery) ([]cloud.MetricResult, error) {
	if _, err := p.connection(conn); err != nil {
		return nil, err
	}
	results := cloud.UnknownResults(queries, nil)
	if len(queries) == 0 {
		return results, nil
	}
	cred, err := p.signIn(ctx, conn)
	if err != nil {
		return cloud.UnknownResults(queries, err), nil
	}
	client, err := arm.NewClient("valdrix-monitor", "v1", cred, p.armOptions(conn.ID, "monitor"))
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Azure Monitor client")
	}
	calls := p.plan(queries, results)
	var mu sync.Mutex
	g := new(errgroup.Group)
	g.SetLimit(p.cfg.MetricConcurrency)
	for _, c := range calls {
		g.Go(func() error {
			if p.cfg.Budget != nil {
				granted, err := p.cfg.Budget.Reserve(ctx, conn.TenantID, BudgetAPI, 1)
				if err != nil || granted == 0 {
					mu.Lock()
					for _, i := range c.idx {
						results[i] = cloud.Unknown(queries[i].ID, cloud.ReasonOverBudget, "the tenant's daily Azure Monitor budget is spent")
					}
					mu.Unlock()
					return nil
				}
			}
			res := p.metricsCall(ctx, client, queries, c)
			mu.Lock()
			for k, i := range c.idx {
				results[i] = res[k]
			}
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return results, nil
}

// plan groups the queries into calls; queries that cannot be asked are
// answered unknown in results.
func (p *Provider) plan(queries []cloud.MetricQuery, results []cloud.MetricResult) []*metricCall {
	byKey := map[string]*metricCall{}
	var calls []*metricCall
	for i, q := range queries {
		var resource string
		var filters []string
		for _, d := range q.Dimensions {
			if strings.EqualFold(d.Name, ResourceIDDimension) || d.Name == "resource_id" {
				resource = d.Value
				continue
			}
			filters = append(filters, d.Name+" eq '"+strings.ReplaceAll(d.Value, "'", "''")+"'")
		}
		slices.Sort(filters)
		agg, ok := aggregations[q.Stat]
		grain := grainOf(q.Period)
		switch {
		case resource == "" || !strings.HasPrefix(strings.ToLower(resource), "/subscriptions/"):
			results[i] = cloud.Unknown(q.ID, cloud.ReasonFailed, "the query has no ResourceId dimension with the resource's ARM id")
			continue
		case !ok:
			results[i] = cloud.Unknown(q.ID, cloud.ReasonFailed, "Azure Monitor has no statistic "+q.Stat)
			continue
		case grain == "":
			results[i] = cloud.Unknown(q.ID, cloud.ReasonFailed, "Azure Monitor cannot aggregate to a period of "+q.Period.String())
			continue
		case !q.Start.Before(q.End):
			results[i] = cloud.Unknown(q.ID, cloud.ReasonNoData, "the window is empty")
			continue
		}
		filter := strings.Join(filters, " and ")
		key := strings.ToLower(resource) + "|" + filter + "|" + q.Start.UTC().String() + "|" + q.End.UTC().String() + "|" + grain + "|" + agg
		c := byKey[key]
		if c == nil || len(c.idx) == maxMetricNames {
			c = &metricCall{resource: resource, filter: filter, start: q.Start.UTC(), end: q.End.UTC(), grain: grain, agg: agg}
			byKey[key] = c
			calls = append(calls, c)
		}
		c.idx = append(c.idx, i)
	}
	return calls
}

func grainOf(d time.Duration) string {
	for _, g := range grains {
		if g.d == d {
			return g.name
		}
	}
	return ""
}

// metricsResponse is the part of the metrics API response the adapter
// reads.
type metricsResponse struct {
	Value []struct {
		Name struct {
			Value string `json:"value"`
		} `json:"name"`
		ErrorCode  string `json:"errorCode"`
		Timeseries []struct {
			Data []map[string]json.RawMessage `json:"data"`
		} `json:"timeseries"`
	} `json:"value"`
}

// metricsCall runs one call and returns a result per query of the call.
func (p *Provider) metricsCall(ctx context.Context, client *arm.Client, queries []cloud.MetricQuery, c *metricCall) []cloud.MetricResult {
	out := make([]cloud.MetricResult, len(c.idx))
	fail := func(err error) []cloud.MetricResult {
		for k, i := range c.idx {
			out[k] = cloud.UnknownFrom(queries[i].ID, err)
		}
		return out
	}
	names := make([]string, 0, len(c.idx))
	for _, i := range c.idx {
		if !slices.Contains(names, queries[i].Metric) {
			names = append(names, queries[i].Metric)
		}
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(client.Endpoint(), c.resource, "providers/Microsoft.Insights/metrics"))
	if err != nil {
		return fail(valdrix.Wrap(valdrix.EINVALID, err, "the resource id %q is not valid", c.resource))
	}
	qs := req.Raw().URL.Query()
	qs.Set("api-version", metricsAPIVersion)
	qs.Set("metricnames", strings.Join(names, ","))
	qs.Set("timespan", c.start.Format(time.RFC3339)+"/"+c.end.Format(time.RFC3339))
	qs.Set("interval", c.grain)
	qs.Set("aggregation", c.agg)
	if c.filter != "" {
		qs.Set("$filter", c.filter)
	}
	req.Raw().URL.RawQuery = strings.ReplaceAll(qs.Encode(), "+", "%20")
	resp, err := client.Pipeline().Do(req)
	if err == nil {
		defer resp.Body.Close()
		if !runtime.HasStatusCode(resp, http.StatusOK) {
			err = runtime.NewResponseError(resp)
		}
	}
	if err != nil {
		return fail(translate(err, actionMetricsRead, "read Azure Monitor metrics of "+c.resource))
	}
	var body metricsResponse
	if err := runtime.UnmarshalAsJSON(resp, &body); err != nil {
		return fail(valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Monitor returned a malformed response"))
	}
	for k, i := range c.idx {
		q := queries[i]
		var pts []cloud.MetricPoint
		for _, v := range body.Value {
			if !strings.EqualFold(v.Name.Value, q.Metric) {
				continue
			}
			for _, ts := range v.Timeseries {
				for _, d := range ts.Data {
					pt, ok, perr := point(d, c.agg)
					if perr != nil {
						return fail(valdrix.Wrap(valdrix.EUNAVAILABLE, perr, "Azure Monitor returned a malformed data point"))
					}
					if ok && !pt.Time.Before(q.Start) && pt.Time.Before(q.End) {
						pts = append(pts, pt)
					}
				}
			}
		}
		slices.SortFunc(pts, func(a, b cloud.MetricPoint) int { return a.Time.Compare(b.Time) })
		if len(pts) == 0 {
			out[k] = cloud.Unknown(q.ID, cloud.ReasonNoData, "Azure Monitor has no values for this metric in the window")
			continue
		}
		out[k] = cloud.MetricResult{ID: q.ID, Status: cloud.MetricOK, Points: pts}
	}
	return out
}

// point reads a data point; ok is false when the time grain has no value
// (Azure Monitor lists every grain, with the aggregation field only when
// there was data).
func point(d map[string]json.RawMessage, agg string) (cloud.MetricPoint, bool, error) {
	raw, ok := d[agg]
	if !ok || string(raw) == "null" {
		return cloud.MetricPoint{}, false, nil
	}
	var ts string
	if err := json.Unmarshal(d["timeStamp"], &ts); err != nil {
		return cloud.MetricPoint{}, false, fmt.Errorf("timeStamp: %w", err)
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return cloud.MetricPoint{}, false, fmt.Errorf("timeStamp %q: %w", ts, err)
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return cloud.MetricPoint{}, false, fmt.Errorf("%s: %w", agg, err)
	}
	return cloud.MetricPoint{Time: t.UTC(), Value: v}, true, nil
}
