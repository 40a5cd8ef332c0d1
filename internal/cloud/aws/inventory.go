package aws

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"golang.org/x/sync/errgroup"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Services the inventory covers, in scan order.
var services = []string{"ec2", "elb", "elbv2", "rds", "s3", "ecr", "redshift", "sagemaker", "lambda", "dynamodb", "logs"}

// Services returns the services Discover scans.
func Services() []string { return slices.Clone(services) }

// batchSize is how many resources go to the sink at once.
const batchSize = 500

// emitter batches resources for the sink; it is safe for concurrent use and
// calls the sink from one goroutine at a time.
type emitter struct {
	sink   cloud.Sink
	cancel context.CancelFunc
	mu     sync.Mutex
	buf    []cloud.Resource
	err    error
}

func (e *emitter) emit(ctx context.Context, r cloud.Resource) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	e.buf = append(e.buf, r)
	if len(e.buf) >= batchSize {
		return e.flushLocked(ctx)
	}
	return nil
}

func (e *emitter) flushLocked(ctx context.Context) error {
	if len(e.buf) == 0 || e.err != nil {
		return e.err
	}
	if err := e.sink(ctx, e.buf); err != nil {
		e.err = errSink{err}
		e.cancel()
		return e.err
	}
	e.buf = e.buf[:0]
	return nil
}

func (e *emitter) flush(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.flushLocked(ctx)
}

// errSink marks an error returned by the caller's sink.
type errSink struct{ err error }

func (e errSink) Error() string { return "sink: " + e.err.Error() }
func (e errSink) Unwrap() error { return e.err }

// regionScan is what a service scan needs.
type regionScan struct {
	p      *Provider
	conn   cloud.Connection
	region string
	cfg    awssdk.Config
	// tags from Resource Explorer by ARN, for types whose describe call
	// does not return tags; nil without Resource Explorer.
	tags map[string]map[string]string
	out  *emitter
}

func (s *regionScan) account() string { return s.conn.AWS.AccountID }

// Discover implements cloud.Inventory.
func (p *Provider) Discover(ctx context.Context, conn cloud.Connection, opts cloud.DiscoverOpts, sink cloud.Sink) (cloud.DiscoveryReport, error) {
	rep := cloud.DiscoveryReport{StartedAt: p.cfg.Clock.Now(), Method: "describe"}
	if _, err := p.connection(conn); err != nil {
		rep.Finish(p.cfg.Clock.Now())
		return rep, err
	}
	if err := p.assume(ctx, conn); err != nil {
		rep.Items = append(rep.Items, failedItem("global", "sts", err, 0))
		rep.Finish(p.cfg.Clock.Now())
		return rep, err
	}
	scanCtx, cancel := context.WithTimeout(ctx, p.cfg.ScanTimeout)
	defer cancel()
	out := &emitter{sink: sink, cancel: cancel}

	regions, err := p.regions(scanCtx, conn, opts.Regions)
	if err != nil {
		rep.Items = append(rep.Items, failedItem(p.cfg.STSRegion, "ec2", err, 0))
		rep.Finish(p.cfg.Clock.Now())
		return rep, err
	}
	svcs := services
	if len(opts.Services) > 0 {
		svcs = slices.DeleteFunc(slices.Clone(services), func(s string) bool { return !slices.Contains(opts.Services, s) })
	}
	re, reErr := p.findResourceExplorer(scanCtx, conn)
	if re != nil {
		rep.Method = "resource-explorer"
	} else if reErr != nil && valdrix.ErrorCode(reErr) != valdrix.ENOTFOUND {
		p.log.WarnContext(ctx, "resource explorer unavailable; describing every service", "connection_id", conn.ID, "error", reErr)
	}

	var mu sync.Mutex
	addItem := func(it cloud.DiscoveryItem) {
		mu.Lock()
		defer mu.Unlock()
		rep.Items = append(rep.Items, it)
	}
	g := new(errgroup.Group)
	g.SetLimit(p.cfg.RegionConcurrency)
	for _, region := range regions {
		g.Go(func() error {
			p.scanRegion(scanCtx, conn, region, svcs, re, out, addItem)
			return nil
		})
	}
	if slices.Contains(svcs, "s3") {
		g.Go(func() error {
			start := time.Now()
			rs := &regionScan{p: p, conn: conn, region: p.cfg.STSRegion, cfg: p.config(conn, p.cfg.STSRegion), out: out}
			n, err := p.scanBuckets(scanCtx, rs, regions, re != nil)
			addItem(item(scanCtx, "global", "s3", n, err, time.Since(start)))
			return nil
		})
	}
	_ = g.Wait()
	if err := out.flush(ctx); err != nil || out.err != nil {
		rep.Finish(p.cfg.Clock.Now())
		return rep, cmpErr(out.err, err)
	}
	if err := ctx.Err(); err != nil {
		rep.Finish(p.cfg.Clock.Now())
		return rep, err
	}
	slices.SortFunc(rep.Items, func(a, b cloud.DiscoveryItem) int {
		if a.Region != b.Region {
			if a.Region < b.Region {
				return -1
			}
			return 1
		}
		return slices.Index(services, a.Service) - slices.Index(services, b.Service)
	})
	rep.Finish(p.cfg.Clock.Now())
	return rep, nil
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			var s errSink
			if errors.As(e, &s) {
				return s.err
			}
			return e
		}
	}
	return nil
}

