package gcp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	asset "cloud.google.com/go/asset/apiv1"
	"cloud.google.com/go/asset/apiv1/assetpb"
	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"
	"google.golang.org/api/iterator"
	sqladmin "google.golang.org/api/sqladmin/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// batchSize is how many resources go to the sink at once.
const batchSize = 500

// projectScan is what a project's scan needs.
type projectScan struct {
	p       *Provider
	s       *session
	project string
	svcs    []string
	regions []string
	out     *cloud.Emitter
	items   *cloud.ItemSet
}

// Discover implements cloud.Inventory. Each project (concurrently, under a
// bound) is listed with Cloud Asset Inventory; a project where the Cloud
// Asset API is not enabled, or where listing fails, is listed with the
// Compute Engine (aggregated lists) and Cloud SQL Admin APIs instead. A
// region those report unreachable, and any call that fails, becomes a
// failed item; the rest is kept.
func (p *Provider) Discover(ctx context.Context, conn cloud.Connection, opts cloud.DiscoverOpts, sink cloud.Sink) (cloud.DiscoveryReport, error) {
	clock := p.cfg.Clock
	rep := cloud.DiscoveryReport{StartedAt: clock.Now(), Method: "asset-inventory"}
	g, err := p.connection(conn)
	if err != nil {
		rep.Finish(clock.Now())
		return rep, err
	}
	s, err := p.signIn(ctx, conn)
	if err != nil {
		rep.Items = append(rep.Items, cloud.ScanItem(ctx, "global", "iam", 0, err, 0))
		rep.Finish(clock.Now())
		return rep, err
	}
	scanCtx, cancel := context.WithTimeout(ctx, p.cfg.ScanTimeout)
	defer cancel()
	svcs := services
	if len(opts.Services) > 0 {
		svcs = slices.DeleteFunc(slices.Clone(services), func(s string) bool { return !slices.Contains(opts.Services, s) })
	}
	out := cloud.NewEmitter(sink, batchSize, cancel)
	var items cloud.ItemSet
	var listed atomic.Int32
	eg := new(errgroup.Group)
	eg.SetLimit(p.cfg.ProjectConcurrency)
	for _, project := range g.Projects {
		if len(svcs) == 0 {
			break // no service asked for that the inventory covers
		}
		eg.Go(func() error {
			ps := &projectScan{p: p, s: s, project: project, svcs: svcs, regions: opts.Regions, out: out, items: &items}
			if !ps.scan(scanCtx) {
				listed.Add(1)
			}
			return nil
		})
	}
	_ = eg.Wait()
	ferr := out.Flush(ctx)
	items.Empty(svcs)
	rep.Items = items.Items()
	if int(listed.Load()) == len(g.Projects) {
		rep.Method = "list"
	}
	for _, err := range []error{out.Err(), ferr, ctx.Err()} {
		if err != nil {
			rep.Finish(clock.Now())
			return rep, err
		}
	}
	slices.SortFunc(rep.Items, func(x, y cloud.DiscoveryItem) int {
		if c := strings.Compare(x.Region, y.Region); c != 0 {
			return c
		}
		return strings.Compare(x.Service, y.Service)
	})
	rep.Finish(clock.Now())
	return rep, nil
}

// scan scans the project and reports whether Cloud Asset Inventory served
// it.
func (ps *projectScan) scan(ctx context.Context) bool {
	start := time.Now()
	fs, err := ps.listAssets(ctx)
	switch {
	case err == nil:
		ps.emit(ctx, fs, time.Since(start))
		return true
	case ctx.Err() != nil:
		// Out of time: keep what was listed.
		ps.emit(ctx, fs, time.Since(start))
		ps.items.Add(cloud.ScanItem(ctx, "global", "cloudasset", len(fs), err, time.Since(start)))
		return true
	case isDisabled(err):
		ps.p.log.InfoContext(ctx, "cloud asset api not enabled; listing with compute and sqladmin", "project", ps.project)
	default:
		var se *cloud.SinkError
		if errors.As(err, &se) {
			return true
		}
		ps.items.Add(cloud.ScanItem(ctx, "global", "cloudasset", 0, err, time.Since(start)))
	}
	ps.list(ctx)
	return false
}

