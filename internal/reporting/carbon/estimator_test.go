package carbon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// testBundle is what most tests need.
type testBundle struct {
	est *Estimator
	day valdrix.Date
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	e, err := New(Config{})
	require.NoError(t, err)
	return &testBundle{est: e, day: valdrix.NewDate(2026, 10, 5)} // October: 31 days
}

// dec parses a decimal literal for a test.
func dec(t *testing.T, s string) valdrix.Decimal {
	t.Helper()
	d, err := valdrix.ParseDecimal(s)
	require.NoError(t, err)
	return d
}

// ledgerRow builds a daily usage row as ingestion would.
func ledgerRow(t *testing.T, p valdrix.Provider, region, service, usageType, unit, quantity string) ingestion.LedgerRow {
	t.Helper()
	return ingestion.LedgerRow{
		ChargeDay:        valdrix.NewDate(2026, 10, 5),
		BillingPeriod:    valdrix.NewMonth(2026, 10),
		Provider:         p,
		SubAccountID:     "acct-1",
		ServiceName:      service,
		RegionID:         region,
		ResourceID:       "res-1",
		UsageType:        usageType,
		ChargeCategory:   "Usage",
		ConsumedUnit:     unit,
		ConsumedQuantity: dec(t, quantity),
		EffectiveCost:    dec(t, "1.25"),
		BillingCurrency:  "USD",
		Missing:          ingestion.MissingListCost | ingestion.MissingContractedCost | ingestion.MissingPricingQuantity,
	}
}

// TestEstimateByHand recomputes an m5.xlarge running 24 hours in us-east-1
// from the coefficient tables, by hand:
//
// Tables (data/):
//   - aws-family-architectures.csv: m5 → SKYLAKE.
//   - ccf_cloud_constants_aws.json: SKYLAKE min 0.65 W, max 4.26 W per vCPU;
//     AVG_CPU_UTILIZATION_2020 50; PUE_AVG 1.135; MEMORY_BY_COMPUTE_PROCESSOR
//     SKYLAKE 81.32 GB/chip; MEMORY_COEFFICIENT 0.000392 kWh/GB-h;
//     SERVER_EXPECTED_LIFESPAN 35040 h; REPLICATION_FACTORS.DEFAULT 1.
//   - aws-instances.csv: m5.xlarge 4 vCPUs, 16 GB; platform 96 vCPUs, 384 GB.
//   - ccf_emissions_factors_aws.csv: us-east-1 0.000379069 t/kWh (SERC).
//   - coefficients-aws-embodied.csv: m5.xlarge total 1610.79 kgCO2e.
//
// Compute: average watts = 0.65 + 0.5 × (4.26 − 0.65) = 2.455 W per vCPU;
// vCPU-hours = 4 × 24 = 96;
// kWh = 2.455 × 96 × 1.135 × 1 / 1000 = 0.2674968.
//
// Memory: chips = ceil(96 / 96) = 1; GB per chip = 384 / 1 = 384;
// above the Skylake baseline: 384 − 81.32 = 302.68 GB;
// the instance's share: 302.68 × 16 / 384 = 12.611666… GB, × 24 h = 302.68 GB-h;
// kWh = 302.68 × 0.000392 × 1.135 × 1 = 0.1346683856 → 0.134668386.
//
// Total energy: 0.2674968 + 0.134668386 = 0.402165186 kWh.
// Operational: 0.4021651856 kWh × 0.000379069 t/kWh × 1000 kg/t
// = 0.15244835474… → 0.152448355 kg.
//
// Embodied (SCI M = TE × TR/EL × RR/TotalR):
// 1610.79 × (24 / 35040) × (4 / 96) = 1610.79 / 35040 = 0.04597003424… → 0.045970034 kg.
//
// Total: 0.152448355 + 0.045970034 = 0.198418389 kgCO2e.
func TestEstimateByHand(t *testing.T) {
	t.Parallel()
	b := setup(t)
	row := ledgerRow(t, valdrix.AWS, "us-east-1", "Amazon Elastic Compute Cloud", "USE1-BoxUsage:m5.xlarge", "Hrs", "24")

	est, err := b.est.EstimateRow(row)
	require.NoError(t, err)

	require.Equal(t, KindCompute, est.Kind)
	require.Equal(t, MethodUsage, est.Method)
	require.Equal(t, dec(t, "0.2674968"), est.Energy.CPU)
	require.Equal(t, dec(t, "0.134668386"), est.Energy.Memory)
	require.Equal(t, dec(t, "0.402165186"), est.KWh)
	require.Equal(t, dec(t, "0.152448355"), est.OperationalKg)
	require.Equal(t, dec(t, "0.045970034"), est.EmbodiedKg)
	require.Equal(t, dec(t, "0.198418389"), est.TotalKg)

	// Every number above is in the estimate's coefficients.
	co := est.Coefficients
	require.Equal(t, "SKYLAKE", co.Architecture)
	require.InDelta(t, 0.65, co.MinWattsPerVCPU, 0)
	require.InDelta(t, 4.26, co.MaxWattsPerVCPU, 0)
	require.InDelta(t, 0.5, co.CPUUtilization, 0)
	require.InDelta(t, 1.135, co.PUE, 0)
	require.InDelta(t, 81.32, co.MemoryBaselineGBPerChip, 0)
	require.InDelta(t, 0.000392, co.MemoryKWhPerGBHour, 0)
	require.InDelta(t, 0.000379069, co.GridTCO2ePerKWh, 0)
	require.Equal(t, "us-east-1", co.Region)
	require.Contains(t, co.GridSource, "eGRID")
	require.InDelta(t, 1610.79, co.EmbodiedKgPerServer, 0)
	require.InDelta(t, 35040, co.LifespanHours, 0)
	require.InDelta(t, 4, co.InstanceVCPUs, 0)
	require.InDelta(t, 96, co.PlatformVCPUs, 0)
	require.InDelta(t, 1, co.ReplicationFactor, 0)
	require.InDelta(t, 96, est.Inputs.VCPUHours, 1e-12)
	require.InDelta(t, 302.68, est.Inputs.MemoryGBHours, 1e-9)
	require.Equal(t, CoefficientsVersion, est.Version)
}

