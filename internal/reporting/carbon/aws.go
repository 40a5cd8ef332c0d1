package carbon

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// classifyAWS classifies a CUR usage row the way CCF's CostAndUsageReports
// does: unsupported and unknown usage types first, then by pricing unit —
// hours → compute (+ memory, GPU, embodied), GB-months / GB-hours → storage,
// GB → networking.
func (e *Estimator) classifyAWS(u Usage, un unit) (measure, *noEstimate) {
	pt := e.t.providers[valdrix.AWS]
	// Rules match by suffix or substring, so the region prefix ("USE1-") of
	// the usage type does not need removing.
	ut := u.UsageType
	svc := awsServiceCode(u)
	if r, ok := pt.rule("unsupported", ut); ok {
		return measure{}, unknownf(ReasonUnsupported, "usage type %s is left out by CCF (%s)", u.UsageType, r.note)
	}
	if _, ok := pt.rule("unknown", ut); ok {
		return measure{}, unknownf(ReasonUnknownUsage, "CCF has no energy coefficient for usage type %s", u.UsageType)
	}
	if strings.Contains(ut, "Lambda-GB-Second") || strings.Contains(ut, "Lambda-Edge-GB-Second") {
		return measure{}, unknownf(ReasonUnknownUsage, "CCF estimates Lambda GB-seconds only by its cost-ratio fallback (usage type %s)", u.UsageType)
	}
	if strings.Contains(ut, "Fargate-GB-Hours") {
		// CCF reads Fargate memory GB-hours as SSD storage GB-hours.
		un = parseUnit("GB-Hours")
	}
	q := u.Quantity.Float64()
	switch un.kind {
	case unitTime:
		return e.awsCompute(u, un, ut, svc, q)
	case unitDataTime:
		return e.awsStorage(u, un, ut, svc, q)
	case unitData:
		if svc == "AmazonCloudFront" {
			return measure{}, unknownf(ReasonOutOfScope, "CloudFront delivery to the internet is outside the method (usage type %s)", u.UsageType)
		}
		if _, ok := pt.rule("network", ut); ok {
			gb := q * un.gb
			return measure{kind: KindNetworking, networkGB: gb}, nil
		}
		if _, ok := pt.rule("out_of_scope", ut); ok {
			return measure{}, unknownf(ReasonOutOfScope, "usage type %s is internet, ingress or in-zone traffic; only traffic between cloud regions or zones is counted", u.UsageType)
		}
		return measure{}, unknownf(ReasonUnknownUsage, "data volume of usage type %s is not traffic between regions, and CCF has no coefficient for it", u.UsageType)
	}
	return measure{}, unknownf(ReasonUnknownUnit, "unit %q of usage type %s is not one the method converts", u.Unit, u.UsageType)
}