// emit joins, filters and emits a project's resources, adding an ok item
// per (region, service) found.
func (ps *projectScan) emit(ctx context.Context, fs []found, d time.Duration) {
	counts := map[[2]string]int{}
	var order [][2]string
	for _, r := range join(fs) {
		if len(ps.regions) > 0 && !slices.Contains(ps.regions, r.Region) {
			continue
		}
		if err := ps.out.Emit(ctx, r); err != nil {
			return
		}
		k := [2]string{r.Region, serviceOf(r.Type)}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	for _, k := range order {
		ps.items.Add(cloud.DiscoveryItem{Region: k[0], Service: k[1], Status: cloud.ScanOK, Resources: counts[k], Duration: d})
	}
}

func serviceOf(typ string) string {
	i := slices.IndexFunc(kinds, func(k kind) bool { return k.canonical == typ })
	return kinds[i].service
}

// listAssets lists the project's resources with Cloud Asset Inventory
// (ListAssets, contentType RESOURCE). It returns what it converted also
// on error.
func (ps *projectScan) listAssets(ctx context.Context) ([]found, error) {
	const perm = "cloudasset.assets.listResource"
	what := "list the resources of project " + ps.project + " with Cloud Asset Inventory"
	c, err := asset.NewRESTClient(ctx, ps.p.options(ctx, ps.s, "cloudasset", "")...)
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Cloud Asset client")
	}
	defer c.Close()
	*c.CallOptions = asset.CallOptions{} // the transport retries
	it := c.ListAssets(ctx, &assetpb.ListAssetsRequest{
		Parent: "projects/" + ps.project, AssetTypes: assetTypes(ps.svcs), ContentType: assetpb.ContentType_RESOURCE, PageSize: 1000,
	})
	var fs []found
	for {
		a, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return fs, nil
		}
		if err != nil {
			return fs, translate(err, perm, what)
		}
		k, ok := kindOfAsset(a.GetAssetType())
		if !ok || a.GetResource().GetData() == nil {
			continue
		}
		raw, err := protojson.Marshal(a.GetResource().GetData())
		if err != nil {
			return fs, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cloud Asset Inventory returned malformed data for %s", a.GetName())
		}
		f, err := toResource(k, raw, ps.project)
		if err != nil {
			return fs, err
		}
		fs = append(fs, f)
	}
}

// list lists the project with the Compute Engine and Cloud SQL Admin APIs.
func (ps *projectScan) list(ctx context.Context) {
	var fs []found
	if slices.Contains(ps.svcs, "compute") {
		start := time.Now()
		got, unreachable, err := ps.listCompute(ctx)
		fs = append(fs, got...)
		for _, r := range unreachable {
			ps.items.Add(cloud.ScanItem(ctx, r, "compute", 0, unreachableErr("Compute Engine", r), time.Since(start)))
		}
		if err != nil {
			ps.items.Add(cloud.ScanItem(ctx, "global", "compute", 0, err, time.Since(start)))
		}
	}
	if slices.Contains(ps.svcs, "sqladmin") {
		start := time.Now()
		got, unreachable, err := ps.listSQL(ctx)
		fs = append(fs, got...)
		for _, r := range unreachable {
			ps.items.Add(cloud.ScanItem(ctx, r, "sqladmin", 0, unreachableErr("Cloud SQL", r), time.Since(start)))
		}
		if err != nil {
			ps.items.Add(cloud.ScanItem(ctx, "global", "sqladmin", 0, err, time.Since(start)))
		}
	}
	ps.emit(ctx, fs, 0)
}

