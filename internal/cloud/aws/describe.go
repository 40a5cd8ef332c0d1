package aws

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/redshift"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/errgroup"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// scanners describe one service in one region; each returns how many
// resources it emitted (also on error: partial results are kept).
var scanners = map[string]func(context.Context, *regionScan) (int, error){
	"ec2":       scanEC2,
	"elb":       scanELB,
	"elbv2":     scanELBv2,
	"rds":       scanRDS,
	"ecr":       scanECR,
	"redshift":  scanRedshift,
	"sagemaker": scanSageMaker,
	"lambda":    scanLambda,
	"dynamodb":  scanDynamoDB,
	"logs":      scanLogs,
}

// newResource starts a canonical resource of the scan's account and region.
func (s *regionScan) newResource(typ, id, billingID, name, state string, created *time.Time) cloud.Resource {
	r := cloud.Resource{
		Provider: valdrix.AWS, AccountID: s.account(), Region: s.region, Type: typ, ID: id, BillingID: billingID,
		Name: name, State: strings.ToLower(state), Attrs: map[string]string{},
	}
	if created != nil {
		r.CreatedAt = created.UTC()
	}
	return r
}

// emit sends r (dropping empty maps) and counts it.
func (s *regionScan) emit(ctx context.Context, r cloud.Resource, n *int) error {
	if len(r.Attrs) == 0 {
		r.Attrs = nil
	}
	if r.Tags == nil && s.tags != nil {
		r.Tags = s.tags[arnOf(r)]
	}
	if err := s.out.emit(ctx, r); err != nil {
		return err
	}
	*n++
	return nil
}

// arnOf returns the ARN Resource Explorer reports for r.
func arnOf(r cloud.Resource) string {
	if r.Type == "aws.s3.bucket" {
		return "arn:aws:s3:::" + r.ID
	}
	return r.ID
}

func ec2Tags(ts []ec2types.Tag) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return m
}