// awsCompute handles hour- and second-based usage.
func (e *Estimator) awsCompute(u Usage, un unit, ut, svc string, q float64) (measure, *noEstimate) {
	t := e.t
	c := &t.providers[valdrix.AWS].constants
	hours := q * un.hours
	m := measure{kind: KindCompute, archSource: "CCF AWSInstanceTypes.ts processor mapping"}
	switch {
	case un.counted == "vcpu" || strings.Contains(ut, "Fargate-vCPU-Hours") || strings.Contains(ut, "CPUCredits"):
		m.vcpuHours = hours
		m.archSource = "vCPU-hours without an instance type"
		return m, nil
	case un.counted == "acu" || strings.Contains(ut, "Aurora:ServerlessUsage"):
		m.vcpuHours = hours / 4 // CCF: 4 ACU-hours = 1 vCPU-hour
		m.archSource = "Aurora Serverless ACU-hours (4 ACU = 1 vCPU)"
		return m, nil
	case svc == "AWSGlue" || un.counted == "dpu":
		m.vcpuHours = hours * 4 // CCF GLUE_VCPUS_PER_USAGE
		m.archSource = "AWS Glue DPU-hours (4 vCPUs each)"
		return m, nil
	case svc == "AmazonSimpleDB":
		m.vcpuHours = hours // CCF SIMPLE_DB_VCPUS_PER_USAGE
		m.archSource = "SimpleDB box-hours (1 vCPU each)"
		return m, nil
	}
	typ := u.InstanceType
	if typ == "" {
		typ = awsInstanceFromUsageType(ut)
	}
	in := t.awsInstance(typ)
	vcpus := u.VCPUs
	if vcpus == 0 && in != nil {
		vcpus = in.vcpus
	}
	if vcpus == 0 {
		if un.hours < 1.0/60 && typ == "" {
			// CCF reads second-based usage without an instance type as vCPU-seconds.
			m.vcpuHours, m.vcpus = hours, 1
			m.archSource = "second-based usage read as vCPU-seconds (CCF)"
			return m, nil
		}
		if typ == "" {
			return measure{}, unknownf(ReasonUnknownUsage, "hourly usage type %s is not an instance and CCF has no coefficient for it", u.UsageType)
		}
		return measure{}, unknownf(ReasonUnknownInstance, "instance type %s is not in the coefficient tables and the row has no vCPU count", typ)
	}
	m.instanceType, m.inst, m.instanceHours, m.vcpus = typ, in, hours, vcpus
	if in != nil {
		m.archs, m.archSource = in.archs, in.archSource
	} else if archs, ok := lookupFamily(t.awsFamilyArchs, typ); ok {
		m.archs = archs
	}
	m.replication, m.replSource = awsReplication(c, svc, ut)
	bare := awsBareType(typ)
	if b, ok := t.awsBurstable[bare]; ok {
		m.burstable = b
		m.vcpuHours = hours * vcpus * b / c.AvgCPUUtilization
	} else {
		m.vcpuHours = hours * vcpus
		fam := awsFamily(typ)
		m.memGBHours, m.memBaseline = memoryAboveBaseline(c, in, m.archs, hours, fam == "m5zn" || fam == "z1d")
	}
	if in != nil && in.gpus > 0 {
		m.gpus, m.gpuHours, m.gpuArchs = in.gpus, in.gpus*hours, []string{in.gpu}
	}
	m.embodied = true
	return m, nil
}

// awsStorage handles GB-month, GB-hour and byte-based storage.
func (e *Estimator) awsStorage(u Usage, un unit, ut, svc string, q float64) (measure, *noEstimate) {
	pt := e.t.providers[valdrix.AWS]
	m := measure{kind: KindStorage, tbHours: q * un.tb * un.stepHours(u.Day)}
	_, ssd := pt.rule("ssd", ut)
	if !ssd {
		if _, ok := pt.rule("ssd_service", svc); ok && !strings.Contains(ut, "Backup") {
			ssd = true
		}
	}
	switch _, hdd := pt.rule("hdd", ut); {
	case ssd:
		m.media = "SSD"
	case hdd:
		m.media = "HDD"
	default:
		return measure{}, unknownf(ReasonUnknownUsage, "storage usage type %s is not classified as SSD or HDD by CCF", u.UsageType)
	}
	m.replication, m.replSource = awsReplication(&pt.constants, svc, ut)
	return m, nil
}

// awsInstanceFromUsageType reads the instance type of an instance usage type
// ("BoxUsage:m5.large", "InstanceUsage:db.r5.large", "NodeUsage:cache.m5.xl").
// A bare "BoxUsage" is an m1.small.
func awsInstanceFromUsageType(ut string) string {
	i := strings.LastIndexByte(ut, ':')
	if i < 0 {
		if ut == "BoxUsage" {
			return "m1.small"
		}
		return ""
	}
	typ := ut[i+1:]
	if !strings.Contains(typ, ".") {
		return ""
	}
	if strings.HasSuffix(typ, "xl") {
		typ += "arge" // CUR abbreviates some "xlarge" as "xl"
	}
	return typ
}

// awsInstance finds an AWS instance type in the tables: as given, with the
// OpenSearch ".search" suffix spelled as the tables do, or without its service
// prefix and suffix.
func (t *tables) awsInstance(typ string) *instance {
	if typ == "" {
		return nil
	}
	inst := t.providers[valdrix.AWS].instances
	k := strings.ToLower(typ)
	if in, ok := inst[k]; ok {
		return in
	}
	if strings.HasSuffix(k, ".search") {
		if in, ok := inst[strings.TrimSuffix(k, ".search")+".elasticsearch"]; ok {
			return in
		}
	}
	bare := awsBareType(k)
	parts := strings.SplitN(bare, ".", 3)
	if len(parts) >= 2 {
		if in, ok := inst[parts[0]+"."+parts[1]]; ok {
			return in
		}
	}
	return nil
}

