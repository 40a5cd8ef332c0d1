package cloudsim

import (
	"strconv"
	"strings"
)

// Handlers of the awsQuery services: ELB (classic), ELBv2, RDS, Redshift.

const (
	elbXMLNS      = "http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/"
	elbv2XMLNS    = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
	rdsXMLNS      = "http://rds.amazonaws.com/doc/2014-10-31/"
	redshiftXMLNS = "http://redshift.amazonaws.com/doc/2012-12-01/"
)

var (
	elbHandlers = map[string]awsHandler{
		"DescribeLoadBalancers":  (*Sim).elbDescribeLoadBalancers,
		"DescribeInstanceHealth": (*Sim).elbDescribeInstanceHealth,
		"DescribeTags":           (*Sim).elbDescribeTags,
	}
	elbv2Handlers = map[string]awsHandler{
		"DescribeLoadBalancers": (*Sim).elbv2DescribeLoadBalancers,
		"DescribeTargetGroups":  (*Sim).elbv2DescribeTargetGroups,
		"DescribeTargetHealth":  (*Sim).elbv2DescribeTargetHealth,
		"DescribeTags":          (*Sim).elbv2DescribeTags,
	}
	rdsHandlers = map[string]awsHandler{
		"DescribeDBInstances": (*Sim).rdsDescribeDBInstances,
		"DescribeDBSnapshots": (*Sim).rdsDescribeDBSnapshots,
	}
	redshiftHandlers = map[string]awsHandler{
		"DescribeClusters": (*Sim).redshiftDescribeClusters,
	}
)

// queryPage pages kind k with the size parameter sizeParam (PageSize or
// MaxRecords) and the Marker token.
func (s *Sim) queryPage(q *awsReq, k Kind, sizeParam string, minSize, maxSize int) (from, to int, next string, err error) {
	size := maxSize
	if v := q.form.Get(sizeParam); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < minSize || n > maxSize {
			return 0, 0, "", apiError{400, "ValidationError", sizeParam + " must be between " + strconv.Itoa(minSize) + " and " + strconv.Itoa(maxSize)}
		}
		size = n
	}
	for key := range q.form {
		if strings.HasPrefix(key, "Filters.") || strings.HasPrefix(key, "Names.") || strings.HasPrefix(key, "LoadBalancerArns.") ||
			strings.HasPrefix(key, "TargetGroupArns.") || strings.HasPrefix(key, "LoadBalancerNames.") {
			return 0, 0, "", apiError{400, "ValidationError", "The simulator does not support " + key + " on " + q.op}
		}
	}
	lo, hi := s.kindRange(q, k)
	from, to, next, err = page(q.form.Get("Marker"), size, hi-lo)
	return lo + from, lo + to, next, err
}

func (s *Sim) elbDescribeLoadBalancers(q *awsReq) error {
	from, to, next, err := s.queryPage(q, AWSClassicLoadBalancer, "PageSize", 1, 400)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("LoadBalancerDescriptions")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("member")
		b.leaf("LoadBalancerName", x.Name)
		b.leaf("DNSName", e.DNSName(i))
		b.time("CreatedTime", x.Created)
		b.leaf("Scheme", "internet-facing")
		b.leaf("VPCId", "vpc-0a1b2c3d")
		b.open("Instances")
		for _, t := range e.links[int32(i)] {
			b.open("member")
			b.leaf("InstanceId", e.Resources[t].ID)
			b.close("member")
		}
		b.close("Instances")
		b.open("AvailabilityZones")
		b.leaf("member", zoneName(q.region, 0))
		b.close("AvailabilityZones")
		b.close("member")
	}
	b.close("LoadBalancerDescriptions")
	b.opt("NextMarker", next)
	writeQuery(q.w, "DescribeLoadBalancers", elbXMLNS, b.Bytes())
	return nil
}

func (s *Sim) elbDescribeInstanceHealth(q *awsReq) error {
	e := s.estate
	i, ok := e.LookupName(q.form.Get("LoadBalancerName"), q.region)
	if !ok || e.AccountOf(i) != &e.Accounts[q.sess.account] || e.Resources[i].Kind != AWSClassicLoadBalancer {
		return apiError{400, "LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '" + q.form.Get("LoadBalancerName") + "'"}
	}
	var b xw
	b.open("InstanceStates")
	for _, t := range e.links[int32(i)] {
		b.open("member")
		b.leaf("InstanceId", e.Resources[t].ID)
		if e.TargetHealthy(int(t)) {
			b.leaf("State", "InService")
			b.leaf("ReasonCode", "N/A")
		} else {
			b.leaf("State", "OutOfService")
			b.leaf("ReasonCode", "Instance")
		}
		b.leaf("Description", "N/A")
		b.close("member")
	}
	b.close("InstanceStates")
	writeQuery(q.w, "DescribeInstanceHealth", elbXMLNS, b.Bytes())
	return nil
}

