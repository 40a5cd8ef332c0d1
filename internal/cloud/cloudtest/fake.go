package cloudtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Fake is an in-memory cloud provider implementing every capability of the
// seam. Seed it with Add* methods; set a …Func field to replace a method (for
// failure injection). It is safe for concurrent use.
type Fake struct {
	Provider valdrix.Provider
	Clock    valdrix.Clock
	// BatchSize is the sink batch size (default 100).
	BatchSize int

	DiscoverFunc           func(ctx context.Context, conn cloud.Connection, opts cloud.DiscoverOpts, sink cloud.Sink) (cloud.DiscoveryReport, error)
	TestFunc               func(ctx context.Context, conn cloud.Connection) (cloud.TestReport, error)
	QueryMetricsFunc       func(ctx context.Context, conn cloud.Connection, queries []cloud.MetricQuery) ([]cloud.MetricResult, error)
	ListBillingPeriodsFunc func(ctx context.Context, conn cloud.Connection) ([]cloud.BillingPeriod, error)
	FetchBillingPeriodFunc func(ctx context.Context, conn cloud.Connection, period valdrix.Month, dir string) (cloud.BillingFiles, error)

	mu        sync.Mutex
	resources map[string][]cloud.Resource // by connection id
	denied    map[string]bool
	failing   map[string]error // "region/service" → error
	metrics   map[string][]cloud.MetricPoint
	periods   map[string][]fakePeriod
}

type fakePeriod struct {
	info     cloud.BillingPeriod
	manifest []byte
	files    []fakeFile
}

type fakeFile struct {
	name string
	data []byte
}

// NewFake returns an empty fake for provider p.
func NewFake(p valdrix.Provider, clock valdrix.Clock) *Fake {
	return &Fake{
		Provider: p, Clock: clock,
		resources: map[string][]cloud.Resource{}, denied: map[string]bool{}, failing: map[string]error{},
		metrics: map[string][]cloud.MetricPoint{}, periods: map[string][]fakePeriod{},
	}
}

// AddResources adds resources to the connection's estate.
func (f *Fake) AddResources(connID string, rs ...cloud.Resource) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resources[connID] = append(f.resources[connID], rs...)
}

// Deny makes every call with the connection fail as forbidden.
func (f *Fake) Deny(connID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[connID] = true
}

// FailService makes discovery of (region, service) fail with err.
func (f *Fake) FailService(region, service string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing[region+"/"+service] = err
}

// AddMetric sets the datapoints answered for a query with the same region,
// namespace, metric, dimensions and statistic.
func (f *Fake) AddMetric(q cloud.MetricQuery, points ...cloud.MetricPoint) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.metrics[metricKey(q)] = append(f.metrics[metricKey(q)], points...)
}

// AddBillingPeriod adds a billing period with its manifest and data files
// (name → content) to the connection's export.
func (f *Fake) AddBillingPeriod(connID string, info cloud.BillingPeriod, manifest []byte, files map[string][]byte) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	p := fakePeriod{info: info, manifest: manifest}
	for _, n := range names {
		p.files = append(p.files, fakeFile{n, files[n]})
	}
	p.info.FileCount = len(p.files)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.periods[connID] = append(f.periods[connID], p)
}

func metricKey(q cloud.MetricQuery) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%s|%s|%s", q.Region, q.Namespace, q.Metric, q.Stat)
	dims := slices.Clone(q.Dimensions)
	slices.SortFunc(dims, func(a, b cloud.Dimension) int { return strings.Compare(a.Name, b.Name) })
	for _, d := range dims {
		fmt.Fprintf(&b, "|%s=%s", d.Name, d.Value)
	}
	return b.String()
}

func (f *Fake) check(conn cloud.Connection) error {
	if conn.Provider != f.Provider {
		return valdrix.Errorf(valdrix.EINVALID, "connection is for %s, not %s", conn.Provider, f.Provider)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.denied[conn.ID] {
		return valdrix.Errorf(valdrix.EFORBIDDEN, "the role could not be assumed")
	}
	return nil
}

// Discover streams the connection's resources, grouped per (region, service).
func (f *Fake) Discover(ctx context.Context, conn cloud.Connection, opts cloud.DiscoverOpts, sink cloud.Sink) (cloud.DiscoveryReport, error) {
	if f.DiscoverFunc != nil {
		return f.DiscoverFunc(ctx, conn, opts, sink)
	}
	rep := cloud.DiscoveryReport{StartedAt: f.Clock.Now(), Method: "fake"}
	if err := f.check(conn); err != nil {
		rep.Finish(f.Clock.Now())
		return rep, err
	}
	f.mu.Lock()
	all := slices.Clone(f.resources[conn.ID])
	failing := make(map[string]error, len(f.failing))
	for k, v := range f.failing {
		failing[k] = v
	}
	f.mu.Unlock()

	type group struct{ region, service string }
	groups := map[group][]cloud.Resource{}
	var order []group
	for _, r := range all {
		if len(opts.Regions) > 0 && !slices.Contains(opts.Regions, r.Region) {
			continue
		}
		svc := ServiceOf(r.Type)
		if len(opts.Services) > 0 && !slices.Contains(opts.Services, svc) {
			continue
		}
		g := group{r.Region, svc}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], r)
	}
	for k := range failing {
		region, svc, _ := strings.Cut(k, "/")
		g := group{region, svc}
		if _, ok := groups[g]; !ok {
			groups[g] = nil
			order = append(order, g)
		}
	}
	batch := max(f.BatchSize, 1)
	if f.BatchSize == 0 {
		batch = 100
	}
	for _, g := range order {
		it := cloud.DiscoveryItem{Region: g.region, Service: g.service, Status: cloud.ScanOK}
		if err, ok := failing[g.region+"/"+g.service]; ok {
			it.Status, it.Code, it.Message = cloud.ScanFailed, valdrix.ErrorCode(err), valdrix.ErrorMessage(err)
			rep.Items = append(rep.Items, it)
			continue
		}
		rs := groups[g]
		for i := 0; i < len(rs); i += batch {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			if err := sink(ctx, rs[i:min(i+batch, len(rs))]); err != nil {
				rep.Finish(f.Clock.Now())
				return rep, fmt.Errorf("fake discover: sink: %w", err)
			}
		}
		it.Resources = len(rs)
		rep.Items = append(rep.Items, it)
	}
	rep.Finish(f.Clock.Now())
	return rep, nil
}

