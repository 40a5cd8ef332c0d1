package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	re2 "github.com/aws/aws-sdk-go-v2/service/resourceexplorer2"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Check names.
const (
	CheckAssumeRole     = "assume_role"
	CheckResourceSearch = "resource_search"
	CheckDescribe       = "describe"
	CheckMetrics        = "read_metrics"
	CheckExport         = "read_export"
)

// Test implements cloud.Tester: it assumes the role, searches with Resource
// Explorer, makes a describe call, reads a metric and lists the export
// bucket, reporting each permission on its own.
func (p *Provider) Test(ctx context.Context, conn cloud.Connection) (cloud.TestReport, error) {
	a, err := p.connection(conn)
	if err != nil {
		return cloud.TestReport{}, err
	}
	var rep cloud.TestReport
	add := func(name string, err error, action, remedy string) {
		c := cloud.Check{Name: name, Status: cloud.CheckOK}
		if err != nil {
			c.Status, c.Code, c.Message = cloud.CheckFailed, valdrix.ErrorCode(err), valdrix.ErrorMessage(err)
			c.MissingPermission = MissingPermission(err)
			if c.MissingPermission == "" && c.Code == valdrix.EFORBIDDEN {
				c.MissingPermission = action
			}
			c.Remedy = remedy
		}
		rep.Checks = append(rep.Checks, c)
	}
	skip := func(names ...string) {
		for _, n := range names {
			rep.Checks = append(rep.Checks, cloud.Check{Name: n, Status: cloud.CheckSkipped, Message: "not tried: the role could not be assumed"})
		}
	}
	if err := p.assume(ctx, conn); err != nil {
		add(CheckAssumeRole, err, "sts:AssumeRole", fmt.Sprintf(
			"Deploy the Valdrix role in account %s (CloudFormation quick-create link or Terraform module) with ExternalId %s, "+
				"and check that its trust policy allows the Valdrix platform principal with that external id.", a.AccountID, a.ExternalID))
		skip(CheckResourceSearch, CheckDescribe, CheckMetrics, CheckExport)
		rep.Finish()
		return rep, nil
	}
	add(CheckAssumeRole, nil, "", "")

	re, err := p.findResourceExplorer(ctx, conn)
	if err == nil {
		_, err = re2.NewFromConfig(p.config(conn, re.region)).Search(ctx, &re2.SearchInput{
			QueryString: awssdk.String(""), ViewArn: awssdk.String(re.view), MaxResults: awssdk.Int32(1),
		})
		err = translate(err, "resource-explorer-2:Search", "search with Resource Explorer")
	}
	remedy := "Allow resource-explorer-2:ListIndexes, GetDefaultView, ListViews, Search and ListResources in the role; " +
		"if Resource Explorer is off, turn it on with an aggregator index (Resource Explorer → Quick setup). Without it Valdrix describes every service, which is slower."
	add(CheckResourceSearch, err, "resource-explorer-2:Search", remedy)

	region := p.cfg.STSRegion
	if len(a.Regions) > 0 {
		region = a.Regions[0]
	}
	_, err = ec2.NewFromConfig(p.config(conn, region)).DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: awssdk.Int32(5)})
	add(CheckDescribe, translate(err, "ec2:DescribeInstances", "describe instances in "+region), "ec2:DescribeInstances",
		"Attach the Valdrix read-only policy (deploy/aws/valdrix-role.cfn.yaml) to the role: it allows the describe and list calls of the inventory.")

	now := p.cfg.Clock.Now()
	_, err = cloudwatch.NewFromConfig(p.config(conn, region)).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: awssdk.Time(now.Add(-time.Hour)), EndTime: awssdk.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: awssdk.String("probe"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: awssdk.String("AWS/EC2"), MetricName: awssdk.String("CPUUtilization"),
				Dimensions: []cwtypes.Dimension{{Name: awssdk.String("InstanceId"), Value: awssdk.String("i-00000000000000000")}}},
			Period: awssdk.Int32(3600), Stat: awssdk.String("Average")}}},
	})
	add(CheckMetrics, translate(err, "cloudwatch:GetMetricData", "read CloudWatch metrics"), "cloudwatch:GetMetricData",
		"Allow cloudwatch:GetMetricData in the role; without it idle-resource rules report unknown.")

	if a.ExportBucket == "" {
		rep.Checks = append(rep.Checks, cloud.Check{Name: CheckExport, Status: cloud.CheckSkipped, Message: "no CUR 2.0 export bucket is configured"})
	} else {
		client := s3.NewFromConfig(p.config(conn, a.ExportRegion), func(o *s3.Options) { o.UsePathStyle = p.cfg.Endpoint != "" })
		_, err = client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: awssdk.String(a.ExportBucket), Prefix: awssdk.String(a.ExportPrefix), MaxKeys: awssdk.Int32(1)})
		add(CheckExport, translate(err, "s3:ListBucket", "list the export bucket s3://"+a.ExportBucket+"/"+a.ExportPrefix), "s3:ListBucket",
			fmt.Sprintf("Allow s3:ListBucket on arn:aws:s3:::%s and s3:GetObject on arn:aws:s3:::%s/%s* in the role (the templates' ExportBucket parameter does this).",
				a.ExportBucket, a.ExportBucket, a.ExportPrefix))
	}
	rep.Finish()
	return rep, nil
}