// listParam returns the values of a query list parameter "name.member.N".
func listParam(q *awsReq, name string) []string {
	var out []string
	for n := 1; ; n++ {
		v := q.form.Get(name + ".member." + strconv.Itoa(n))
		if v == "" {
			return out
		}
		out = append(out, v)
	}
}

func (s *Sim) elbDescribeTags(q *awsReq) error {
	names := listParam(q, "LoadBalancerNames")
	if len(names) == 0 || len(names) > 20 {
		return apiError{400, "ValidationError", "LoadBalancerNames must have 1 to 20 members"}
	}
	e := s.estate
	var b xw
	b.open("TagDescriptions")
	for _, n := range names {
		i, ok := e.LookupName(n, q.region)
		if !ok || e.AccountOf(i) != &e.Accounts[q.sess.account] {
			return apiError{400, "LoadBalancerNotFound", "There is no ACTIVE Load Balancer named '" + n + "'"}
		}
		b.open("member")
		b.leaf("LoadBalancerName", n)
		b.tags("Tags", e.Tags(i), "Key", "Value", "member")
		b.close("member")
	}
	b.close("TagDescriptions")
	writeQuery(q.w, "DescribeTags", elbXMLNS, b.Bytes())
	return nil
}

func (s *Sim) elbv2DescribeLoadBalancers(q *awsReq) error {
	from, to, next, err := s.queryPage(q, AWSLoadBalancer, "PageSize", 1, 400)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("LoadBalancers")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("member")
		b.leaf("LoadBalancerArn", x.ID)
		b.leaf("DNSName", e.DNSName(i))
		b.leaf("CanonicalHostedZoneId", "Z35SXDOTRQ7X7K")
		b.time("CreatedTime", x.Created)
		b.leaf("LoadBalancerName", x.Name)
		b.leaf("Scheme", "internet-facing")
		b.leaf("VpcId", "vpc-0a1b2c3d")
		b.open("State")
		b.leaf("Code", x.State)
		b.close("State")
		b.leaf("Type", x.SKU)
		b.leaf("IpAddressType", "ipv4")
		b.close("member")
	}
	b.close("LoadBalancers")
	b.opt("NextMarker", next)
	writeQuery(q.w, "DescribeLoadBalancers", elbv2XMLNS, b.Bytes())
	return nil
}

func (s *Sim) elbv2DescribeTargetGroups(q *awsReq) error {
	from, to, next, err := s.queryPage(q, AWSTargetGroup, "PageSize", 1, 400)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("TargetGroups")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("member")
		b.leaf("TargetGroupArn", x.ID)
		b.leaf("TargetGroupName", x.Name)
		b.leaf("Protocol", "HTTP")
		b.int("Port", int64(x.Size2))
		b.leaf("VpcId", "vpc-0a1b2c3d")
		b.leaf("TargetType", "instance")
		b.open("LoadBalancerArns")
		if x.Ref >= 0 {
			b.leaf("member", e.Resources[x.Ref].ID)
		}
		b.close("LoadBalancerArns")
		b.close("member")
	}
	b.close("TargetGroups")
	b.opt("NextMarker", next)
	writeQuery(q.w, "DescribeTargetGroups", elbv2XMLNS, b.Bytes())
	return nil
}

func (s *Sim) elbv2DescribeTargetHealth(q *awsReq) error {
	e := s.estate
	arn := q.form.Get("TargetGroupArn")
	i, ok := e.Lookup("aws", arn)
	if !ok || e.Resources[i].Kind != AWSTargetGroup || e.AccountOf(i) != &e.Accounts[q.sess.account] {
		return apiError{400, "TargetGroupNotFound", "Target groups '" + arn + "' not found"}
	}
	x := &e.Resources[i]
	var b xw
	b.open("TargetHealthDescriptions")
	for _, t := range e.links[int32(i)] {
		b.open("member")
		b.open("Target")
		b.leaf("Id", e.Resources[t].ID)
		b.int("Port", int64(x.Size2))
		b.close("Target")
		b.leaf("HealthCheckPort", strconv.Itoa(int(x.Size2)))
		b.open("TargetHealth")
		if e.TargetHealthy(int(t)) {
			b.leaf("State", "healthy")
		} else {
			b.leaf("State", "unhealthy")
			b.leaf("Reason", "Target.FailedHealthChecks")
			b.leaf("Description", "Health checks failed")
		}
		b.close("TargetHealth")
		b.close("member")
	}
	b.close("TargetHealthDescriptions")
	writeQuery(q.w, "DescribeTargetHealth", elbv2XMLNS, b.Bytes())
	return nil
}