// ServiceOf returns the service part of a canonical type ("aws.ec2.volume" → "ec2").
func ServiceOf(typ string) string {
	parts := strings.SplitN(typ, ".", 3)
	if len(parts) < 2 {
		return typ
	}
	return parts[1]
}

// Test reports the connection's checks: all ok unless it is denied.
func (f *Fake) Test(ctx context.Context, conn cloud.Connection) (cloud.TestReport, error) {
	if f.TestFunc != nil {
		return f.TestFunc(ctx, conn)
	}
	var rep cloud.TestReport
	if err := f.check(conn); err != nil {
		rep.Checks = append(rep.Checks,
			cloud.Check{Name: "assume_role", Status: cloud.CheckFailed, Code: valdrix.ErrorCode(err), Message: valdrix.ErrorMessage(err),
				MissingPermission: "sts:AssumeRole", Remedy: "Deploy the Valdrix role with the connection's external id."},
			cloud.Check{Name: "resource_search", Status: cloud.CheckSkipped},
			cloud.Check{Name: "read_export", Status: cloud.CheckSkipped})
	} else {
		rep.Checks = append(rep.Checks,
			cloud.Check{Name: "assume_role", Status: cloud.CheckOK},
			cloud.Check{Name: "resource_search", Status: cloud.CheckOK},
			cloud.Check{Name: "read_export", Status: cloud.CheckOK})
	}
	rep.Finish()
	return rep, nil
}

// QueryMetrics answers from the metrics added with AddMetric; anything else
// is unknown (no_data), and a denied connection gives unknown (denied).
func (f *Fake) QueryMetrics(ctx context.Context, conn cloud.Connection, queries []cloud.MetricQuery) ([]cloud.MetricResult, error) {
	if f.QueryMetricsFunc != nil {
		return f.QueryMetricsFunc(ctx, conn, queries)
	}
	denied := f.check(conn) != nil
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]cloud.MetricResult, len(queries))
	for i, q := range queries {
		switch pts := f.metrics[metricKey(q)]; {
		case denied:
			out[i] = cloud.Unknown(q.ID, cloud.ReasonDenied, "the role may not read metrics")
		case len(pts) == 0:
			out[i] = cloud.Unknown(q.ID, cloud.ReasonNoData, "no datapoints")
		default:
			var sel []cloud.MetricPoint
			for _, p := range pts {
				if !p.Time.Before(q.Start) && p.Time.Before(q.End) {
					sel = append(sel, p)
				}
			}
			if len(sel) == 0 {
				out[i] = cloud.Unknown(q.ID, cloud.ReasonNoData, "no datapoints in the window")
			} else {
				out[i] = cloud.MetricResult{ID: q.ID, Status: cloud.MetricOK, Points: sel}
			}
		}
	}
	return out, nil
}

// ListBillingPeriods lists the periods added with AddBillingPeriod.
func (f *Fake) ListBillingPeriods(ctx context.Context, conn cloud.Connection) ([]cloud.BillingPeriod, error) {
	if f.ListBillingPeriodsFunc != nil {
		return f.ListBillingPeriodsFunc(ctx, conn)
	}
	if err := f.check(conn); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cloud.BillingPeriod
	for _, p := range f.periods[conn.ID] {
		out = append(out, p.info)
	}
	return out, nil
}

// FetchBillingPeriod writes the period's manifest and files into dir.
func (f *Fake) FetchBillingPeriod(ctx context.Context, conn cloud.Connection, period valdrix.Month, dir string) (cloud.BillingFiles, error) {
	if f.FetchBillingPeriodFunc != nil {
		return f.FetchBillingPeriodFunc(ctx, conn, period, dir)
	}
	if err := f.check(conn); err != nil {
		return cloud.BillingFiles{}, err
	}
	f.mu.Lock()
	var found *fakePeriod
	for i, p := range f.periods[conn.ID] {
		if p.info.Period == period {
			found = &f.periods[conn.ID][i]
		}
	}
	f.mu.Unlock()
	if found == nil {
		return cloud.BillingFiles{}, valdrix.Errorf(valdrix.ENOTFOUND, "no billing data for %s", period)
	}
	out := cloud.BillingFiles{BillingPeriod: found.info, Manifest: filepath.Join(dir, "manifest.json")}
	if err := os.WriteFile(out.Manifest, found.manifest, 0o600); err != nil {
		return cloud.BillingFiles{}, fmt.Errorf("fake fetch: %w", err)
	}
	for _, file := range found.files {
		p := filepath.Join(dir, filepath.Base(file.name))
		if err := os.WriteFile(p, file.data, 0o600); err != nil {
			return cloud.BillingFiles{}, fmt.Errorf("fake fetch: %w", err)
		}
		out.DataFiles = append(out.DataFiles, p)
	}
	return out, nil
}

// The fake implements every capability.
var (
	_ cloud.Inventory  = (*Fake)(nil)
	_ cloud.Tester     = (*Fake)(nil)
	_ cloud.Metrics    = (*Fake)(nil)
	_ cloud.CostSource = (*Fake)(nil)
)
