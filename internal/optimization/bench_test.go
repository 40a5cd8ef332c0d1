package optimization_test

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// benchLedger streams 30 days of daily ledger rows for every AWS resource
// of an estate, day by day (as a ledger sorted by charge day reads), with
// the estate's prices: compute by the hour while running, storage by the
// GB-month, hourly charges of addresses, gateways and load balancers (with
// their traffic lines when they carry traffic). One row struct is reused;
// the strings are built once per resource or usage type.
type benchLedger struct {
	e     *cloudsim.Estate
	ids   []string
	types []uint16 // the resource's main usage type, an index into utypes
	utype []string
	rows  int
}

func newBenchLedger(e *cloudsim.Estate) *benchLedger {
	n := len(e.Resources)
	l := &benchLedger{e: e, ids: make([]string, n), types: make([]uint16, n)}
	interned := map[string]uint16{}
	for i := range e.Resources {
		x := &e.Resources[i]
		l.ids[i] = e.BillingID(i)
		region := e.CellOfResource(i).Region
		kind := map[cloudsim.Kind]string{
			cloudsim.AWSInstance: "BoxUsage:" + x.SKU, cloudsim.AWSVolume: "EBS:VolumeUsage." + x.SKU,
			cloudsim.AWSSnapshot: "EBS:SnapshotUsage", cloudsim.AWSAddress: "PublicIPv4:InUseAddress",
			cloudsim.AWSNatGateway: "NatGateway-Hours", cloudsim.AWSClassicLoadBalancer: "LoadBalancerUsage",
			cloudsim.AWSLoadBalancer: "LoadBalancerUsage", cloudsim.AWSDBInstance: "InstanceUsage:" + x.SKU,
			cloudsim.AWSDBSnapshot: "RDS:ChargedBackupUsage", cloudsim.AWSRedshiftCluster: "Node:" + x.SKU,
			cloudsim.AWSSageMakerEndpoint: "Host:" + x.SKU, cloudsim.AWSFunction: "Request",
		}[x.Kind]
		if x.Kind == cloudsim.AWSAddress && x.Ref < 0 {
			kind = "PublicIPv4:IdleAddress"
		}
		if kind == "" {
			kind = "TimedStorage-ByteHrs"
		}
		ut := strings.ToUpper(strings.ReplaceAll(region, "-", "")[:4]) + "-" + kind
		k, ok := interned[ut]
		if !ok {
			k = uint16(len(l.utype))
			l.utype = append(l.utype, ut)
			interned[ut] = k
		}
		l.types[i] = k
	}
	return l
}

