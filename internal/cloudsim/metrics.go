package cloudsim

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Metric names the simulator has series for, per resource kind. AWS names
// are CloudWatch's; Azure's and GCP's are Azure Monitor's and Cloud
// Monitoring's.
const (
	MetricCPU          = "CPUUtilization"        // EC2, RDS: percent
	MetricNetworkIn    = "NetworkIn"             // EC2: bytes
	MetricNetworkOut   = "NetworkOut"            // EC2: bytes
	MetricConnections  = "DatabaseConnections"   // RDS: count
	MetricNATBytesOut  = "BytesOutToDestination" // NAT gateway: bytes
	MetricNATActive    = "ActiveConnectionCount" // NAT gateway: count
	MetricRequestCount = "RequestCount"          // ELB, ALB: count
	MetricAzureCPU     = "Percentage CPU"
	MetricAzureNetOut  = "Network Out Total"
	MetricGCPCPU       = "compute.googleapis.com/instance/cpu/utilization" // fraction 0–1
	MetricGCPNetOut    = "compute.googleapis.com/instance/network/sent_bytes_count"
	MetricGCPSQLConns  = "cloudsql.googleapis.com/database/network/connections"
)

// MetricHour returns the hourly value of metric for resource i in the hour
// that contains t, and false when the resource has no datapoint then (not
// yet created, stopped, in the future, or no such metric). Hourly values are
// averages for gauges (CPU, connections) and sums for counters (bytes,
// requests).
func (e *Estate) MetricHour(i int, metric string, t time.Time) (float64, bool) {
	x := &e.Resources[i]
	h := t.Unix() / 3600
	if !t.Before(e.Now) || t.Unix() < x.Created {
		return 0, false
	}
	stopped := x.State == "stopped" || x.State == "deallocated" || x.State == "TERMINATED"
	if stopped && (x.Changed == 0 || t.Unix() >= x.Changed) {
		return 0, false
	}
	u := float64(e.hash(i, uint64(h)<<8^metricSalt(metric))%1_000_000) / 1_000_000 // uniform [0,1)
	diurnal := 0.5 + 0.5*math.Sin(2*math.Pi*float64(h%24)/24)
	between := func(lo, hi float64) float64 { return lo + (hi-lo)*(0.3*u+0.7*diurnal) }
	switch x.Kind {
	case AWSInstance, AzureVirtualMachine, GCPInstance:
		cpu, net := metric == MetricCPU || metric == MetricAzureCPU || metric == MetricGCPCPU,
			metric == MetricNetworkIn || metric == MetricNetworkOut || metric == MetricAzureNetOut || metric == MetricGCPNetOut
		var v float64
		switch {
		case cpu && x.Profile == ProfileIdle, cpu && x.Profile == ProfileNearIdle:
			v = between(0.2, 1.5)
		case cpu:
			v = between(15, 70)
		case net && x.Profile == ProfileIdle:
			v = between(10e3, 150e3)
		case net:
			v = between(50e6, 2e9)
		default:
			return 0, false
		}
		if metric == MetricGCPCPU {
			v /= 100
		}
		return v, true
	case AWSDBInstance, GCPSQLInstance:
		switch metric {
		case MetricConnections, MetricGCPSQLConns:
			switch x.Profile {
			case ProfileIdle:
				return 0, true
			case ProfileNearIdle:
				return math.Round(between(1, 3)), true
			}
			return math.Round(between(10, 200)), true
		case MetricCPU:
			if x.Profile == ProfileIdle {
				return between(1, 3), true
			}
			return between(10, 60), true
		}
	case AWSNatGateway:
		switch metric {
		case MetricNATBytesOut:
			switch x.Profile {
			case ProfileZero:
				return 0, true
			case ProfileNearIdle:
				return between(1e5, 5e6), true
			}
			return between(1e9, 5e10), true
		case MetricNATActive:
			if x.Profile == ProfileZero {
				return 0, true
			}
			return math.Round(between(1, 500)), true
		}
	case AWSLoadBalancer, AWSClassicLoadBalancer:
		if metric == MetricRequestCount {
			if x.waste&A3.bit() != 0 {
				return 0, true
			}
			return math.Round(between(100, 100000)), true
		}
	}
	return 0, false
}

func metricSalt(m string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(m); i++ {
		h = (h ^ uint64(m[i])) * 1099511628211
	}
	return h
}

// MetricStat aggregates the hourly values of [start, end) into one value
// per period (a multiple of an hour) with stat (Average, Sum, Maximum,
// Minimum, SampleCount). Periods without data are left out, as CloudWatch
// does.
func (e *Estate) MetricStat(i int, metric, stat string, start, end time.Time, period time.Duration) (times []time.Time, values []float64) {
	period = max(period.Truncate(time.Hour), time.Hour)
	start = start.UTC().Truncate(time.Hour)
	for p := start; p.Before(end); p = p.Add(period) {
		var sum, mx, mn float64
		n := 0
		for h := p; h.Before(p.Add(period)) && h.Before(end); h = h.Add(time.Hour) {
			v, ok := e.MetricHour(i, metric, h)
			if !ok {
				continue
			}
			if n == 0 || v > mx {
				mx = v
			}
			if n == 0 || v < mn {
				mn = v
			}
			sum += v
			n++
		}
		if n == 0 {
			continue
		}
		var v float64
		switch strings.ToLower(stat) {
		case "sum":
			v = sum
		case "maximum":
			v = mx
		case "minimum":
			v = mn
		case "samplecount":
			v = float64(n)
		default:
			v = sum / float64(n)
		}
		times, values = append(times, p), append(values, v)
	}
	return times, values
}

// index maps provider-native ids (as the APIs return them) to resource
// indices; built on first use.
type index struct {
	once sync.Once
	byID map[string]int32
}

// Lookup returns the index of the resource of provider p with native id
// (instance id, volume id, ARN, DB identifier, Azure id in any case, GCP
// name path). Names of RDS instances, NAT gateways and load balancers are
// their ids here.
func (e *Estate) Lookup(p valdrix.Provider, id string) (int, bool) {
	e.idx.once.Do(func() {
		e.idx.byID = make(map[string]int32, len(e.Resources))
		for i := range e.Resources {
			x := &e.Resources[i]
			e.idx.byID[string(x.Kind.Provider())+"|"+strings.ToLower(x.ID)] = int32(i)
			if x.Kind == AWSDBInstance || x.Kind == AWSClassicLoadBalancer || x.Kind == AWSRedshiftCluster {
				e.idx.byID["aws|name:"+strings.ToLower(x.Name)+"|"+e.CellOfResource(i).Region] = int32(i)
			}
		}
	})
	i, ok := e.idx.byID[string(p)+"|"+strings.ToLower(id)]
	return int(i), ok
}

// LookupName returns the index of the AWS RDS instance, Redshift cluster or
// classic load balancer called name in region.
func (e *Estate) LookupName(name, region string) (int, bool) {
	e.Lookup(valdrix.AWS, "")
	i, ok := e.idx.byID["aws|name:"+strings.ToLower(name)+"|"+region]
	return int(i), ok
}
