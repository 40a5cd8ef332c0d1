package cloudsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// gcpMetrics are the Cloud Monitoring metrics the simulator has series
// for: monitored resource type, metric kind and value type.
var gcpMetrics = map[string]struct {
	resource, kind, value string
	k                     Kind
}{
	MetricGCPCPU:      {"gce_instance", "GAUGE", "DOUBLE", GCPInstance},
	MetricGCPNetOut:   {"gce_instance", "DELTA", "INT64", GCPInstance},
	MetricGCPSQLConns: {"cloudsql_database", "GAUGE", "INT64", GCPSQLInstance},
}

var gcpAligners = map[string]string{"ALIGN_MEAN": "Average", "ALIGN_SUM": "Sum", "ALIGN_MAX": "Maximum", "ALIGN_MIN": "Minimum", "ALIGN_COUNT": "SampleCount"}

// parseMonitoringFilter parses `key = "value" AND key = "value"`, the
// filter form the simulator supports.
func parseMonitoringFilter(f string) (map[string]string, bool) {
	out := map[string]string{}
	for _, term := range strings.Split(f, " AND ") {
		k, v, ok := strings.Cut(term, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyz_.") != "" {
			return nil, false
		}
		uq, err := strconv.Unquote(v)
		if err != nil {
			return nil, false
		}
		out[k] = uq
	}
	return out, out["metric.type"] != ""
}

// serveMonitoring answers projects.timeSeries.list:
//
//	GET /v3/projects/{project}/timeSeries?filter=…&interval.startTime=…&interval.endTime=…&aggregation.alignmentPeriod=3600s&aggregation.perSeriesAligner=ALIGN_MEAN
//
// Points are newest first; periods without data have no point.
func (g *gcpServer) serveMonitoring(q *gcpReq) {
	p := q.parts
	if q.r.Method != http.MethodGet || len(p) != 4 || p[0] != "v3" || p[1] != "projects" || p[3] != "timeSeries" {
		writeGCPError(q.w, http.StatusNotFound, "NOT_FOUND", "The cloud simulator does not serve "+q.r.URL.Path+" (it serves timeSeries.list).", nil)
		return
	}
	project := p[2]
	qs := q.r.URL.Query()
	filter, ok := parseMonitoringFilter(qs.Get("filter"))
	region := regionOfZone(filter["resource.labels.zone"])
	if r := filter["resource.labels.region"]; r != "" {
		region = r
	}
	const perm = "monitoring.timeSeries.list"
	if g.gcpFault(q, region, "ListTimeSeries", project, perm) {
		return
	}
	ai, allowed := g.checkProject(q, project, perm)
	if !allowed {
		return
	}
	if !ok {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", "The cloud simulator supports filters of the form metric.type = \"…\" AND key = \"value\"; got: "+qs.Get("filter"), nil)
		return
	}
	m, known := gcpMetrics[filter["metric.type"]]
	if !known {
		writeGCPJSON(q.w, map[string]any{"unit": ""})
		return
	}
	start, err1 := time.Parse(time.RFC3339Nano, qs.Get("interval.startTime"))
	end, err2 := time.Parse(time.RFC3339Nano, qs.Get("interval.endTime"))
	if err1 != nil || err2 != nil || !start.Before(end) {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", "interval.startTime and interval.endTime must be RFC 3339 times, start before end.", nil)
		return
	}
	period, stat := time.Hour, "Average"
	if ap := qs.Get("aggregation.alignmentPeriod"); ap != "" {
		secs, err := strconv.ParseFloat(strings.TrimSuffix(ap, "s"), 64)
		if err != nil || secs < 3600 || int64(secs)%3600 != 0 {
			writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", "The cloud simulator's series are hourly: aggregation.alignmentPeriod must be a multiple of 3600s, got "+ap+".", nil)
			return
		}
		period = time.Duration(secs) * time.Second
	}
	if al := qs.Get("aggregation.perSeriesAligner"); al != "" {
		s, ok := gcpAligners[al]
		if !ok {
			writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", "The cloud simulator does not support the aligner "+al+".", nil)
			return
		}
		stat = s
	}
	if rt := filter["resource.type"]; rt != "" && rt != m.resource {
		writeGCPJSON(q.w, map[string]any{"unit": ""})
		return
	}
	e := g.s.estate
	var series []map[string]any
	for _, ci := range e.Accounts[ai].Cells {
		c := &e.Cells[ci]
		lo, hi := c.Span(m.k)
		for i := lo; i < hi; i++ {
			x := &e.Resources[i]
			labels := map[string]string{"project_id": project}
			metricLabels := map[string]string{}
			if m.k == GCPInstance {
				labels["instance_id"], labels["zone"] = e.numericID(i), zoneName(c.Region, x.Zone)
				metricLabels["instance_name"] = x.Name
			} else {
				labels["database_id"], labels["region"] = project+":"+x.Name, c.Region
			}
			if !labelsMatch(filter, labels, metricLabels) {
				continue
			}
			ts, vs := e.MetricStat(i, filter["metric.type"], stat, start, end, period)
			pts := make([]map[string]any, 0, len(ts))
			for k := len(ts) - 1; k >= 0; k-- {
				iv := map[string]string{"startTime": ts[k].Format(time.RFC3339), "endTime": ts[k].Add(period).Format(time.RFC3339)}
				if m.kind == "GAUGE" {
					iv["startTime"] = iv["endTime"]
				}
				pts = append(pts, map[string]any{"interval": iv, "value": map[string]any{"doubleValue": vs[k]}})
			}
			if len(pts) == 0 {
				continue
			}
			series = append(series, map[string]any{
				"metric":     map[string]any{"type": filter["metric.type"], "labels": metricLabels},
				"resource":   map[string]any{"type": m.resource, "labels": labels},
				"metricKind": m.kind, "valueType": "DOUBLE", "points": pts,
			})
		}
	}
	from, to, next, err := gcpPage(qs, len(series), 100000)
	if err != nil {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), nil)
		return
	}
	resp := map[string]any{"timeSeries": series[from:to], "unit": ""}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeGCPJSON(q.w, resp)
}

// labelsMatch reports whether every resource.labels.* and metric.labels.*
// term of the filter matches.
func labelsMatch(filter, resource, metric map[string]string) bool {
	for k, v := range filter {
		switch {
		case strings.HasPrefix(k, "resource.labels."):
			if resource[strings.TrimPrefix(k, "resource.labels.")] != v {
				return false
			}
		case strings.HasPrefix(k, "metric.labels."):
			if metric[strings.TrimPrefix(k, "metric.labels.")] != v {
				return false
			}
		}
	}
	return true
}