// TestEstimateProviders covers each provider and kind with rows as billing
// exports spell them, positive and unknown.
func TestEstimateProviders(t *testing.T) {
	t.Parallel()
	b := setup(t)

	type want struct {
		kind   Kind
		method Method
		reason Reason
		// Checked only when set.
		arch, media, gpu string
		replication      float64
		pue              float64
		gridFallback     bool
		embodied         bool
		memory           bool
	}
	tests := []struct {
		name string
		row  ingestion.LedgerRow
		want want
	}{
		// AWS.
		{
			name: "aws ec2 instance hours",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "Amazon Elastic Compute Cloud", "USE1-BoxUsage:c5.xlarge", "Hrs", "10"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "CASCADE_LAKE+SKYLAKE", pue: 1.135, embodied: true, memory: false},
		},
		{
			name: "aws graviton2 spot hours",
			row:  ledgerRow(t, valdrix.AWS, "eu-west-1", "Amazon Elastic Compute Cloud", "EU-SpotUsage:m6g.large", "Hrs", "5"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "AWS_GRAVITON_2", embodied: true, memory: true},
		},
		{
			name: "aws rds multi-az instance is replicated twice",
			row:  ledgerRow(t, valdrix.AWS, "us-west-2", "AmazonRDS", "USW2-Multi-AZUsage:db.r5.large", "Hrs", "24"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "CASCADE_LAKE+SKYLAKE", replication: 2, embodied: true},
		},
		{
			name: "aws gpu instance adds gpu energy",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:g4dn.xlarge", "Hrs", "1"),
			want: want{kind: KindCompute, method: MethodUsage, gpu: "NVIDIA_T4", arch: "CASCADE_LAKE", embodied: true},
		},
		{
			name: "aws ebs gp2 volume is ssd replicated twice",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "Amazon Elastic Compute Cloud", "USE1-EBS:VolumeUsage.gp2", "GB-Mo", "3.2"),
			want: want{kind: KindStorage, method: MethodUsage, media: "SSD", replication: 2},
		},
		{
			name: "aws ebs st1 volume is hdd",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-EBS:VolumeUsage.st1", "GB-Mo", "16"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD", replication: 2},
		},
		{
			name: "aws ebs snapshot is hdd replicated three times",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-EBS:SnapshotUsage", "GB-Mo", "16"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD", replication: 3},
		},
		{
			name: "aws s3 standard storage",
			row:  ledgerRow(t, valdrix.AWS, "eu-central-1", "Amazon Simple Storage Service", "EUC1-TimedStorage-ByteHrs", "GB-Mo", "120"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD", replication: 6},
		},
		{
			name: "aws s3 one zone ia storage",
			row:  ledgerRow(t, valdrix.AWS, "eu-central-1", "AmazonS3", "EUC1-TimedStorage-ZIA-ByteHrs", "GB-Mo", "120"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD", replication: 2},
		},
		{
			name: "aws dynamodb storage is an ssd service",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "Amazon DynamoDB", "USE1-TimedStorage-ByteHrs", "GB-Mo", "1"),
			want: want{kind: KindStorage, method: MethodUsage, media: "SSD", replication: 2},
		},
		{
			name: "aws inter-region transfer is networking",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-USW2-AWS-Out-Bytes", "GB", "40"),
			want: want{kind: KindNetworking, method: MethodUsage},
		},
		{
			name: "aws inter-zone transfer is networking",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-DataTransfer-Regional-Bytes", "GB", "40"),
			want: want{kind: KindNetworking, method: MethodUsage},
		},
		{
			name: "aws internet egress is out of scope",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-DataTransfer-Out-Bytes", "GB", "40"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonOutOfScope},
		},
		{
			name: "aws nat gateway bytes have no coefficient",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-NatGateway-Bytes", "GB", "40"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "aws nat gateway hours have no coefficient",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-NatGateway-Hours", "Hrs", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "aws vpn connection hours have no coefficient",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonVPC", "USE1-VPN-Usage-Hours:ipsec.1", "Hrs", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "aws elasticache node hours",
			row:  ledgerRow(t, valdrix.AWS, "eu-west-1", "Amazon ElastiCache", "EU-NodeUsage:cache.r5.large", "Hrs", "24"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "CASCADE_LAKE+SKYLAKE", embodied: true},
		},
		{
			name: "aws ecs on ec2 is double counted",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonECS", "USE1-ECS-EC2-vCPU-Hours", "hours", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnsupported},
		},
		{
			name: "aws unknown instance type",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:zz9.huge", "Hrs", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownInstance},
		},
		{
			name: "aws hourly usage that is not an instance",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "Amazon Elastic Container Service for Kubernetes", "USE1-AmazonEKS-Hours:perCluster", "Hrs", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "aws hourly usage without an instance type",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AWS Directory Service", "USE1-Enterprise-MicrosoftAD-DC-Usage", "Hrs", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "aws instance type and vcpus from the row",
			row: func() ingestion.LedgerRow {
				r := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m7i.2xlarge", "Hrs", "24")
				r.Extensions = `{"x_VCPUs":"8"}`
				return r
			}(),
			want: want{kind: KindCompute, method: MethodUsage, arch: "UNKNOWN"},
		},
		{
			name: "aws requests have no unit the method converts",
			row:  ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonS3", "USE1-Requests-Tier1", "Requests", "1000"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUnit},
		},
		{
			name: "aws unknown region uses the fallback factor",
			row:  ledgerRow(t, valdrix.AWS, "xx-moon-1", "AmazonEC2", "BoxUsage:m5.large", "Hrs", "1"),
			want: want{kind: KindCompute, method: MethodUsage, gridFallback: true},
		},
		// Azure.
		{
			name: "azure vm hours",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Virtual Machines", "D4s v3", "1 Hour", "24"),
			want: want{kind: KindCompute, method: MethodUsage, pue: 1.185, embodied: true, memory: true},
		},
		{
			name: "azure spot vm meter with two sizes",
			row:  ledgerRow(t, valdrix.Azure, "West Europe", "Virtual Machines", "D2 v3/D2s v3 Spot", "1 Hour", "24"),
			want: want{kind: KindCompute, method: MethodUsage, embodied: true},
		},
		{
			name: "azure amd vm",
			row:  ledgerRow(t, valdrix.Azure, "northeurope", "Virtual Machines", "D2as v4", "10 Hours", "24"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "AMD_EPYC_2ND_GEN", embodied: true},
		},
		{
			name: "azure premium ssd managed disk",
			row:  ledgerRow(t, valdrix.Azure, "westeurope", "Storage", "P10 LRS Disk", "1/Month", "0.032258065"),
			want: want{kind: KindStorage, method: MethodUsage, media: "SSD", replication: 3},
		},
		{
			name: "azure standard hdd managed disk",
			row:  ledgerRow(t, valdrix.Azure, "westeurope", "Storage", "S10 LRS Disk", "1/Month", "1"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD", replication: 3},
		},
		{
			name: "azure blob storage grs",
			row:  ledgerRow(t, valdrix.Azure, "uksouth", "Storage", "Hot RA-GRS Data Stored", "1 GB/Month", "50"),
			want: want{kind: KindStorage, method: MethodUsage, media: "SSD", replication: 6},
		},
		{
			name: "azure redis cache is memory",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Redis Cache", "C1 Cache Instance", "1 Hour", "24"),
			want: want{kind: KindMemory, method: MethodUsage, replication: 2},
		},
		{
			name: "azure inter-region transfer is networking",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Bandwidth", "Inter Continent Data Transfer Out - NAM to EU", "1 GB", "12"),
			want: want{kind: KindNetworking, method: MethodUsage},
		},
		{
			name: "azure internet egress is out of scope",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Bandwidth", "Standard Data Transfer Out", "1 GB", "12"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonOutOfScope},
		},
		{
			name: "azure load balancer has no coefficient",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Load Balancer", "Standard Included LB Rules and Outbound Rules", "1 Hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnsupported},
		},
		{
			name: "azure bastion has no coefficient",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Azure Bastion", "Basic Gateway", "1 Hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "azure unknown meter hours",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Azure App Service", "S1 App", "1 Hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "azure unknown vm size",
			row:  ledgerRow(t, valdrix.Azure, "eastus", "Virtual Machines", "Z99s v9", "1 Hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownInstance},
		},
		{
			name: "azure vm size from the sku details when the meter is not a size",
			row: func() ingestion.LedgerRow {
				r := ledgerRow(t, valdrix.Azure, "eastus", "Virtual Machines", "Compute Hours", "1 Hour", "24")
				r.Extensions = `{"x_SkuDetails":"{\"VCPUs\":\"8\",\"ServiceType\":\"Standard_E8s_v3\"}"}`
				return r
			}(),
			want: want{kind: KindCompute, method: MethodUsage, embodied: true, memory: true},
		},
		// GCP.
		{
			name: "gcp n1 vcpu seconds",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "N1 Predefined Instance Core running in Americas", "seconds", "345600"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "SKYLAKE+BROADWELL+HASWELL+IVY_BRIDGE+SANDY_BRIDGE", pue: 1.11},
		},
		{
			name: "gcp n2d vcpu hours",
			row:  ledgerRow(t, valdrix.GCP, "europe-west1", "Compute Engine", "N2D AMD Instance Core running in EMEA", "hour", "96"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "AMD_EPYC_2ND_GEN", pue: 1.09},
		},
		{
			name: "gcp unknown family uses the median",
			row:  ledgerRow(t, valdrix.GCP, "asia-south1", "Compute Engine", "Compute optimized Core running in APAC", "hour", "8"),
			want: want{kind: KindCompute, method: MethodUsage, arch: "UNKNOWN", pue: 1.1},
		},
		{
			name: "gcp gpu hours",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "Nvidia Tesla T4 GPU running in Americas", "hour", "24"),
			want: want{kind: KindCompute, method: MethodUsage, gpu: "NVIDIA_T4"},
		},
		{
			name: "gcp ram is memory",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "N1 Predefined Instance Ram running in Americas", "gibibyte hour", "360"),
			want: want{kind: KindMemory, method: MethodUsage},
		},
		{
			name: "gcp pd capacity is hdd",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "Storage PD Capacity", "gibibyte month", "3.3"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD"},
		},
		{
			name: "gcp regional ssd pd is replicated",
			row:  ledgerRow(t, valdrix.GCP, "europe-west4", "Compute Engine", "Regional SSD backed PD Capacity", "gibibyte month", "3.3"),
			want: want{kind: KindStorage, method: MethodUsage, media: "SSD", replication: 2},
		},
		{
			name: "gcp multi-region cloud storage",
			row:  ledgerRow(t, valdrix.GCP, "us", "Cloud Storage", "Standard Storage US Multi-region", "gibibyte month", "100"),
			want: want{kind: KindStorage, method: MethodUsage, media: "HDD", replication: 2},
		},
		{
			name: "gcp inter-region egress is networking",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "Network Inter Region Egress from Americas to EMEA", "gibibyte", "10"),
			want: want{kind: KindNetworking, method: MethodUsage},
		},
		{
			name: "gcp internet egress is out of scope",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "Network Internet Egress from Americas to Americas", "gibibyte", "10"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonOutOfScope},
		},
		{
			name: "gcp nat gateway has no coefficient",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "NAT Gateway: Uptime charge", "hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "gcp kubernetes engine service has no coefficient",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Kubernetes Engine", "Autopilot Pod mCPU Requests (us-central1)", "hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnknownUsage},
		},
		{
			name: "gcp static ip is unsupported",
			row:  ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "Static Ip Charge", "hour", "24"),
			want: want{kind: KindUnknown, method: MethodNone, reason: ReasonUnsupported},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			est, err := b.est.EstimateRow(tt.row)
			require.NoError(t, err)
			require.Equal(t, tt.want.kind, est.Kind, est.Reason)
			require.Equal(t, tt.want.method, est.Method, est.Reason)
			require.Equal(t, tt.want.reason, est.ReasonCode)
			require.Equal(t, CoefficientsVersion, est.Version)
			if est.Method == MethodNone {
				require.NotEmpty(t, est.Reason)
				require.Zero(t, est.TotalKg)
				return
			}
			require.Positive(t, int64(est.KWh))
			require.Positive(t, int64(est.OperationalKg))
			sum, ok := valdrix.SumDecimals(est.Energy.CPU, est.Energy.GPU, est.Energy.Memory, est.Energy.Storage, est.Energy.Network)
			require.True(t, ok)
			require.Equal(t, sum, est.KWh)
			total, ok := est.OperationalKg.Add(est.EmbodiedKg)
			require.True(t, ok)
			require.Equal(t, total, est.TotalKg)
			co := est.Coefficients
			require.Positive(t, co.GridTCO2ePerKWh)
			require.NotEmpty(t, co.GridSource)
			require.Positive(t, co.PUE)
			require.NotEmpty(t, co.PUESource)
			require.Equal(t, tt.want.gridFallback, co.GridFallback)
			if tt.want.arch != "" {
				require.Equal(t, tt.want.arch, co.Architecture)
			}
			if tt.want.media != "" {
				require.Equal(t, tt.want.media, co.StorageMedia)
				require.Positive(t, est.Energy.Storage)
			}
			if tt.want.gpu != "" {
				require.Equal(t, tt.want.gpu, co.GPU)
				require.Positive(t, est.Energy.GPU)
			}
			if tt.want.replication != 0 {
				require.InDelta(t, tt.want.replication, co.ReplicationFactor, 0)
				require.NotEmpty(t, co.ReplicationSource)
			}
			if tt.want.pue != 0 {
				require.InDelta(t, tt.want.pue, co.PUE, 0)
			}
			if tt.want.embodied {
				require.Positive(t, est.EmbodiedKg)
				require.Positive(t, co.EmbodiedKgPerServer)
			}
			if tt.want.memory {
				require.Positive(t, est.Energy.Memory)
			}
			switch tt.want.kind {
			case KindNetworking:
				require.Positive(t, est.Energy.Network)
				require.Positive(t, co.NetworkKWhPerGB)
			case KindMemory:
				require.Positive(t, est.Energy.Memory)
			}
		})
	}
}

