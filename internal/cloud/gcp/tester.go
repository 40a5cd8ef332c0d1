package gcp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	asset "cloud.google.com/go/asset/apiv1"
	"cloud.google.com/go/asset/apiv1/assetpb"
	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"
	monitoring "google.golang.org/api/monitoring/v3"

	"github.com/valdrix/valdrix/internal/cloud"
)

// Check names.
const (
	CheckToken          = "token"
	CheckResourceSearch = "resource_search"
	CheckList           = "list"
	CheckMetrics        = "read_metrics"
	CheckExport         = "read_export"
)

// Test implements cloud.Tester: it gets a token, lists assets and
// instances, reads a metric in each project and lists the billing export's
// partitions, reporting each permission on its own.
func (p *Provider) Test(ctx context.Context, conn cloud.Connection) (cloud.TestReport, error) {
	g, err := p.connection(conn)
	if err != nil {
		return cloud.TestReport{}, err
	}
	var rep cloud.TestReport
	add := func(name string, err error, permission, remedy string) {
		if isDisabled(err) {
			permission = "" // an API that is off is not a missing permission
		}
		rep.Checks = append(rep.Checks, cloud.CheckOf(name, err, permission, remedy))
	}
	s, err := p.signIn(ctx, conn)
	if err != nil {
		add(CheckToken, err, "", "Create a new JSON key for the service account (IAM → Service accounts → Keys) and paste it whole; "+
			"a deleted or disabled key or service account is refused. With workload identity federation, check the pool provider's audience, "+
			"its attribute condition and that the principal may impersonate the service account (roles/iam.workloadIdentityUser).")
		for _, n := range []string{CheckResourceSearch, CheckList, CheckMetrics, CheckExport} {
			rep.Checks = append(rep.Checks, cloud.Check{Name: n, Status: cloud.CheckSkipped, Message: "not tried: no access token"})
		}
		rep.Finish()
		return rep, nil
	}
	add(CheckToken, nil, "", "")
	grant := func(role string) string {
		return fmt.Sprintf("Grant the service account %s on each project (gcloud projects add-iam-policy-binding <project> --member serviceAccount:<email> --role %s), "+
			"or on the folder or organization above them.", role, role)
	}

	ac, err := asset.NewRESTClient(ctx, p.options(ctx, s, "cloudasset", "")...)
	if err == nil {
		*ac.CallOptions = asset.CallOptions{}
		err = eachProject(g.Projects, func(project string) error {
			_, err := ac.ListAssets(ctx, &assetpb.ListAssetsRequest{Parent: "projects/" + project, AssetTypes: assetTypes(services),
				ContentType: assetpb.ContentType_RESOURCE, PageSize: 1}).Next()
			return translate(done(err), "cloudasset.assets.listResource", "list assets of project "+project)
		})
		_ = ac.Close()
	}
	remedy := grant("roles/cloudasset.viewer") + " Enable the Cloud Asset API in the projects too (APIs & Services); without it Valdrix lists each service, which is slower."
	add(CheckResourceSearch, err, "cloudasset.assets.listResource", remedy)

	ic, err := compute.NewInstancesRESTClient(ctx, p.options(ctx, s, "compute", "")...)
	if err == nil {
		*ic.CallOptions = compute.InstancesCallOptions{}
		err = eachProject(g.Projects, func(project string) error {
			_, err := ic.AggregatedList(ctx, &computepb.AggregatedListInstancesRequest{Project: project, MaxResults: ptr(uint32(1))}).Next()
			return translate(done(err), "compute.instances.list", "list the instances of project "+project)
		})
		_ = ic.Close()
	}
	add(CheckList, err, "compute.instances.list", grant("roles/compute.viewer")+" Cloud SQL needs roles/cloudsql.viewer.")

	ms, err := monitoring.NewService(ctx, p.options(ctx, s, "monitoring", "/")...)
	if err == nil {
		now := p.cfg.Clock.Now().UTC().Truncate(time.Hour)
		err = eachProject(g.Projects, func(project string) error {
			_, err := ms.Projects.TimeSeries.List("projects/" + project).Filter(`metric.type = "compute.googleapis.com/instance/cpu/utilization"`).
				IntervalStartTime(now.Add(-time.Hour).Format(time.RFC3339)).IntervalEndTime(now.Format(time.RFC3339)).
				AggregationAlignmentPeriod("3600s").AggregationPerSeriesAligner("ALIGN_MEAN").PageSize(1).Context(ctx).Do()
			return translate(err, "monitoring.timeSeries.list", "read Cloud Monitoring metrics of project "+project)
		})
	}
	add(CheckMetrics, err, "monitoring.timeSeries.list", grant("roles/monitoring.viewer")+" Without it idle-resource rules report unknown.")

	if g.BillingTable == "" {
		rep.Checks = append(rep.Checks, cloud.Check{Name: CheckExport, Status: cloud.CheckSkipped, Message: "no billing export table is configured"})
	} else {
		_, err := p.ListBillingPeriods(ctx, conn)
		t := parseTable(g.BillingTable)
		add(CheckExport, err, "bigquery.jobs.create", fmt.Sprintf(
			"Grant the service account roles/bigquery.jobUser on project %s and roles/bigquery.dataViewer on the dataset %s.%s "+
				"(bq add-iam-policy-binding --member serviceAccount:<email> --role roles/bigquery.dataViewer %s:%s).",
			t.project, t.project, t.dataset, t.project, t.dataset))
	}
	rep.Finish()
	return rep, nil
}

// eachProject runs fn for every project and returns the first error,
// naming every project that failed.
func eachProject(projects []string, fn func(project string) error) error {
	var first error
	var failed []string
	for _, pr := range projects {
		if err := fn(pr); err != nil {
			if first == nil {
				first = err
			}
			failed = append(failed, pr)
		}
	}
	if len(failed) > 1 {
		return fmt.Errorf("projects %s: %w", strings.Join(failed, ", "), first)
	}
	return first
}

// done turns the end of an iterator into success.
func done(err error) error {
	if errors.Is(err, iterator.Done) {
		return nil
	}
	return err
}

func ptr[T any](v T) *T { return &v }
