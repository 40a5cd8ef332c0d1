package zombie

// Published prices and price ratios the savings estimates use. A saving
// derived from them applies the published ratio to the resource's own
// billed cost, so regional prices and private discounts carry over; the
// figure is marked estimated and names its source.

// EBS list prices, us-east-1, per GB-month and per provisioned IOPS-month
// (AWS EBS pricing page, https://aws.amazon.com/ebs/pricing/).
const (
	ebsGP2PerGB       = 0.10
	ebsGP3PerGB       = 0.08
	ebsIO1PerGB       = 0.125
	ebsIO1PerIOPS     = 0.065
	ebsGP3PerIOPS     = 0.005 // above the 3,000 IOPS included
	ebsGP3FreeIOPS    = 3000
	ebsGP3MaxIOPS     = 16000
	ebsPricingSource  = "AWS EBS pricing, us-east-1: gp2 $0.10, gp3 $0.08 per GB-month; io1 $0.125 per GB-month + $0.065 per IOPS-month; gp3 IOPS above 3,000 $0.005 per IOPS-month"
	ebsGP3MaxIOPSNote = "gp3 provisions at most 16,000 IOPS"
)

// ec2Successor is the current-generation successor of a previous-generation
// EC2 family and the price ratio successor/predecessor of their large (or
// smallest common) sizes, AWS EC2 On-Demand pricing, Linux, us-east-1.
type ec2Successor struct {
	family string
	ratio  float64
	basis  string
}

var ec2Successors = map[string]ec2Successor{
	"t1": {"t3", 0.0104 / 0.02, "t1.micro $0.02 → t3.micro $0.0104"},
	"t2": {"t3", 0.0104 / 0.0116, "t2.micro $0.0116 → t3.micro $0.0104"},
	"m1": {"m5", 0.096 / 0.175, "m1.large $0.175 → m5.large $0.096"},
	"m2": {"r5", 0.126 / 0.245, "m2.xlarge $0.245 → r5.large $0.126"},
	"m3": {"m5", 0.096 / 0.133, "m3.large $0.133 → m5.large $0.096"},
	"m4": {"m5", 0.096 / 0.10, "m4.large $0.10 → m5.large $0.096"},
	"c1": {"c5", 0.085 / 0.13, "c1.medium $0.13 → c5.large $0.085"},
	"c3": {"c5", 0.085 / 0.105, "c3.large $0.105 → c5.large $0.085"},
	"c4": {"c5", 0.085 / 0.10, "c4.large $0.10 → c5.large $0.085"},
	"r3": {"r5", 0.126 / 0.166, "r3.large $0.166 → r5.large $0.126"},
	"r4": {"r5", 0.126 / 0.133, "r4.large $0.133 → r5.large $0.126"},
	"i2": {"i3", 0.312 / 0.853, "i2.xlarge $0.853 → i3.xlarge $0.312"},
	"d2": {"d3", 0.499 / 0.69, "d2.xlarge $0.69 → d3.xlarge $0.499"},
	"g2": {"g4dn", 0.526 / 0.65, "g2.2xlarge $0.65 → g4dn.xlarge $0.526"},
}

const ec2PricingSource = "AWS EC2 On-Demand pricing, Linux, us-east-1"

// azure snapshot storage list prices, East US, per GB-month (Azure managed
// disks pricing page): standard HDD (LRS) $0.05, premium SSD $0.12.
const (
	azureSnapshotStandardPerGB = 0.05
	azureSnapshotPremiumPerGB  = 0.12
)

// Azure Monitor Log Analytics, East US (Azure Monitor pricing page): pay as
// you go Analytics Logs ingestion $2.30 per GB.
const logAnalyticsPAYGPerGB = 2.30