// TestEstimateFormulas checks the per-kind formulas against the coefficients
// the estimate reports, so each kind is traceable.
func TestEstimateFormulas(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tests := []struct {
		name string
		row  ingestion.LedgerRow
		// kwh recomputes the energy from the estimate's inputs and coefficients.
		kwh func(Estimate) float64
	}{
		{
			name: "storage: TB-hours × Wh/TB-h × PUE × replication / 1000",
			// 100 GB-Mo in a 31-day month = 100/1000 × 24 × 31 = 74.4 TB-h.
			row: ledgerRow(t, valdrix.AWS, "us-east-2", "AmazonEC2", "USE2-EBS:VolumeUsage.gp3", "GB-Mo", "100"),
			kwh: func(e Estimate) float64 {
				require.InDelta(t, 74.4, e.Inputs.StorageTBHours, 1e-9)
				c := e.Coefficients
				return 74.4 * c.StorageWhPerTBHour * c.PUE * c.ReplicationFactor / 1000
			},
		},
		{
			name: "networking: GB × kWh/GB × PUE",
			row:  ledgerRow(t, valdrix.AWS, "eu-west-1", "AmazonEC2", "EU-APN1-AWS-Out-Bytes", "GB", "250"),
			kwh: func(e Estimate) float64 {
				return 250 * e.Coefficients.NetworkKWhPerGB * e.Coefficients.PUE
			},
		},
		{
			name: "memory: GB-hours × kWh/GB-h × PUE",
			row:  ledgerRow(t, valdrix.GCP, "europe-west4", "Compute Engine", "N2 Instance Ram running in EMEA", "gibibyte hour", "64"),
			kwh: func(e Estimate) float64 {
				return 64 * e.Coefficients.MemoryKWhPerGBHour * e.Coefficients.PUE * e.Coefficients.ReplicationFactor
			},
		},
		{
			name: "burstable: vCPU-hours scaled by baseline / 50 and no memory",
			// t3.large: 2 vCPUs, baseline 30 % → 2 × 10 h × 30/50 = 12 vCPU-h.
			row: ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:t3.large", "Hrs", "10"),
			kwh: func(e Estimate) float64 {
				require.InDelta(t, 30, e.Coefficients.BurstableBaselinePercent, 0)
				require.InDelta(t, 12, e.Inputs.VCPUHours, 1e-9)
				require.Zero(t, e.Energy.Memory)
				c := e.Coefficients
				return (c.MinWattsPerVCPU + c.CPUUtilization*(c.MaxWattsPerVCPU-c.MinWattsPerVCPU)) * 12 * c.PUE / 1000
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			est, err := b.est.EstimateRow(tt.row)
			require.NoError(t, err)
			require.Equal(t, MethodUsage, est.Method, est.Reason)
			want := tt.kwh(est)
			require.InDelta(t, want, est.KWh.Float64(), 1e-9)
			require.InDelta(t, want*est.Coefficients.GridTCO2ePerKWh*1000, est.OperationalKg.Float64(), 1e-9)
		})
	}
}

