package aws

import (
	"context"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	re2 "github.com/aws/aws-sdk-go-v2/service/resourceexplorer2"
	re2types "github.com/aws/aws-sdk-go-v2/service/resourceexplorer2/types"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// explorer is an account's Resource Explorer aggregator index and view.
type explorer struct {
	region string
	view   string
}

// findResourceExplorer finds the aggregator index and its default view
// (or the first view); ENOTFOUND when Resource Explorer is not set up.
func (p *Provider) findResourceExplorer(ctx context.Context, conn cloud.Connection) (*explorer, error) {
	out, err := re2.NewFromConfig(p.config(conn, p.cfg.STSRegion)).ListIndexes(ctx, &re2.ListIndexesInput{Type: re2types.IndexTypeAggregator})
	if err != nil {
		return nil, translate(err, "resource-explorer-2:ListIndexes", "find the Resource Explorer index")
	}
	if len(out.Indexes) == 0 {
		return nil, valdrix.Errorf(valdrix.ENOTFOUND, "Resource Explorer has no aggregator index in account %s", conn.AWS.AccountID)
	}
	region := awssdk.ToString(out.Indexes[0].Region)
	client := re2.NewFromConfig(p.config(conn, region))
	if v, err := client.GetDefaultView(ctx, &re2.GetDefaultViewInput{}); err == nil && awssdk.ToString(v.ViewArn) != "" {
		return &explorer{region: region, view: awssdk.ToString(v.ViewArn)}, nil
	}
	views, err := client.ListViews(ctx, &re2.ListViewsInput{})
	if err != nil {
		return nil, translate(err, "resource-explorer-2:ListViews", "find a Resource Explorer view")
	}
	if len(views.Views) == 0 {
		return nil, valdrix.Errorf(valdrix.ENOTFOUND, "Resource Explorer has no view in %s", region)
	}
	return &explorer{region: region, view: views.Views[0]}, nil
}

// describeHasTags lists the Resource Explorer services whose describe calls
// return tags themselves.
func describeHasTags(service string) bool {
	return service == "ec2" || service == "rds" || service == "redshift"
}

// tagServices are the Resource Explorer services whose describe calls do
// not return tags; Resource Explorer supplies them.
const tagServices = "service:elasticloadbalancing service:ecr service:sagemaker service:lambda service:dynamodb service:logs"

// explore returns the tags, by ARN, of the region's resources whose
// describe calls do not carry them (one paginated ListResources instead of
// a tag call per resource).
func (p *Provider) explore(ctx context.Context, conn cloud.Connection, re *explorer, region string) (map[string]map[string]string, error) {
	tags, _, err := p.exploreFilter(ctx, conn, re, "region:"+region+" "+tagServices)
	return tags, err
}

func (p *Provider) exploreFilter(ctx context.Context, conn cloud.Connection, re *explorer, filter string) (map[string]map[string]string, map[string]int, error) {
	client := re2.NewFromConfig(p.config(conn, re.region))
	pg := re2.NewListResourcesPaginator(client, &re2.ListResourcesInput{
		ViewArn: awssdk.String(re.view), MaxResults: awssdk.Int32(1000),
		Filters: &re2types.SearchFilter{FilterString: awssdk.String(filter)},
	})
	tags := map[string]map[string]string{}
	counts := map[string]int{}
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return nil, nil, translate(err, "resource-explorer-2:ListResources", "list resources with Resource Explorer")
		}
		for _, r := range out.Resources {
			svc := awssdk.ToString(r.Service)
			counts[svc]++
			if describeHasTags(svc) {
				continue
			}
			t := map[string]string{}
			for _, prop := range r.Properties {
				if awssdk.ToString(prop.Name) != "tags" || prop.Data == nil {
					continue
				}
				var kv []struct{ Key, Value string }
				if err := prop.Data.UnmarshalSmithyDocument(&kv); err == nil {
					for _, e := range kv {
						t[e.Key] = e.Value
					}
				}
			}
			tags[awssdk.ToString(r.Arn)] = t
		}
	}
	return tags, counts, nil
}