func (s *Sim) elbv2DescribeTags(q *awsReq) error {
	arns := listParam(q, "ResourceArns")
	if len(arns) == 0 || len(arns) > 20 {
		return apiError{400, "ValidationError", "ResourceArns must have 1 to 20 members"}
	}
	e := s.estate
	var b xw
	b.open("TagDescriptions")
	for _, a := range arns {
		i, ok := e.Lookup("aws", a)
		if !ok || e.AccountOf(i) != &e.Accounts[q.sess.account] {
			return apiError{400, "LoadBalancerNotFound", "'" + a + "' not found"}
		}
		b.open("member")
		b.leaf("ResourceArn", a)
		b.tags("Tags", e.Tags(i), "Key", "Value", "member")
		b.close("member")
	}
	b.close("TagDescriptions")
	writeQuery(q.w, "DescribeTags", elbv2XMLNS, b.Bytes())
	return nil
}

func (s *Sim) rdsDescribeDBInstances(q *awsReq) error {
	from, to, next, err := s.queryPage(q, AWSDBInstance, "MaxRecords", 20, 100)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("DBInstances")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		engine, version, _ := strings.Cut(x.Extra, "|")
		b.open("DBInstance")
		b.leaf("DBInstanceIdentifier", x.Name)
		b.leaf("DBInstanceArn", x.ID)
		b.leaf("DBInstanceClass", x.SKU)
		b.leaf("Engine", engine)
		b.leaf("EngineVersion", version)
		b.leaf("DBInstanceStatus", x.State)
		b.int("AllocatedStorage", int64(x.Size))
		b.leaf("StorageType", "gp3")
		b.bool("MultiAZ", false)
		b.leaf("AvailabilityZone", e.Zone(i))
		b.time("InstanceCreateTime", x.Created)
		if IsExtendedSupport(engine, version) {
			b.leaf("EngineLifecycleSupport", "open-source-rds-extended-support")
		}
		b.tags("TagList", e.Tags(i), "Key", "Value", "Tag")
		b.close("DBInstance")
	}
	b.close("DBInstances")
	b.opt("Marker", next)
	writeQuery(q.w, "DescribeDBInstances", rdsXMLNS, b.Bytes())
	return nil
}

func (s *Sim) rdsDescribeDBSnapshots(q *awsReq) error {
	from, to, next, err := s.queryPage(q, AWSDBSnapshot, "MaxRecords", 20, 100)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("DBSnapshots")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("DBSnapshot")
		b.leaf("DBSnapshotIdentifier", x.Name)
		b.leaf("DBSnapshotArn", x.ID)
		b.leaf("DBInstanceIdentifier", e.DBInstanceIDOf(i))
		b.time("SnapshotCreateTime", x.Created)
		b.int("AllocatedStorage", int64(x.Size))
		b.leaf("Status", x.State)
		b.leaf("SnapshotType", x.Extra)
		b.tags("TagList", e.Tags(i), "Key", "Value", "Tag")
		b.close("DBSnapshot")
	}
	b.close("DBSnapshots")
	b.opt("Marker", next)
	writeQuery(q.w, "DescribeDBSnapshots", rdsXMLNS, b.Bytes())
	return nil
}

func (s *Sim) redshiftDescribeClusters(q *awsReq) error {
	from, to, next, err := s.queryPage(q, AWSRedshiftCluster, "MaxRecords", 20, 100)
	if err != nil {
		return err
	}
	e := s.estate
	var b xw
	b.open("Clusters")
	for i := from; i < to; i++ {
		x := &e.Resources[i]
		b.open("Cluster")
		b.leaf("ClusterIdentifier", x.Name)
		b.leaf("NodeType", x.SKU)
		b.leaf("ClusterStatus", x.State)
		b.int("NumberOfNodes", int64(x.Size2))
		b.time("ClusterCreateTime", x.Created)
		b.tags("Tags", e.Tags(i), "Key", "Value", "Tag")
		b.close("Cluster")
	}
	b.close("Clusters")
	b.opt("Marker", next)
	writeQuery(q.w, "DescribeClusters", redshiftXMLNS, b.Bytes())
	return nil
}