func TestEstimateNotUsage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	base := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m5.large", "Hrs", "24")
	tests := []struct {
		name   string
		change func(*ingestion.LedgerRow)
		reason Reason
	}{
		{name: "tax", change: func(r *ingestion.LedgerRow) { r.ChargeCategory = "Tax" }, reason: ReasonNotUsage},
		{name: "credit", change: func(r *ingestion.LedgerRow) { r.ChargeCategory = "Credit" }, reason: ReasonNotUsage},
		{name: "unused commitment", change: func(r *ingestion.LedgerRow) { r.CommitmentDiscountStatus = "Unused" }, reason: ReasonNotUsage},
		{name: "savings plan negation", change: func(r *ingestion.LedgerRow) { r.Extensions = `{"x_LineItemType":"SavingsPlanNegation"}` }, reason: ReasonNotUsage},
		{name: "no quantity", change: func(r *ingestion.LedgerRow) { r.Missing |= ingestion.MissingConsumedQuantity }, reason: ReasonMissingQuantity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row := base
			tt.change(&row)
			est, err := b.est.EstimateRow(row)
			require.NoError(t, err)
			require.Equal(t, KindUnknown, est.Kind)
			require.Equal(t, MethodNone, est.Method)
			require.Equal(t, tt.reason, est.ReasonCode)
			require.False(t, est.Known())
		})
	}
}

func TestEstimateErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	row := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m5.large", "Hrs", "24")

	bad := row
	bad.Extensions = `{not json`
	_, err := b.est.EstimateRow(bad)
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)

	noProvider := row
	noProvider.Provider = "oci"
	_, err = b.est.EstimateRow(noProvider)
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
	require.Equal(t, "Provider", valdrix.ErrorField(err))

	_, err = New(Config{CPUUtilization: 1.5})
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
}

func TestEstimateConfig(t *testing.T) {
	t.Parallel()
	row := ledgerRow(t, valdrix.GCP, "us-central1", "Compute Engine", "N2 Instance Core running in Americas", "hour", "10")

	def, err := New(Config{})
	require.NoError(t, err)
	busy, err := New(Config{CPUUtilization: 0.9, GCPCarbonFreeEnergy: true})
	require.NoError(t, err)

	a, err := def.EstimateRow(row)
	require.NoError(t, err)
	c, err := busy.EstimateRow(row)
	require.NoError(t, err)

	require.InDelta(t, 0.5, a.Coefficients.CPUUtilization, 0)
	require.InDelta(t, 0.9, c.Coefficients.CPUUtilization, 0)
	require.Greater(t, c.KWh, a.KWh)
	// The carbon-free-energy table has a lower us-central1 factor.
	require.InDelta(t, 0.000456, a.Coefficients.GridTCO2ePerKWh, 0)
	require.InDelta(t, 0.0002152373529, c.Coefficients.GridTCO2ePerKWh, 0)
	require.Contains(t, c.Coefficients.GridSource, "carbon-free energy")
}