// scanRegion scans the services of one region.
func (p *Provider) scanRegion(ctx context.Context, conn cloud.Connection, region string, svcs []string, re *explorer, out *emitter, addItem func(cloud.DiscoveryItem)) {
	rs := &regionScan{p: p, conn: conn, region: region, cfg: p.config(conn, region), out: out}
	if re != nil {
		start := time.Now()
		tags, err := p.explore(ctx, conn, re, region)
		if err != nil {
			// The describe calls still run; the failure is recorded because
			// tags of some types are then missing.
			addItem(item(ctx, region, "resource-explorer-2", 0, err, time.Since(start)))
		} else {
			rs.tags = tags
		}
	}
	g := new(errgroup.Group)
	g.SetLimit(p.cfg.ServiceConcurrency)
	for _, svc := range svcs {
		if svc == "s3" {
			continue
		}
		g.Go(func() error {
			start := time.Now()
			n, err := scanners[svc](ctx, rs)
			addItem(item(ctx, region, svc, n, err, time.Since(start)))
			return nil
		})
	}
	_ = g.Wait()
}

// item builds the report item of one scan.
func item(ctx context.Context, region, svc string, n int, err error, d time.Duration) cloud.DiscoveryItem {
	if err == nil {
		return cloud.DiscoveryItem{Region: region, Service: svc, Status: cloud.ScanOK, Resources: n, Duration: d}
	}
	it := failedItem(region, svc, err, n)
	it.Duration = d
	if errors.Is(err, context.DeadlineExceeded) || (ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		it.Status = cloud.ScanTimeout
		it.Code = valdrix.EUNAVAILABLE
		it.Message = "the scan timed out before " + svc + " in " + region + " was complete"
	}
	return it
}

func failedItem(region, svc string, err error, n int) cloud.DiscoveryItem {
	return cloud.DiscoveryItem{
		Region: region, Service: svc, Status: cloud.ScanFailed, Resources: n,
		Code: valdrix.ErrorCode(err), Message: valdrix.ErrorMessage(err), MissingPermission: MissingPermission(err),
	}
}

// regions returns the regions to scan: the connection's, or every enabled
// region, intersected with the requested ones.
func (p *Provider) regions(ctx context.Context, conn cloud.Connection, want []string) ([]string, error) {
	regions := conn.AWS.Regions
	if len(regions) == 0 {
		out, err := ec2.NewFromConfig(p.config(conn, p.cfg.STSRegion)).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
		if err != nil {
			return nil, translate(err, "ec2:DescribeRegions", "list the enabled regions")
		}
		for _, r := range out.Regions {
			regions = append(regions, awssdk.ToString(r.RegionName))
		}
	}
	if len(want) > 0 {
		regions = slices.DeleteFunc(slices.Clone(regions), func(r string) bool { return !slices.Contains(want, r) })
	}
	return regions, nil
}
