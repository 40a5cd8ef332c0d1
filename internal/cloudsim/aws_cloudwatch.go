package cloudsim

import (
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var cloudwatchHandlers = map[string]awsHandler{"GetMetricData": (*Sim).cwGetMetricData}

// cwResource finds the resource a metric's dimensions name.
func (s *Sim) cwResource(q *awsReq, namespace string, dims map[string]string) (int, bool) {
	e := s.estate
	var i int
	var ok bool
	switch namespace {
	case "AWS/EC2":
		i, ok = e.Lookup(valdrix.AWS, dims["InstanceId"])
	case "AWS/NATGateway":
		i, ok = e.Lookup(valdrix.AWS, dims["NatGatewayId"])
	case "AWS/RDS":
		i, ok = e.LookupName(dims["DBInstanceIdentifier"], q.region)
	case "AWS/ELB":
		i, ok = e.LookupName(dims["LoadBalancerName"], q.region)
	case "AWS/ApplicationELB", "AWS/NetworkELB":
		// Dimension "app/<name>/<id>" is the ARN's suffix.
		arn := "arn:aws:elasticloadbalancing:" + q.region + ":" + s.accountID(q) + ":loadbalancer/" + dims["LoadBalancer"]
		i, ok = e.Lookup(valdrix.AWS, arn)
	}
	if !ok || e.AccountOf(i) != &e.Accounts[q.sess.account] || e.CellOfResource(i).Region != q.region {
		return 0, false
	}
	return i, true
}

func (s *Sim) cwGetMetricData(q *awsReq) error {
	v, err := cbor.Decode(q.body)
	if err != nil {
		return apiError{400, "SerializationException", "the request body is not valid CBOR"}
	}
	in, ok := v.(cbor.Map)
	if !ok {
		return apiError{400, "SerializationException", "the request body is not a CBOR map"}
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	if err1 != nil || err2 != nil || !start.Before(end) {
		return apiError{400, "ValidationError", "StartTime and EndTime are required and StartTime must be before EndTime"}
	}
	queries, _ := in["MetricDataQueries"].(cbor.List)
	if len(queries) == 0 || len(queries) > 500 {
		return apiError{400, "ValidationError", "MetricDataQueries must have 1 to 500 members"}
	}
	results := make(cbor.List, 0, len(queries))
	points := 0
	for _, qv := range queries {
		m, _ := qv.(cbor.Map)
		id, _ := m["Id"].(cbor.String)
		ms, ok := m["MetricStat"].(cbor.Map)
		if !ok {
			return apiError{400, "ValidationError", "The simulator supports only MetricStat queries (query " + string(id) + ")"}
		}
		metric, _ := ms["Metric"].(cbor.Map)
		ns, _ := metric["Namespace"].(cbor.String)
		name, _ := metric["MetricName"].(cbor.String)
		stat, _ := ms["Stat"].(cbor.String)
		period, perr := cbor.AsInt64(ms["Period"])
		if perr != nil || period < 60 {
			return apiError{400, "ValidationError", "Period must be at least 60 seconds"}
		}
		dims := map[string]string{}
		dl, _ := metric["Dimensions"].(cbor.List)
		for _, dv := range dl {
			d, _ := dv.(cbor.Map)
			dn, _ := d["Name"].(cbor.String)
			dval, _ := d["Value"].(cbor.String)
			dims[string(dn)] = string(dval)
		}
		var ts, vals cbor.List
		if i, found := s.cwResource(q, string(ns), dims); found {
			times, values := s.estate.MetricStat(i, string(name), string(stat), start, end, time.Duration(period)*time.Second)
			for k := len(times) - 1; k >= 0; k-- { // newest first, as CloudWatch answers by default
				ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(times[k].Unix()))})
				vals = append(vals, cbor.Float64(values[k]))
			}
		}
		points += len(vals)
		if points > 100800 {
			return apiError{400, "ValidationError", "The request asks for more than 100,800 datapoints"}
		}
		results = append(results, cbor.Map{
			"Id": id, "Label": cbor.String(strings.TrimSpace(string(name))), "StatusCode": cbor.String("Complete"),
			"Timestamps": ts, "Values": vals,
		})
	}
	body := cbor.Encode(cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}})
	q.w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	writeBody(q.w, "application/cbor", 200, body)
	return nil
}