func (l *benchLedger) source(ctx context.Context, w zombie.Window, fn func(*ingestion.LedgerRow) error) error {
	e := l.e
	row := &ingestion.LedgerRow{Provider: valdrix.AWS, BillingAccountID: e.AWSPayerAccount, BillingCurrency: "USD",
		ChargeCategory: "Usage", ChargeFrequency: "Usage-Based", PricingCategory: "Standard", LineCount: 24,
		Missing: ingestion.MissingVCPUs}
	l.rows = 0
	emit := func(i int, svc, usageType, unit string, qty, cost valdrix.Decimal) error {
		c := e.CellOfResource(i)
		row.SubAccountID, row.RegionID, row.ResourceID = e.Accounts[c.Account].ID, c.Region, l.ids[i]
		row.ServiceName, row.UsageType, row.PricingUnit, row.ConsumedUnit = svc, usageType, unit, unit
		row.ConsumedQuantity, row.PricingQuantity = qty, qty
		row.BilledCost, row.EffectiveCost, row.ListCost = cost, cost, cost
		l.rows++
		return fn(row)
	}
	day24 := valdrix.NewDecimal(24, 0)
	for d := w.Start; d < w.End; d++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		row.ChargeDay, row.BillingPeriod = d, d.Month()
		days := int64(d.Month().Days())
		start := d.Time().Unix()
		for i := range e.Resources {
			x := &e.Resources[i]
			if x.Created > start {
				continue
			}
			var err error
			switch x.Kind {
			case cloudsim.AWSInstance:
				if x.State == "running" {
					c, _ := e.HourlyRate(i).MulRatio(24, 1)
					err = emit(i, "Amazon Elastic Compute Cloud", l.utype[l.types[i]], "Hrs", day24, c)
				}
			case cloudsim.AWSAddress, cloudsim.AWSNatGateway, cloudsim.AWSClassicLoadBalancer, cloudsim.AWSLoadBalancer,
				cloudsim.AWSRedshiftCluster, cloudsim.AWSSageMakerEndpoint:
				c, _ := e.HourlyRate(i).MulRatio(24, 1)
				err = emit(i, "Amazon Elastic Compute Cloud", l.utype[l.types[i]], "Hrs", day24, c)
			case cloudsim.AWSDBInstance:
				c, _ := e.HourlyRate(i).MulRatio(24, 1)
				if err = emit(i, "Amazon Relational Database Service", l.utype[l.types[i]], "Hrs", day24, c); err == nil {
					s, _ := e.StorageMonthly(i).MulRatio(1, days)
					err = emit(i, "Amazon Relational Database Service", "RDS:GP3-Storage", "GB-Mo", valdrix.NewDecimal(int64(x.Size), 0), s)
				}
			case cloudsim.AWSFunction:
				err = emit(i, "AWS Lambda", l.utype[l.types[i]], "Requests", valdrix.NewDecimal(1000, 0), valdrix.NewDecimal(0, 200000))
			default:
				if m := e.StorageMonthly(i); m > 0 {
					s, _ := m.MulRatio(1, days)
					q, _ := valdrix.NewDecimal(int64(x.Size), 0).MulRatio(1, days)
					err = emit(i, "Amazon Elastic Compute Cloud", l.utype[l.types[i]], "GB-Mo", q, s)
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// benchResources streams the estate's canonical inventory, building each
// resource as an adapter would (no resource is kept between calls).
func benchResources(e *cloudsim.Estate) optimization.ResourceSource {
	return func(ctx context.Context, fn func(*cloud.Resource) error) error {
		for i := range e.Resources {
			if i%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			r := e.Canonical(i)
			if err := fn(&r); err != nil {
				return err
			}
		}
		return nil
	}
}

// peakRSS returns the process's peak resident set size (VmHWM) in MiB, or
// -1 where /proc is not available.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}

// BenchmarkDetect measures detection over a simulated AWS estate with 30
// days of daily ledger rows streamed per resource: the inventory read twice
// from a streaming source, the ledger folded into per-resource summaries,
// every rule evaluated (metric rules answer unknown: no metrics source),
// findings built with costs, CO2e and evidence. It reports rows, findings
// and the process's peak RSS. Run the million-resource case alone:
//
//	go test -run '^$' -bench 'BenchmarkDetect/1000000' -benchtime 1x ./internal/optimization/
func BenchmarkDetect(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			e := cloudsim.Generate(cloudsim.EstateConfig{Seed: 1, Resources: n, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1}, AWSRegions: 20})
			ledger := newBenchLedger(e)
			eng, err := optimization.NewEngine(optimization.Config{Clock: valdrix.ClockFunc(func() time.Time { return e.Now })})
			require.NoError(b, err)
			runtime.GC()
			var res optimization.DetectResult
			for b.Loop() {
				res, err = eng.Detect(b.Context(), optimization.DetectInput{
					Connection: cloud.Connection{ID: "bench", TenantID: "tenant-1", Provider: valdrix.AWS},
					Resources:  benchResources(e), Ledger: ledger.source,
				})
				require.NoError(b, err)
			}
			b.ReportMetric(float64(ledger.rows), "rows")
			b.ReportMetric(float64(len(res.Findings)), "findings")
			b.ReportMetric(float64(len(res.Undecided)), "undecided")
			b.ReportMetric(peakRSS(), "peak-RSS-MiB")
		})
	}
}