func rfc(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func setIf(a map[string]string, k, v string) {
	if v != "" {
		a[k] = v
	}
}

func i64(v *int32) string { return strconv.FormatInt(int64(awssdk.ToInt32(v)), 10) }

func scanEC2(ctx context.Context, s *regionScan) (int, error) {
	client := ec2.NewFromConfig(s.cfg)
	n := 0
	steps := []struct {
		action, what string
		run          func() error
	}{
		{"ec2:DescribeInstances", "describe instances", func() error { return s.instances(ctx, client, &n) }},
		{"ec2:DescribeVolumes", "describe volumes", func() error { return s.volumes(ctx, client, &n) }},
		{"ec2:DescribeSnapshots", "describe snapshots", func() error { return s.snapshots(ctx, client, &n) }},
		{"ec2:DescribeAddresses", "describe Elastic IPs", func() error { return s.addresses(ctx, client, &n) }},
		{"ec2:DescribeNatGateways", "describe NAT gateways", func() error { return s.natGateways(ctx, client, &n) }},
		{"ec2:DescribeImages", "describe AMIs", func() error { return s.images(ctx, client, &n) }},
	}
	for _, st := range steps {
		if err := st.run(); err != nil {
			return n, wrapScan(err, st.action, st.what+" in "+s.region)
		}
	}
	return n, nil
}

// wrapScan translates SDK errors and leaves sink errors alone.
func wrapScan(err error, action, what string) error {
	var se errSink
	if errors.As(err, &se) {
		return err
	}
	return translate(err, action, what)
}

var stoppedAtRE = strings.NewReplacer("User initiated (", "", " GMT)", "", ")", "")

func (s *regionScan) instances(ctx context.Context, client *ec2.Client, n *int) error {
	pg := ec2.NewDescribeInstancesPaginator(client, &ec2.DescribeInstancesInput{MaxResults: awssdk.Int32(1000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, res := range out.Reservations {
			for _, in := range res.Instances {
				tags := ec2Tags(in.Tags)
				id := awssdk.ToString(in.InstanceId)
				var state string
				if in.State != nil {
					state = string(in.State.Name)
				}
				r := s.newResource("aws.ec2.instance", id, id, tags["Name"], state, in.LaunchTime)
				r.Tags = tags
				a := r.Attrs
				a["instance_type"], a["image_id"], a["launch_time"] = string(in.InstanceType), awssdk.ToString(in.ImageId), rfc(in.LaunchTime)
				if in.Placement != nil {
					a["availability_zone"] = awssdk.ToString(in.Placement.AvailabilityZone)
				}
				if in.CpuOptions != nil {
					a["vcpus"] = strconv.Itoa(int(awssdk.ToInt32(in.CpuOptions.CoreCount) * awssdk.ToInt32(in.CpuOptions.ThreadsPerCore)))
				}
				a["platform"] = "linux"
				if in.Platform == ec2types.PlatformValuesWindows {
					a["platform"] = "windows"
				}
				if state == "stopped" {
					if t, err := time.Parse("2006-01-02 15:04:05", stoppedAtRE.Replace(awssdk.ToString(in.StateTransitionReason))); err == nil {
						a["stopped_at"] = t.UTC().Format(time.RFC3339)
					}
				}
				if err := s.emit(ctx, r, n); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (s *regionScan) volumes(ctx context.Context, client *ec2.Client, n *int) error {
	pg := ec2.NewDescribeVolumesPaginator(client, &ec2.DescribeVolumesInput{MaxResults: awssdk.Int32(500)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, v := range out.Volumes {
			tags := ec2Tags(v.Tags)
			id := awssdk.ToString(v.VolumeId)
			r := s.newResource("aws.ec2.volume", id, id, tags["Name"], string(v.State), v.CreateTime)
			r.Tags = tags
			a := r.Attrs
			a["volume_type"], a["size_gib"], a["availability_zone"] = string(v.VolumeType), i64(v.Size), awssdk.ToString(v.AvailabilityZone)
			a["encrypted"] = strconv.FormatBool(awssdk.ToBool(v.Encrypted))
			if awssdk.ToInt32(v.Iops) > 0 {
				a["iops"] = i64(v.Iops)
			}
			var att []string
			for _, at := range v.Attachments {
				att = append(att, awssdk.ToString(at.InstanceId))
			}
			setIf(a, "attached_instance_ids", strings.Join(att, ","))
			if err := s.emit(ctx, r, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *regionScan) snapshots(ctx context.Context, client *ec2.Client, n *int) error {
	pg := ec2.NewDescribeSnapshotsPaginator(client, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: awssdk.Int32(1000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, sn := range out.Snapshots {
			tags := ec2Tags(sn.Tags)
			id := awssdk.ToString(sn.SnapshotId)
			arn := "arn:aws:ec2:" + s.region + ":" + s.account() + ":snapshot/" + id
			r := s.newResource("aws.ec2.snapshot", id, arn, tags["Name"], string(sn.State), sn.StartTime)
			r.Tags = tags
			a := r.Attrs
			a["size_gib"], a["description"], a["storage_tier"] = i64(sn.VolumeSize), awssdk.ToString(sn.Description), string(sn.StorageTier)
			setIf(a, "volume_id", awssdk.ToString(sn.VolumeId))
			if err := s.emit(ctx, r, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *regionScan) addresses(ctx context.Context, client *ec2.Client, n *int) error {
	out, err := client.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		return err
	}
	for _, ad := range out.Addresses {
		tags := ec2Tags(ad.Tags)
		id := awssdk.ToString(ad.AllocationId)
		state := "allocated"
		if awssdk.ToString(ad.AssociationId) != "" {
			state = "associated"
		}
		r := s.newResource("aws.ec2.address", id, id, tags["Name"], state, nil)
		r.Tags = tags
		a := r.Attrs
		a["public_ip"], a["allocation_id"], a["domain"] = awssdk.ToString(ad.PublicIp), id, string(ad.Domain)
		setIf(a, "instance_id", awssdk.ToString(ad.InstanceId))
		setIf(a, "association_id", awssdk.ToString(ad.AssociationId))
		if err := s.emit(ctx, r, n); err != nil {
			return err
		}
	}
	return nil
}

func (s *regionScan) natGateways(ctx context.Context, client *ec2.Client, n *int) error {
	pg := ec2.NewDescribeNatGatewaysPaginator(client, &ec2.DescribeNatGatewaysInput{MaxResults: awssdk.Int32(1000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, g := range out.NatGateways {
			tags := ec2Tags(g.Tags)
			id := awssdk.ToString(g.NatGatewayId)
			arn := "arn:aws:ec2:" + s.region + ":" + s.account() + ":natgateway/" + id
			r := s.newResource("aws.ec2.nat_gateway", id, arn, tags["Name"], string(g.State), g.CreateTime)
			r.Tags = tags
			r.Attrs["connectivity_type"] = string(g.ConnectivityType)
			if len(g.NatGatewayAddresses) > 0 {
				setIf(r.Attrs, "public_ip", awssdk.ToString(g.NatGatewayAddresses[0].PublicIp))
			}
			if err := s.emit(ctx, r, n); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *regionScan) images(ctx context.Context, client *ec2.Client, n *int) error {
	pg := ec2.NewDescribeImagesPaginator(client, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: awssdk.Int32(1000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, im := range out.Images {
			tags := ec2Tags(im.Tags)
			id := awssdk.ToString(im.ImageId)
			var created *time.Time
			if t, err := time.Parse(time.RFC3339, awssdk.ToString(im.CreationDate)); err == nil {
				created = &t
			}
			name := tags["Name"]
			if name == "" {
				name = awssdk.ToString(im.Name)
			}
			r := s.newResource("aws.ec2.image", id, id, name, string(im.State), created)
			r.Tags = tags
			a := r.Attrs
			a["architecture"], a["root_device_type"], a["public"] = string(im.Architecture), string(im.RootDeviceType), strconv.FormatBool(awssdk.ToBool(im.Public))
			var snaps []string
			for _, bd := range im.BlockDeviceMappings {
				if bd.Ebs != nil && bd.Ebs.SnapshotId != nil {
					snaps = append(snaps, *bd.Ebs.SnapshotId)
				}
			}
			setIf(a, "snapshot_ids", strings.Join(snaps, ","))
			if err := s.emit(ctx, r, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// details runs fn for each item with the configured concurrency and stops
// at the first error.
func details[T any](ctx context.Context, s *regionScan, items []T, fn func(ctx context.Context, item T) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.p.cfg.DetailConcurrency)
	for _, it := range items {
		g.Go(func() error { return fn(gctx, it) })
	}
	return g.Wait()
}

func scanELB(ctx context.Context, s *regionScan) (int, error) {
	client := elb.NewFromConfig(s.cfg)
	n := 0
	pg := elb.NewDescribeLoadBalancersPaginator(client, &elb.DescribeLoadBalancersInput{PageSize: awssdk.Int32(400)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "elasticloadbalancing:DescribeLoadBalancers", "describe classic load balancers in "+s.region)
		}
		rs := make([]cloud.Resource, len(out.LoadBalancerDescriptions))
		for i, lb := range out.LoadBalancerDescriptions {
			name := awssdk.ToString(lb.LoadBalancerName)
			arn := "arn:aws:elasticloadbalancing:" + s.region + ":" + s.account() + ":loadbalancer/" + name
			r := s.newResource("aws.elb.load_balancer", arn, arn, name, "active", lb.CreatedTime)
			a := r.Attrs
			a["dns_name"], a["scheme"] = awssdk.ToString(lb.DNSName), awssdk.ToString(lb.Scheme)
			var ids []string
			for _, in := range lb.Instances {
				ids = append(ids, awssdk.ToString(in.InstanceId))
			}
			setIf(a, "instance_ids", strings.Join(ids, ","))
			a["instance_count"], a["healthy_count"] = strconv.Itoa(len(ids)), "0"
			rs[i] = r
		}
		var mu sync.Mutex
		err = details(ctx, s, rs, func(ctx context.Context, r cloud.Resource) error {
			if r.Attrs["instance_count"] == "0" {
				return nil
			}
			h, err := client.DescribeInstanceHealth(ctx, &elb.DescribeInstanceHealthInput{LoadBalancerName: awssdk.String(r.Name)})
			if err != nil {
				return err
			}
			healthy := 0
			for _, st := range h.InstanceStates {
				if awssdk.ToString(st.State) == "InService" {
					healthy++
				}
			}
			mu.Lock()
			r.Attrs["healthy_count"] = strconv.Itoa(healthy)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return n, wrapScan(err, "elasticloadbalancing:DescribeInstanceHealth", "read classic load balancer health in "+s.region)
		}
		if s.tags == nil {
			if err := s.elbTags(ctx, client, rs); err != nil {
				return n, err
			}
		}
		for _, r := range rs {
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// elbTags reads classic load balancer tags 20 at a time (without Resource
// Explorer).
func (s *regionScan) elbTags(ctx context.Context, client *elb.Client, rs []cloud.Resource) error {
	for i := 0; i < len(rs); i += 20 {
		batch := rs[i:min(i+20, len(rs))]
		names := make([]string, len(batch))
		for j, r := range batch {
			names[j] = r.Name
		}
		out, err := client.DescribeTags(ctx, &elb.DescribeTagsInput{LoadBalancerNames: names})
		if err != nil {
			return wrapScan(err, "elasticloadbalancing:DescribeTags", "read load balancer tags in "+s.region)
		}
		byName := map[string]map[string]string{}
		for _, d := range out.TagDescriptions {
			m := map[string]string{}
			for _, t := range d.Tags {
				m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
			}
			byName[awssdk.ToString(d.LoadBalancerName)] = m
		}
		for j := range batch {
			batch[j].Tags = byName[batch[j].Name]
		}
	}
	return nil
}

func scanELBv2(ctx context.Context, s *regionScan) (int, error) {
	client := elbv2.NewFromConfig(s.cfg)
	n := 0
	lbs := elbv2.NewDescribeLoadBalancersPaginator(client, &elbv2.DescribeLoadBalancersInput{PageSize: awssdk.Int32(400)})
	for lbs.HasMorePages() {
		out, err := lbs.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "elasticloadbalancing:DescribeLoadBalancers", "describe load balancers in "+s.region)
		}
		rs := make([]cloud.Resource, 0, len(out.LoadBalancers))
		for _, lb := range out.LoadBalancers {
			arn := awssdk.ToString(lb.LoadBalancerArn)
			var state string
			if lb.State != nil {
				state = string(lb.State.Code)
			}
			r := s.newResource("aws.elbv2.load_balancer", arn, arn, awssdk.ToString(lb.LoadBalancerName), state, lb.CreatedTime)
			r.Attrs["lb_type"], r.Attrs["dns_name"], r.Attrs["scheme"] = string(lb.Type), awssdk.ToString(lb.DNSName), string(lb.Scheme)
			rs = append(rs, r)
		}
		if err := s.elbv2Emit(ctx, client, rs, &n); err != nil {
			return n, err
		}
	}
	tgs := elbv2.NewDescribeTargetGroupsPaginator(client, &elbv2.DescribeTargetGroupsInput{PageSize: awssdk.Int32(400)})
	for tgs.HasMorePages() {
		out, err := tgs.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "elasticloadbalancing:DescribeTargetGroups", "describe target groups in "+s.region)
		}
		rs := make([]cloud.Resource, len(out.TargetGroups))
		for i, tg := range out.TargetGroups {
			arn := awssdk.ToString(tg.TargetGroupArn)
			r := s.newResource("aws.elbv2.target_group", arn, arn, awssdk.ToString(tg.TargetGroupName), "active", nil)
			a := r.Attrs
			a["protocol"], a["port"], a["target_type"] = string(tg.Protocol), i64(tg.Port), string(tg.TargetType)
			setIf(a, "load_balancer_arns", strings.Join(tg.LoadBalancerArns, ","))
			rs[i] = r
		}
		var mu sync.Mutex
		err = details(ctx, s, rs, func(ctx context.Context, r cloud.Resource) error {
			h, err := client.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: awssdk.String(r.ID)})
			if err != nil {
				return err
			}
			var ids []string
			healthy := 0
			for _, d := range h.TargetHealthDescriptions {
				if d.Target != nil {
					ids = append(ids, awssdk.ToString(d.Target.Id))
				}
				if d.TargetHealth != nil && d.TargetHealth.State == "healthy" {
					healthy++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			setIf(r.Attrs, "target_ids", strings.Join(ids, ","))
			r.Attrs["target_count"], r.Attrs["healthy_count"] = strconv.Itoa(len(ids)), strconv.Itoa(healthy)
			return nil
		})
		if err != nil {
			return n, wrapScan(err, "elasticloadbalancing:DescribeTargetHealth", "read target health in "+s.region)
		}
		if err := s.elbv2Emit(ctx, client, rs, &n); err != nil {
			return n, err
		}
	}
	return n, nil
}

// elbv2Emit adds tags (DescribeTags, 20 ARNs at a time, when Resource
// Explorer gave none) and emits.
func (s *regionScan) elbv2Emit(ctx context.Context, client *elbv2.Client, rs []cloud.Resource, n *int) error {
	if s.tags == nil {
		for i := 0; i < len(rs); i += 20 {
			batch := rs[i:min(i+20, len(rs))]
			arns := make([]string, len(batch))
			for j, r := range batch {
				arns[j] = r.ID
			}
			out, err := client.DescribeTags(ctx, &elbv2.DescribeTagsInput{ResourceArns: arns})
			if err != nil {
				return wrapScan(err, "elasticloadbalancing:DescribeTags", "read load balancer tags in "+s.region)
			}
			byARN := map[string]map[string]string{}
			for _, d := range out.TagDescriptions {
				m := map[string]string{}
				for _, t := range d.Tags {
					m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
				}
				byARN[awssdk.ToString(d.ResourceArn)] = m
			}
			for j := range batch {
				batch[j].Tags = byARN[batch[j].ID]
			}
		}
	}
	for _, r := range rs {
		if err := s.emit(ctx, r, n); err != nil {
			return err
		}
	}
	return nil
}

func rdsTags(ts []rdstypes.Tag) map[string]string {
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
	}
	return m
}

func scanRDS(ctx context.Context, s *regionScan) (int, error) {
	client := rds.NewFromConfig(s.cfg)
	n := 0
	dbs := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{MaxRecords: awssdk.Int32(100)})
	for dbs.HasMorePages() {
		out, err := dbs.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "rds:DescribeDBInstances", "describe RDS instances in "+s.region)
		}
		for _, db := range out.DBInstances {
			arn := awssdk.ToString(db.DBInstanceArn)
			r := s.newResource("aws.rds.db_instance", arn, arn, awssdk.ToString(db.DBInstanceIdentifier), awssdk.ToString(db.DBInstanceStatus), db.InstanceCreateTime)
			r.Tags = rdsTags(db.TagList)
			a := r.Attrs
			a["instance_class"], a["engine"], a["engine_version"] = awssdk.ToString(db.DBInstanceClass), awssdk.ToString(db.Engine), awssdk.ToString(db.EngineVersion)
			a["allocated_storage_gib"], a["storage_type"], a["multi_az"] = i64(db.AllocatedStorage), awssdk.ToString(db.StorageType), strconv.FormatBool(awssdk.ToBool(db.MultiAZ))
			a["availability_zone"] = awssdk.ToString(db.AvailabilityZone)
			setIf(a, "engine_lifecycle_support", awssdk.ToString(db.EngineLifecycleSupport))
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	snaps := rds.NewDescribeDBSnapshotsPaginator(client, &rds.DescribeDBSnapshotsInput{MaxRecords: awssdk.Int32(100)})
	for snaps.HasMorePages() {
		out, err := snaps.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "rds:DescribeDBSnapshots", "describe RDS snapshots in "+s.region)
		}
		for _, sn := range out.DBSnapshots {
			arn := awssdk.ToString(sn.DBSnapshotArn)
			r := s.newResource("aws.rds.db_snapshot", arn, arn, awssdk.ToString(sn.DBSnapshotIdentifier), awssdk.ToString(sn.Status), sn.SnapshotCreateTime)
			r.Tags = rdsTags(sn.TagList)
			a := r.Attrs
			a["snapshot_type"], a["allocated_storage_gib"], a["db_instance_id"] = awssdk.ToString(sn.SnapshotType), i64(sn.AllocatedStorage), awssdk.ToString(sn.DBInstanceIdentifier)
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func scanRedshift(ctx context.Context, s *regionScan) (int, error) {
	client := redshift.NewFromConfig(s.cfg)
	n := 0
	pg := redshift.NewDescribeClustersPaginator(client, &redshift.DescribeClustersInput{MaxRecords: awssdk.Int32(100)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "redshift:DescribeClusters", "describe Redshift clusters in "+s.region)
		}
		for _, c := range out.Clusters {
			name := awssdk.ToString(c.ClusterIdentifier)
			arn := "arn:aws:redshift:" + s.region + ":" + s.account() + ":cluster:" + name
			r := s.newResource("aws.redshift.cluster", arn, arn, name, awssdk.ToString(c.ClusterStatus), c.ClusterCreateTime)
			r.Tags = map[string]string{}
			for _, t := range c.Tags {
				r.Tags[awssdk.ToString(t.Key)] = awssdk.ToString(t.Value)
			}
			r.Attrs["node_type"], r.Attrs["node_count"] = awssdk.ToString(c.NodeType), i64(c.NumberOfNodes)
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func scanECR(ctx context.Context, s *regionScan) (int, error) {
	client := ecr.NewFromConfig(s.cfg)
	n := 0
	pg := ecr.NewDescribeRepositoriesPaginator(client, &ecr.DescribeRepositoriesInput{MaxResults: awssdk.Int32(1000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "ecr:DescribeRepositories", "describe ECR repositories in "+s.region)
		}
		rs := make([]cloud.Resource, len(out.Repositories))
		for i, repo := range out.Repositories {
			arn := awssdk.ToString(repo.RepositoryArn)
			r := s.newResource("aws.ecr.repository", arn, arn, awssdk.ToString(repo.RepositoryName), "active", repo.CreatedAt)
			r.Attrs["repository_uri"] = awssdk.ToString(repo.RepositoryUri)
			rs[i] = r
		}
		var mu sync.Mutex
		err = details(ctx, s, rs, func(ctx context.Context, r cloud.Resource) error {
			_, err := client.GetLifecyclePolicy(ctx, &ecr.GetLifecyclePolicyInput{RepositoryName: awssdk.String(r.Name)})
			var nf *ecrtypes.LifecyclePolicyNotFoundException
			has := err == nil
			if err != nil && !errors.As(err, &nf) {
				return err
			}
			mu.Lock()
			r.Attrs["lifecycle_policy"] = strconv.FormatBool(has)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return n, wrapScan(err, "ecr:GetLifecyclePolicy", "read ECR lifecycle policies in "+s.region)
		}
		for _, r := range rs {
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func scanSageMaker(ctx context.Context, s *regionScan) (int, error) {
	client := sagemaker.NewFromConfig(s.cfg)
	n := 0
	pg := sagemaker.NewListEndpointsPaginator(client, &sagemaker.ListEndpointsInput{MaxResults: awssdk.Int32(100)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "sagemaker:ListEndpoints", "list SageMaker endpoints in "+s.region)
		}
		for _, ep := range out.Endpoints {
			arn := awssdk.ToString(ep.EndpointArn)
			r := s.newResource("aws.sagemaker.endpoint", arn, arn, awssdk.ToString(ep.EndpointName), string(ep.EndpointStatus), ep.CreationTime)
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func scanLambda(ctx context.Context, s *regionScan) (int, error) {
	client := lambda.NewFromConfig(s.cfg)
	n := 0
	pg := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{MaxItems: awssdk.Int32(50)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "lambda:ListFunctions", "list Lambda functions in "+s.region)
		}
		for _, fn := range out.Functions {
			arn := awssdk.ToString(fn.FunctionArn)
			state := string(fn.State)
			if state == "" {
				state = "active"
			}
			r := s.newResource("aws.lambda.function", arn, arn, awssdk.ToString(fn.FunctionName), state, nil)
			a := r.Attrs
			a["runtime"], a["memory_mb"], a["code_size_bytes"] = string(fn.Runtime), i64(fn.MemorySize), strconv.FormatInt(fn.CodeSize, 10)
			if t, err := time.Parse("2006-01-02T15:04:05.000-0700", awssdk.ToString(fn.LastModified)); err == nil {
				a["last_modified"] = t.UTC().Format(time.RFC3339)
			}
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func scanDynamoDB(ctx context.Context, s *regionScan) (int, error) {
	client := dynamodb.NewFromConfig(s.cfg)
	n := 0
	pg := dynamodb.NewListTablesPaginator(client, &dynamodb.ListTablesInput{Limit: awssdk.Int32(100)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "dynamodb:ListTables", "list DynamoDB tables in "+s.region)
		}
		rs := make([]cloud.Resource, len(out.TableNames))
		err = details(ctx, s, indices(len(out.TableNames)), func(ctx context.Context, i int) error {
			d, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: awssdk.String(out.TableNames[i])})
			if err != nil {
				return err
			}
			t := d.Table
			arn := awssdk.ToString(t.TableArn)
			r := s.newResource("aws.dynamodb.table", arn, arn, awssdk.ToString(t.TableName), string(t.TableStatus), t.CreationDateTime)
			a := r.Attrs
			a["size_bytes"], a["item_count"] = strconv.FormatInt(awssdk.ToInt64(t.TableSizeBytes), 10), strconv.FormatInt(awssdk.ToInt64(t.ItemCount), 10)
			mode := "PROVISIONED"
			if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode != "" {
				mode = string(t.BillingModeSummary.BillingMode)
			}
			a["billing_mode"] = mode
			if mode == "PROVISIONED" && t.ProvisionedThroughput != nil {
				a["read_capacity"] = strconv.FormatInt(awssdk.ToInt64(t.ProvisionedThroughput.ReadCapacityUnits), 10)
				a["write_capacity"] = strconv.FormatInt(awssdk.ToInt64(t.ProvisionedThroughput.WriteCapacityUnits), 10)
			}
			rs[i] = r
			return nil
		})
		if err != nil {
			return n, wrapScan(err, "dynamodb:DescribeTable", "describe DynamoDB tables in "+s.region)
		}
		for _, r := range rs {
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func indices(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func scanLogs(ctx context.Context, s *regionScan) (int, error) {
	client := cloudwatchlogs.NewFromConfig(s.cfg)
	n := 0
	pg := cloudwatchlogs.NewDescribeLogGroupsPaginator(client, &cloudwatchlogs.DescribeLogGroupsInput{Limit: awssdk.Int32(50)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "logs:DescribeLogGroups", "describe log groups in "+s.region)
		}
		for _, g := range out.LogGroups {
			arn := awssdk.ToString(g.LogGroupArn)
			if arn == "" {
				arn = strings.TrimSuffix(awssdk.ToString(g.Arn), ":*")
			}
			var created *time.Time
			if g.CreationTime != nil {
				t := time.UnixMilli(*g.CreationTime)
				created = &t
			}
			r := s.newResource("aws.logs.log_group", arn, arn, awssdk.ToString(g.LogGroupName), "active", created)
			r.Attrs["stored_bytes"] = strconv.FormatInt(awssdk.ToInt64(g.StoredBytes), 10)
			if g.RetentionInDays != nil {
				r.Attrs["retention_days"] = i64(g.RetentionInDays)
			}
			if err := s.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// scanBuckets lists the account's buckets once (S3 is global) and keeps
// those in the scanned regions.
func (p *Provider) scanBuckets(ctx context.Context, s *regionScan, regions []string, withExplorer bool) (int, error) {
	if withExplorer {
		if re, err := p.findResourceExplorer(ctx, s.conn); err == nil {
			if tags, _, err := p.exploreFilter(ctx, s.conn, re, "service:s3"); err == nil {
				s.tags = tags
			}
		}
	}
	client := s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.UsePathStyle = p.cfg.Endpoint != "" })
	n := 0
	pg := s3.NewListBucketsPaginator(client, &s3.ListBucketsInput{MaxBuckets: awssdk.Int32(10000)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			return n, wrapScan(err, "s3:ListAllMyBuckets", "list S3 buckets")
		}
		for _, b := range out.Buckets {
			region := awssdk.ToString(b.BucketRegion)
			if region == "" {
				region = p.cfg.STSRegion
			}
			if !containsRegion(regions, region) {
				continue
			}
			name := awssdk.ToString(b.Name)
			rs := *s
			rs.region = region
			r := rs.newResource("aws.s3.bucket", name, name, name, "active", b.CreationDate)
			if err := rs.emit(ctx, r, &n); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func containsRegion(rs []string, r string) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}
