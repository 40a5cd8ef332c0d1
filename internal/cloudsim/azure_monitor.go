package cloudsim

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// azureMetrics are the Azure Monitor metrics the simulator has series for,
// per resource kind, with their units.
var azureMetrics = map[Kind]map[string]string{
	AzureVirtualMachine: {MetricAzureCPU: "Percent", MetricAzureNetOut: "Bytes"},
}

// azureGrains are the ISO 8601 intervals the simulator answers (its series
// are hourly).
var azureGrains = map[string]time.Duration{"PT1H": time.Hour, "PT6H": 6 * time.Hour, "PT12H": 12 * time.Hour, "P1D": 24 * time.Hour}

// azureAggregations maps Azure Monitor aggregation names to MetricStat's.
var azureAggregations = map[string]string{"average": "Average", "total": "Sum", "maximum": "Maximum", "minimum": "Minimum", "count": "SampleCount"}

// serveMetrics answers GET {resourceId}/providers/Microsoft.Insights/metrics
// for a resource, and the subscription-scope form (which the simulator
// answers with no series).
func (a *azureServer) serveMetrics(q *azureReq) {
	e := a.s.estate
	scope := "/" + strings.Join(q.parts[:len(q.parts)-3], "/")
	sub := q.parts[1]
	qs := q.r.URL.Query()
	i, region, found := e.azureRegionOf(scope)
	if !found && len(q.parts) == 5 {
		region = qs.Get("region")
	}
	if a.azureFault(q, "monitor", region, "metrics", strings.ToLower(sub), "Microsoft.Insights/metrics/read", scope) {
		return
	}
	if !q.app.canRead(sub) {
		writeARMError(q.w, http.StatusForbidden, "AuthorizationFailed", azureDenied(q.client, "Microsoft.Insights/metrics/read", scope))
		return
	}
	timespan := qs.Get("timespan")
	startS, endS, ok := strings.Cut(timespan, "/")
	start, err1 := time.Parse(time.RFC3339, startS)
	end, err2 := time.Parse(time.RFC3339, endS)
	if !ok || err1 != nil || err2 != nil || !start.Before(end) {
		writeARMError(q.w, http.StatusBadRequest, "BadRequest", "Invalid timespan '"+timespan+"': want <start>/<end> in ISO 8601.")
		return
	}
	interval := strings.ToUpper(qs.Get("interval"))
	if interval == "" {
		interval = "PT1H"
	}
	grain, ok := azureGrains[interval]
	if !ok {
		writeARMError(q.w, http.StatusBadRequest, "BadRequest", "Interval '"+interval+"' is not supported by the cloud simulator (its series are hourly: PT1H, PT6H, PT12H or P1D).")
		return
	}
	resp := map[string]any{"cost": 0, "timespan": timespan, "interval": interval, "value": []any{}, "resourceregion": region}
	if len(q.parts) == 5 { // subscription scope
		resp["namespace"] = qs.Get("metricnamespace")
		writeAzureJSON(q.w, resp)
		return
	}
	if !found || e.Accounts[e.Cells[e.Resources[i].Cell].Account].ID != strings.ToLower(sub) {
		writeARMError(q.w, http.StatusNotFound, "ResourceNotFound", "The Resource '"+scope+"' was not found.")
		return
	}
	x := &e.Resources[i]
	known := azureMetrics[x.Kind]
	aggs := strings.Split(strings.ToLower(cmpOr(qs.Get("aggregation"), "average")), ",")
	for _, ag := range aggs {
		if _, ok := azureAggregations[strings.TrimSpace(ag)]; !ok {
			writeARMError(q.w, http.StatusBadRequest, "BadRequest", "Invalid aggregation '"+ag+"'.")
			return
		}
	}
	var values []any
	for _, name := range strings.Split(qs.Get("metricnames"), ",") {
		unit, ok := known[name]
		if !ok {
			valid := make([]string, 0, len(known))
			for k := range known {
				valid = append(valid, k)
			}
			slices.Sort(valid)
			writeARMError(q.w, http.StatusBadRequest, "BadRequest", "Failed to find metric configuration for provider: "+
				strings.SplitN(armTypes[x.Kind], "/", 2)[0]+", resource type: "+armTypes[x.Kind]+", metric: "+name+", valid metrics: "+strings.Join(valid, ","))
			return
		}
		byStat := map[string]map[int64]float64{}
		for _, ag := range aggs {
			ag = strings.TrimSpace(ag)
			ts, vs := e.MetricStat(i, name, azureAggregations[ag], start, end, grain)
			m := make(map[int64]float64, len(ts))
			for k, t := range ts {
				m[t.Unix()] = vs[k]
			}
			byStat[ag] = m
		}
		var data []map[string]any
		for t := start.UTC().Truncate(time.Hour); t.Before(end); t = t.Add(grain) {
			pt := map[string]any{"timeStamp": t.Format(time.RFC3339)}
			for ag, m := range byStat {
				if v, ok := m[t.Unix()]; ok {
					pt[ag] = v
				}
			}
			data = append(data, pt)
		}
		values = append(values, map[string]any{
			"id": scope + "/providers/Microsoft.Insights/metrics/" + name, "type": "Microsoft.Insights/metrics",
			"name": map[string]string{"value": name, "localizedValue": name}, "unit": unit, "errorCode": "Success",
			"timeseries": []map[string]any{{"metadatavalues": []any{}, "data": data}},
		})
	}
	resp["value"], resp["namespace"] = values, azureNamespace(x.Kind)
	writeAzureJSON(q.w, resp)
}

// azureNamespace returns the metric namespace of a kind, as ARM spells it.
func azureNamespace(k Kind) string {
	switch k {
	case AzureVirtualMachine:
		return "Microsoft.Compute/virtualMachines"
	}
	return armTypes[k]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// azureAccountOfSub returns the estate index of Azure subscription sub.
func (e *Estate) azureAccountOfSub(sub string) (int, bool) {
	return e.Account(valdrix.Azure, strings.ToLower(sub))
}
