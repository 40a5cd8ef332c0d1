package cloudsim

import "github.com/valdrix/valdrix/internal/valdrix"

// Kind is a resource kind of the simulated estate.
type Kind uint8

// Resource kinds. Each has a canonical type (see Type), listed in
// docs/resources.md.
const (
	KindNone Kind = iota

	AWSInstance
	AWSVolume
	AWSSnapshot
	AWSAddress
	AWSNatGateway
	AWSImage
	AWSClassicLoadBalancer
	AWSLoadBalancer
	AWSTargetGroup
	AWSDBInstance
	AWSDBSnapshot
	AWSBucket
	AWSRepository
	AWSRedshiftCluster
	AWSSageMakerEndpoint
	AWSFunction
	AWSTable
	AWSLogGroup

	AzureResourceGroup
	AzureVirtualMachine
	AzureDisk
	AzureSnapshot
	AzureImage
	AzurePublicIP
	AzureNetworkInterface
	AzureLoadBalancer
	AzureAppServicePlan
	AzureSQLDatabase

	GCPInstance
	GCPDisk
	GCPSnapshot
	GCPImage
	GCPAddress
	GCPSQLInstance

	numKinds
)

type kindInfo struct {
	provider valdrix.Provider
	typ      string  // canonical type
	service  string  // the API service that lists it (report key)
	weight   float64 // share of the provider's resources
}

var kinds = [numKinds]kindInfo{
	AWSInstance:            {valdrix.AWS, "aws.ec2.instance", "ec2", 0.15},
	AWSVolume:              {valdrix.AWS, "aws.ec2.volume", "ec2", 0.20},
	AWSSnapshot:            {valdrix.AWS, "aws.ec2.snapshot", "ec2", 0.175},
	AWSAddress:             {valdrix.AWS, "aws.ec2.address", "ec2", 0.03},
	AWSNatGateway:          {valdrix.AWS, "aws.ec2.nat_gateway", "ec2", 0.01},
	AWSImage:               {valdrix.AWS, "aws.ec2.image", "ec2", 0.03},
	AWSClassicLoadBalancer: {valdrix.AWS, "aws.elb.load_balancer", "elb", 0.005},
	AWSLoadBalancer:        {valdrix.AWS, "aws.elbv2.load_balancer", "elbv2", 0.02},
	AWSTargetGroup:         {valdrix.AWS, "aws.elbv2.target_group", "elbv2", 0.02},
	AWSDBInstance:          {valdrix.AWS, "aws.rds.db_instance", "rds", 0.02},
	AWSDBSnapshot:          {valdrix.AWS, "aws.rds.db_snapshot", "rds", 0.03},
	AWSBucket:              {valdrix.AWS, "aws.s3.bucket", "s3", 0.04},
	AWSRepository:          {valdrix.AWS, "aws.ecr.repository", "ecr", 0.01},
	AWSRedshiftCluster:     {valdrix.AWS, "aws.redshift.cluster", "redshift", 0.003},
	AWSSageMakerEndpoint:   {valdrix.AWS, "aws.sagemaker.endpoint", "sagemaker", 0.005},
	AWSFunction:            {valdrix.AWS, "aws.lambda.function", "lambda", 0.10},
	AWSTable:               {valdrix.AWS, "aws.dynamodb.table", "dynamodb", 0.015},
	AWSLogGroup:            {valdrix.AWS, "aws.logs.log_group", "logs", 0.097},

	AzureResourceGroup:    {valdrix.Azure, "azure.resources.resource_group", "resources", 0.06},
	AzureVirtualMachine:   {valdrix.Azure, "azure.compute.virtual_machine", "compute", 0.15},
	AzureDisk:             {valdrix.Azure, "azure.compute.disk", "compute", 0.24},
	AzureSnapshot:         {valdrix.Azure, "azure.compute.snapshot", "compute", 0.08},
	AzureImage:            {valdrix.Azure, "azure.compute.image", "compute", 0.02},
	AzurePublicIP:         {valdrix.Azure, "azure.network.public_ip_address", "network", 0.08},
	AzureNetworkInterface: {valdrix.Azure, "azure.network.network_interface", "network", 0.18},
	AzureLoadBalancer:     {valdrix.Azure, "azure.network.load_balancer", "network", 0.03},
	AzureAppServicePlan:   {valdrix.Azure, "azure.web.app_service_plan", "web", 0.03},
	AzureSQLDatabase:      {valdrix.Azure, "azure.sql.database", "sql", 0.05},

	GCPInstance:    {valdrix.GCP, "gcp.compute.instance", "compute", 0.25},
	GCPDisk:        {valdrix.GCP, "gcp.compute.disk", "compute", 0.30},
	GCPSnapshot:    {valdrix.GCP, "gcp.compute.snapshot", "compute", 0.15},
	GCPImage:       {valdrix.GCP, "gcp.compute.image", "compute", 0.05},
	GCPAddress:     {valdrix.GCP, "gcp.compute.address", "compute", 0.15},
	GCPSQLInstance: {valdrix.GCP, "gcp.sql.instance", "sqladmin", 0.10},
}

// Provider returns the kind's cloud.
func (k Kind) Provider() valdrix.Provider { return kinds[k].provider }

// Type returns the canonical resource type, e.g. "aws.ec2.volume".
func (k Kind) Type() string { return kinds[k].typ }

// Service returns the API service that lists the kind, e.g. "ec2", "elbv2".
func (k Kind) Service() string { return kinds[k].service }

func (k Kind) String() string { return k.Type() }

// Kinds returns the kinds of provider p in a stable order.
func Kinds(p valdrix.Provider) []Kind {
	var out []Kind
	for k := Kind(1); k < numKinds; k++ {
		if kinds[k].provider == p {
			out = append(out, k)
		}
	}
	return out
}

// KindOfType returns the kind with canonical type typ.
func KindOfType(typ string) (Kind, bool) {
	for k := Kind(1); k < numKinds; k++ {
		if kinds[k].typ == typ {
			return k, true
		}
	}
	return KindNone, false
}
