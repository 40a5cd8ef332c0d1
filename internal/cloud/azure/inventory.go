package azure

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// batchSize is how many resources go to the sink at once.
const batchSize = 500

// Discover implements cloud.Inventory with Azure Resource Graph: it signs
// in, checks which subscriptions the app can read, counts resources per
// region and service, then lists each (region, service) that has any,
// regions concurrently under a bound. A (region, service) that fails is
// recorded and the others go on.
func (p *Provider) Discover(ctx context.Context, conn cloud.Connection, opts cloud.DiscoverOpts, sink cloud.Sink) (cloud.DiscoveryReport, error) {
	clock := p.cfg.Clock
	rep := cloud.DiscoveryReport{StartedAt: clock.Now(), Method: "resource-graph"}
	fail := func(region, svc string, err error) (cloud.DiscoveryReport, error) {
		if err != nil {
			rep.Items = append(rep.Items, cloud.ScanItem(ctx, region, svc, 0, err, 0))
		}
		rep.Finish(clock.Now())
		return rep, err
	}
	a, err := p.connection(conn)
	if err != nil {
		rep.Finish(clock.Now())
		return rep, err
	}
	cred, err := p.signIn(ctx, conn)
	if err != nil {
		return fail("global", "entra", err)
	}
	scanCtx, cancel := context.WithTimeout(ctx, p.cfg.ScanTimeout)
	defer cancel()
	g, err := p.graph(conn, cred, a.Subscriptions)
	if err != nil {
		return fail("global", "resourcegraph", err)
	}
	visible, err := g.visibleSubscriptions(scanCtx)
	if err != nil {
		return fail("global", "resourcegraph", err)
	}
	var readable, hidden []string
	for _, s := range a.Subscriptions {
		if visible[strings.ToLower(s)] {
			readable = append(readable, s)
		} else {
			hidden = append(hidden, s)
		}
	}
	var items cloud.ItemSet
	if len(hidden) > 0 {
		items.Add(cloud.ScanItem(ctx, "global", "subscriptions", 0, missingReader(hidden), 0))
	}
	if len(readable) == 0 {
		rep.Items = items.Items()
		rep.Finish(clock.Now())
		return rep, missingReader(hidden)
	}
	if g, err = p.graph(conn, cred, readable); err != nil {
		return fail("global", "resourcegraph", err)
	}
	counts, err := g.summarize(scanCtx)
	if err != nil {
		rep.Items = items.Items()
		return fail("global", "resourcegraph", err)
	}
	svcs := services
	if len(opts.Services) > 0 {
		svcs = slices.DeleteFunc(slices.Clone(services), func(s string) bool { return !slices.Contains(opts.Services, s) })
	}
	var regions []string
	for r := range counts {
		if len(opts.Regions) == 0 || slices.Contains(opts.Regions, r) {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions)

	out := cloud.NewEmitter(sink, batchSize, cancel)
	rg := new(errgroup.Group)
	rg.SetLimit(p.cfg.RegionConcurrency)
	for _, region := range regions {
		rg.Go(func() error {
			sg := new(errgroup.Group)
			sg.SetLimit(p.cfg.ServiceConcurrency)
			for _, svc := range svcs {
				if counts[region][svc] == 0 {
					items.Add(cloud.DiscoveryItem{Region: region, Service: svc, Status: cloud.ScanOK})
					continue
				}
				sg.Go(func() error {
					start := time.Now()
					n, err := p.scan(scanCtx, g, region, svc, out)
					items.Add(cloud.ScanItem(scanCtx, region, svc, n, err, time.Since(start)))
					return nil
				})
			}
			return sg.Wait()
		})
	}
	_ = rg.Wait()
	ferr := out.Flush(ctx)
	items.Empty(svcs)
	rep.Items = items.Items()
	if serr := out.Err(); serr != nil {
		rep.Finish(clock.Now())
		return rep, serr
	}
	if ferr != nil {
		rep.Finish(clock.Now())
		return rep, ferr
	}
	if err := ctx.Err(); err != nil {
		rep.Finish(clock.Now())
		return rep, err
	}
	slices.SortFunc(rep.Items, func(x, y cloud.DiscoveryItem) int {
		if c := strings.Compare(x.Region, y.Region); c != 0 {
			return c
		}
		return slices.Index(services, x.Service) - slices.Index(services, y.Service)
	})
	rep.Finish(clock.Now())
	return rep, nil
}

// scan lists one service in one region and emits its resources; it
// returns how many it emitted (also on error: partial results are kept).
func (p *Provider) scan(ctx context.Context, g *graph, region, svc string, out *cloud.Emitter) (int, error) {
	n := 0
	err := g.query(ctx, listQuery(svc, region), func(rows []json.RawMessage) error {
		for _, raw := range rows {
			r, ok, err := toResource(raw)
			if err != nil {
				return err
			}
			if !ok || isSystemDatabase(r) {
				continue
			}
			if err := out.Emit(ctx, r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	var se *cloud.SinkError
	if errors.As(err, &se) {
		return n, err
	}
	if err != nil && valdrix.ErrorCode(err) == valdrix.EINTERNAL {
		err = translate(err, actionGraphRead, "list "+svc+" resources in "+region)
	}
	return n, err
}