// awsServiceCode returns the CUR product code of the row's service, from the
// extension column or by the FOCUS service name.
func awsServiceCode(u Usage) string {
	if u.ServiceCode != "" {
		return u.ServiceCode
	}
	switch strings.ToLower(strings.TrimSpace(u.Service)) {
	case "amazon elastic compute cloud", "amazon ec2", "ec2 - other", "amazon elastic compute cloud - compute":
		return "AmazonEC2"
	case "amazon simple storage service", "amazon s3":
		return "AmazonS3"
	case "amazon relational database service", "amazon rds":
		return "AmazonRDS"
	case "amazon elastic file system", "amazon efs":
		return "AmazonEFS"
	case "amazon dynamodb":
		return "AmazonDynamoDB"
	case "amazon documentdb (with mongodb compatibility)", "amazon documentdb":
		return "AmazonDocDB"
	case "amazon ec2 container registry (ecr)", "amazon elastic container registry":
		return "AmazonECR"
	case "amazon elasticache":
		return "AmazonElastiCache"
	case "amazon cloudfront":
		return "AmazonCloudFront"
	case "amazon opensearch service", "amazon elasticsearch service":
		return "AmazonES"
	case "amazon simpledb":
		return "AmazonSimpleDB"
	case "amazon sagemaker":
		return "AmazonSageMaker"
	case "amazon mq":
		return "AmazonMQ"
	case "amazon elastic container service":
		return "AmazonECS"
	case "amazon lightsail":
		return "AmazonLightsail"
	case "amazon neptune":
		return "AmazonNeptune"
	case "aws iot analytics":
		return "AWSIoTAnalytics"
	case "amazon kinesis analytics":
		return "AmazonKinesisAnalytics"
	case "aws glue":
		return "AWSGlue"
	case "amazon redshift":
		return "AmazonRedshift"
	case "aws lambda":
		return "AWSLambda"
	}
	return strings.TrimSpace(u.Service)
}

// awsReplication is CCF's AWS replication factor by service and usage type
// (packages/aws/src/lib/ReplicationFactors.ts), with the values of
// ccf_cloud_constants_aws.json.
func awsReplication(c *cloudConstants, svc, ut string) (float64, string) {
	rf := func(key string) (float64, string) {
		return c.ReplicationFactors[key], "CCF AWS REPLICATION_FACTORS." + key
	}
	switch svc {
	case "AmazonS3":
		if containsAny(ut, "TimedStorage-ZIA", "EarlyDelete-ZIA", "TimedStorage-RRS") {
			return rf("S3_ONE_ZONE_REDUCED_REDUNDANCY")
		}
		if containsAny(ut, "TimedStorage", "EarlyDelete") {
			return rf("S3")
		}
	case "AmazonEC2":
		if strings.Contains(ut, "VolumeUsage") {
			return rf("EC2_EBS_VOLUME")
		}
		if strings.Contains(ut, "SnapshotUsage") {
			return rf("EC2_EBS_SNAPSHOT")
		}
	case "AmazonEFS":
		if strings.Contains(ut, "ZIA") {
			return rf("EFS_ONE_ZONE")
		}
		return rf("EFS")
	case "AmazonRDS":
		switch {
		case strings.Contains(ut, "BackupUsage"):
			return rf("RDS_BACKUP")
		case strings.Contains(ut, "Aurora"):
			return rf("RDS_AURORA")
		case strings.Contains(ut, "Multi-AZ"):
			return rf("RDS_MULTI_AZ")
		}
	case "AmazonDocDB":
		if strings.Contains(ut, "BackupUsage") {
			return rf("DOCUMENT_DB_BACKUP")
		}
		return rf("DOCUMENT_DB_STORAGE")
	case "AmazonDynamoDB":
		return rf("DYNAMO_DB")
	case "AmazonECR":
		if strings.Contains(ut, "TimedStorage") {
			return rf("ECR_STORAGE")
		}
	case "AmazonElastiCache":
		if strings.Contains(ut, "BackupUsage") {
			return rf("DOCUMENT_ELASTICACHE_BACKUP")
		}
	case "AmazonSimpleDB":
		return rf("SIMPLE_DB")
	}
	return 0, ""
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}