func unreachableErr(api, region string) error {
	return valdrix.Errorf(valdrix.EUNAVAILABLE, "%s reported region %s unreachable: its resources there are missing from this scan", api, region)
}

// protoResources converts listed protos of kind k.
func protoResources[M proto.Message](k kind, project string, msgs []M) ([]found, error) {
	out := make([]found, 0, len(msgs))
	for _, m := range msgs {
		raw, err := protojson.Marshal(m)
		if err != nil {
			return out, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Compute Engine returned a malformed %s", k.canonical)
		}
		f, err := toResource(k, raw, project)
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}

// unreachables collects the regions an aggregated list page reports
// unreachable ("zones/us-east1-b", "regions/us-east1").
func unreachables(resp any, into map[string]bool) {
	if r, ok := resp.(interface{ GetUnreachables() []string }); ok {
		for _, s := range r.GetUnreachables() {
			scope := lastSegment(s)
			if strings.HasPrefix(s, "zones/") {
				scope = regionOfZone(scope)
			}
			into[scope] = true
		}
	}
}

// aggregated drains an aggregated list iterator: the items of every scope,
// and the regions reported unreachable.
func aggregated[P any, M proto.Message](next func() (P, error), response func() any, items func(P) []M, warning func(P) (scope, code string), unreachable map[string]bool) ([]M, error) {
	var out []M
	for {
		pair, err := next()
		unreachables(response(), unreachable)
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if scope, code := warning(pair); code == "UNREACHABLE" {
			s := lastSegment(scope)
			if strings.HasPrefix(scope, "zones/") {
				s = regionOfZone(s)
			}
			unreachable[s] = true
		}
		out = append(out, items(pair)...)
	}
}

// listCompute lists instances, disks and addresses with aggregatedList and
// snapshots and images with the global lists. It stops at the first
// failed call, keeping what it listed.
func (ps *projectScan) listCompute(ctx context.Context) ([]found, []string, error) {
	opts := ps.p.options(ctx, ps.s, "compute", "")
	project := ps.project
	unreachable := map[string]bool{}
	var fs []found
	regions := func() []string {
		var out []string
		for r := range unreachable {
			if len(ps.regions) == 0 || slices.Contains(ps.regions, r) {
				out = append(out, r)
			}
		}
		slices.Sort(out)
		return out
	}
	steps := []struct {
		kind, perm string
		run        func() ([]found, error)
	}{
		{"compute.googleapis.com/Instance", "compute.instances.list", func() ([]found, error) {
			c, err := compute.NewInstancesRESTClient(ctx, opts...)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			*c.CallOptions = compute.InstancesCallOptions{}
			it := c.AggregatedList(ctx, &computepb.AggregatedListInstancesRequest{Project: project})
			ms, err := aggregated(it.Next, func() any { return it.Response }, func(p compute.InstancesScopedListPair) []*computepb.Instance { return p.Value.GetInstances() },
				func(p compute.InstancesScopedListPair) (string, string) { return p.Key, p.Value.GetWarning().GetCode() }, unreachable)
			return convert("compute.googleapis.com/Instance", project, ms, err)
		}},
		{"compute.googleapis.com/Disk", "compute.disks.list", func() ([]found, error) {
			c, err := compute.NewDisksRESTClient(ctx, opts...)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			*c.CallOptions = compute.DisksCallOptions{}
			it := c.AggregatedList(ctx, &computepb.AggregatedListDisksRequest{Project: project})
			ms, err := aggregated(it.Next, func() any { return it.Response }, func(p compute.DisksScopedListPair) []*computepb.Disk { return p.Value.GetDisks() },
				func(p compute.DisksScopedListPair) (string, string) { return p.Key, p.Value.GetWarning().GetCode() }, unreachable)
			return convert("compute.googleapis.com/Disk", project, ms, err)
		}},
		{"compute.googleapis.com/Address", "compute.addresses.list", func() ([]found, error) {
			c, err := compute.NewAddressesRESTClient(ctx, opts...)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			*c.CallOptions = compute.AddressesCallOptions{}
			it := c.AggregatedList(ctx, &computepb.AggregatedListAddressesRequest{Project: project})
			ms, err := aggregated(it.Next, func() any { return it.Response }, func(p compute.AddressesScopedListPair) []*computepb.Address { return p.Value.GetAddresses() },
				func(p compute.AddressesScopedListPair) (string, string) { return p.Key, p.Value.GetWarning().GetCode() }, unreachable)
			return convert("compute.googleapis.com/Address", project, ms, err)
		}},
		{"compute.googleapis.com/Snapshot", "compute.snapshots.list", func() ([]found, error) {
			c, err := compute.NewSnapshotsRESTClient(ctx, opts...)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			*c.CallOptions = compute.SnapshotsCallOptions{}
			ms, err := drain(c.List(ctx, &computepb.ListSnapshotsRequest{Project: project}).Next)
			return convert("compute.googleapis.com/Snapshot", project, ms, err)
		}},
		{"compute.googleapis.com/Image", "compute.images.list", func() ([]found, error) {
			c, err := compute.NewImagesRESTClient(ctx, opts...)
			if err != nil {
				return nil, err
			}
			defer c.Close()
			*c.CallOptions = compute.ImagesCallOptions{}
			ms, err := drain(c.List(ctx, &computepb.ListImagesRequest{Project: project}).Next)
			return convert("compute.googleapis.com/Image", project, ms, err)
		}},
	}
	for _, st := range steps {
		got, err := st.run()
		fs = append(fs, got...)
		if err != nil {
			if valdrix.ErrorCode(err) == valdrix.EINTERNAL || isRaw(err) {
				err = translate(err, st.perm, "list "+lastSegment(st.kind)+"s of project "+project)
			}
			return fs, regions(), err
		}
	}
	return fs, regions(), nil
}

// isRaw reports whether err has not been translated yet.
func isRaw(err error) bool {
	var ve *valdrix.Error
	return !errors.As(err, &ve)
}

// convert converts listed protos (also when the listing failed).
func convert[M proto.Message](assetType, project string, ms []M, err error) ([]found, error) {
	k, _ := kindOfAsset(assetType)
	fs, cerr := protoResources(k, project, ms)
	if err != nil {
		return fs, err
	}
	return fs, cerr
}

func drain[M any](next func() (M, error)) ([]M, error) {
	var out []M
	for {
		m, err := next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

// listSQL lists the project's Cloud SQL instances; regions the answer
// warns are unreachable are returned.
func (ps *projectScan) listSQL(ctx context.Context) ([]found, []string, error) {
	svc, err := sqladmin.NewService(ctx, ps.p.options(ctx, ps.s, "sqladmin", "/")...)
	if err != nil {
		return nil, nil, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Cloud SQL Admin client")
	}
	k, _ := kindOfAsset("sqladmin.googleapis.com/Instance")
	var fs []found
	var unreachable []string
	err = svc.Instances.List(ps.project).MaxResults(500).Pages(ctx, func(page *sqladmin.InstancesListResponse) error {
		for _, w := range page.Warnings {
			if w.Code == "REGION_UNREACHABLE" && w.Region != "" && (len(ps.regions) == 0 || slices.Contains(ps.regions, w.Region)) {
				unreachable = append(unreachable, w.Region)
			}
		}
		for _, inst := range page.Items {
			raw, err := inst.MarshalJSON()
			if err != nil {
				return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Cloud SQL Admin returned a malformed instance")
			}
			f, err := toResource(k, raw, ps.project)
			if err != nil {
				return err
			}
			fs = append(fs, f)
		}
		return nil
	})
	if err != nil && isRaw(err) {
		err = translate(err, "cloudsql.instances.list", "list the Cloud SQL instances of project "+ps.project)
	}
	return fs, unreachable, err
}