func BenchmarkEstimateRow(b *testing.B) {
	e, err := New(Config{})
	require.NoError(b, err)
	rows := []ingestion.LedgerRow{
		{Provider: valdrix.AWS, RegionID: "us-east-1", ServiceName: "AmazonEC2", UsageType: "USE1-BoxUsage:m5.xlarge", ConsumedUnit: "Hrs", ConsumedQuantity: valdrix.NewDecimal(24, 0), ChargeCategory: "Usage"},
		{Provider: valdrix.AWS, RegionID: "us-east-1", ServiceName: "AmazonEC2", UsageType: "USE1-EBS:VolumeUsage.gp2", ConsumedUnit: "GB-Mo", ConsumedQuantity: valdrix.NewDecimal(3, 0), ChargeCategory: "Usage"},
		{Provider: valdrix.Azure, RegionID: "eastus", ServiceName: "Virtual Machines", UsageType: "D4s v3", ConsumedUnit: "1 Hour", ConsumedQuantity: valdrix.NewDecimal(24, 0), ChargeCategory: "Usage"},
		{Provider: valdrix.GCP, RegionID: "us-central1", ServiceName: "Compute Engine", UsageType: "N1 Predefined Instance Core running in Americas", ConsumedUnit: "hour", ConsumedQuantity: valdrix.NewDecimal(96, 0), ChargeCategory: "Usage"},
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := e.EstimateRow(rows[i%len(rows)]); err != nil {
			b.Fatal(err)
		}
	}
}
