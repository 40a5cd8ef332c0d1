package ingestion

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// GenerateConfig shapes a synthetic CUR 2.0 file. Zero fields take the
// defaults in brackets.
type GenerateConfig struct {
	Rows       int       // line items [1,000,000]
	Seed       uint64    // the same seed gives the same file [1]
	Start      time.Time // first hour, also the billing period start [2026-09-01 UTC]
	Days       int       // hourly lines over this many days [30]
	Accounts   int       // usage accounts [50]
	Products   int       // product codes [40]
	UsageTypes int       // usage types, spread over the products [300]
	Regions    int       // regions [20]
	Resources  int       // distinct resource ids [200,000]
	LongLived  int       // resources that run the whole period [10,000]
	Writer     CUR2WriterOpts
}

func (c GenerateConfig) withDefaults() GenerateConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.Rows, 1_000_000)
	def(&c.Days, 30)
	def(&c.Accounts, 50)
	def(&c.Products, 40)
	def(&c.UsageTypes, 300)
	def(&c.Regions, 20)
	def(&c.Resources, 200_000)
	def(&c.LongLived, 10_000)
	c.LongLived = min(c.LongLived, c.Resources)
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	}
	c.Start = c.Start.UTC().Truncate(time.Hour)
	return c
}

// genUsageType is one synthetic usage type with its product and price.
type genUsageType struct {
	name, product, operation, family, unit, instance, vcpu string
	rate                                                   float64
}

// genResource is one synthetic resource's fixed attributes.
type genResource struct {
	id      string
	account int
	region  int
	usage   int
	tags    []MapEntry
	kind    uint8 // 0 on-demand, 1 savings plan, 2 reserved
}

// GenerateCUR2 writes a deterministic, CUR 2.0-like Parquet file for tests
// and benchmarks: hourly line items in time order over cfg.Days days from
// long-lived resources (present every hour) and short-lived ones (a sliding
// window, about 15 hours each), 0–5 cost allocation tags per resource, some
// Savings Plan and Reserved Instance coverage, and a tax line per account
// and day.
func GenerateCUR2(w io.Writer, cfg GenerateConfig) error {
	cfg = cfg.withDefaults()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5ca1ab1e))
	products := []string{"AmazonEC2", "AmazonS3", "AmazonRDS", "AmazonVPC", "AWSLambda", "AmazonDynamoDB",
		"AmazonCloudWatch", "AmazonEKS", "AmazonElastiCache", "AmazonEFS", "AWSELB", "AmazonSNS", "AWSQueueService",
		"AmazonRoute53", "AmazonCloudFront", "AWSGlue", "AmazonAthena", "AmazonRedshift", "AmazonKinesis", "awskms"}
	for len(products) < cfg.Products {
		products = append(products, fmt.Sprintf("AWSService%02d", len(products)))
	}
	products = products[:cfg.Products]
	instances := []string{"t3.micro", "t3.large", "m5.large", "m5.xlarge", "c5.2xlarge", "r6g.large", "m7i.4xlarge", "c7g.xlarge"}
	vcpus := []string{"2", "2", "2", "4", "8", "2", "16", "4"}
	regions := make([]string, cfg.Regions)
	base := []string{"us-east-1", "us-east-2", "us-west-1", "us-west-2", "eu-west-1", "eu-west-2", "eu-central-1",
		"eu-north-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "ap-northeast-2",
		"ca-central-1", "sa-east-1", "eu-west-3", "eu-south-1", "me-south-1", "af-south-1", "ap-east-1"}
	for i := range regions {
		if i < len(base) {
			regions[i] = base[i]
		} else {
			regions[i] = fmt.Sprintf("xx-region-%d", i)
		}
	}
	uts := make([]genUsageType, cfg.UsageTypes)
	for i := range uts {
		p := products[i%len(products)]
		u := genUsageType{product: p, rate: 0.001 + rng.Float64()*0.5, unit: "Hrs", family: "Other"}
		switch p {
		case "AmazonEC2":
			k := (i / len(products)) % len(instances)
			u.name, u.operation, u.family = "BoxUsage:"+instances[k], "RunInstances", "Compute Instance"
			u.instance, u.vcpu = instances[k], vcpus[k]
			if (i/len(products))%3 == 2 {
				u.name, u.operation, u.family, u.unit, u.instance, u.vcpu = "EBS:VolumeUsage.gp3", "CreateVolume-Gp3", "Storage", "GB-Mo", "", ""
			}
		case "AmazonS3":
			u.name, u.operation, u.family, u.unit = "TimedStorage-ByteHrs", "StandardStorage", "Storage", "GB-Mo"
		default:
			u.name, u.operation = fmt.Sprintf("%s-Usage%03d", p, i), "Run"
		}
		uts[i] = u
	}
	tagKeys := []string{"user_team", "user_env", "user_app", "user_owner", "user_cost_center"}
	res := func(i int) genResource {
		r := rand.New(rand.NewPCG(cfg.Seed^uint64(i)*0x9E3779B97F4A7C15, 7))
		g := genResource{account: r.IntN(cfg.Accounts), region: r.IntN(cfg.Regions), usage: r.IntN(cfg.UsageTypes)}
		u := uts[g.usage]
		g.id = fmt.Sprintf("arn:aws:%s:%s:%012d:resource/r-%08x", u.product, regions[g.region], 100000000000+g.account, i)
		if u.product == "AmazonEC2" && u.instance != "" {
			g.id = fmt.Sprintf("i-%017x", uint64(i)*2654435761)
		}
		for k := range r.IntN(6) {
			g.tags = append(g.tags, MapEntry{Key: tagKeys[k], Value: tagKeys[k][5:] + "-" + strconv.Itoa(r.IntN(8))})
		}
		switch x := r.IntN(20); {
		case x == 0 && u.instance != "":
			g.kind = 1
		case x == 1 && u.instance != "":
			g.kind = 2
		}
		return g
	}
	long := make([]genResource, cfg.LongLived)
	for i := range long {
		long[i] = res(i)
	}
	short := cfg.Resources - cfg.LongLived
	hours := cfg.Days * 24
	cw, err := NewCUR2Writer(w, cfg.Writer)
	if err != nil {
		return err
	}
	periodStart := time.Date(cfg.Start.Year(), cfg.Start.Month(), 1, 0, 0, 0, 0, time.UTC)
	periodEnd := periodStart.AddDate(0, 1, 0)
	f := func(v float64) *float64 { return &v }
	written := 0
	line := func(h int, g genResource, amount float64) error {
		u := uts[g.usage]
		start := cfg.Start.Add(time.Duration(h) * time.Hour)
		cost := u.rate * amount
		l := CUR2Line{
			BillBillType: "Anniversary", BillBillingEntity: "AWS",
			BillBillingPeriodStartDate: periodStart, BillBillingPeriodEndDate: periodEnd,
			BillInvoicingEntity: "Amazon Web Services, Inc.", BillPayerAccountID: "999999999999", BillPayerAccountName: "Payer",
			IdentityLineItemID:       strconv.FormatInt(int64(written), 36),
			IdentityTimeInterval:     start.Format("2006-01-02T15:04:05Z") + "/" + start.Add(time.Hour).Format("2006-01-02T15:04:05Z"),
			LineItemAvailabilityZone: regions[g.region] + "a", LineItemCurrencyCode: "USD",
			LineItemLegalEntity: "Amazon Web Services, Inc.", LineItemLineItemDescription: u.name,
			LineItemLineItemType: "Usage", LineItemOperation: u.operation, LineItemProductCode: u.product,
			LineItemResourceID: g.id, LineItemUsageAccountID: strconv.Itoa(100000000000 + g.account),
			LineItemUsageAccountName: "account-" + strconv.Itoa(g.account), LineItemUsageType: u.name,
			LineItemUsageStartDate: start, LineItemUsageEndDate: start.Add(time.Hour),
			LineItemUsageAmount: amount, LineItemUnblendedRate: u.rate, LineItemUnblendedCost: cost, LineItemBlendedCost: cost,
			PricingPublicOnDemandCost: cost, PricingPublicOnDemandRate: u.rate, PricingPurchaseOption: "On Demand",
			PricingTerm: "OnDemand", PricingUnit: u.unit,
			ProductInstanceType: u.instance, ProductProductFamily: u.family, ProductRegionCode: regions[g.region],
			ProductServicecode: u.product, ProductSku: fmt.Sprintf("SKU%04d%02d", g.usage, g.region), ProductUsagetype: u.name,
			ResourceTags: g.tags,
		}
		if u.vcpu != "" {
			l.Product = []MapEntry{{Key: "vcpu", Value: u.vcpu}, {Key: "memory", Value: u.vcpu + " GiB"}}
		}
		switch g.kind {
		case 1:
			l.LineItemLineItemType, l.PricingTerm, l.PricingPurchaseOption = "SavingsPlanCoveredUsage", "", ""
			l.SavingsPlanSavingsPlanARN = fmt.Sprintf("arn:aws:savingsplans::999999999999:savingsplan/sp-%d", g.account%5)
			l.SavingsPlanSavingsPlanEffectiveCost = f(cost * 0.72)
		case 2:
			l.LineItemLineItemType, l.PricingTerm, l.PricingPurchaseOption = "DiscountedUsage", "Reserved", "No Upfront"
			l.ReservationReservationARN = fmt.Sprintf("arn:aws:ec2:%s:999999999999:reserved-instances/ri-%d", regions[g.region], g.usage)
			l.ReservationEffectiveCost = f(cost * 0.6)
		}
		written++
		return cw.Write(l)
	}
	perHour := cfg.Rows / hours
	extra := cfg.Rows % hours
	taxRows := cfg.Accounts
	for h := 0; h < hours; h++ {
		n := perHour
		if h < extra {
			n++
		}
		if h%24 == 0 && n > taxRows {
			// One tax line per account and day.
			for a := 0; a < taxRows; a++ {
				start := cfg.Start.Add(time.Duration(h) * time.Hour)
				tax := 0.01 * float64(a+1)
				l := CUR2Line{BillBillingPeriodStartDate: periodStart, BillBillingPeriodEndDate: periodEnd,
					BillPayerAccountID: "999999999999", BillInvoicingEntity: "Amazon Web Services, Inc.",
					LineItemCurrencyCode: "USD", LineItemLineItemType: "Tax", LineItemProductCode: "AmazonEC2",
					LineItemUsageAccountID: strconv.Itoa(100000000000 + a), LineItemUsageStartDate: start,
					LineItemUsageEndDate: start.Add(24 * time.Hour), LineItemUnblendedCost: tax, LineItemBlendedCost: tax,
					LineItemLineItemDescription: "Sales tax"}
				written++
				if err := cw.Write(l); err != nil {
					return err
				}
			}
			n -= taxRows
		}
		nl := min(len(long), n*7/10)
		if short == 0 {
			nl = min(len(long), n)
		}
		for i := 0; i < nl; i++ {
			if err := line(h, long[i], 1); err != nil {
				return err
			}
		}
		rest := n - nl
		if short == 0 {
			continue
		}
		// A window of short-lived resources slides across the period.
		step := max(1, short/hours)
		for j := 0; j < rest; j++ {
			idx := cfg.LongLived + (h*step+j)%short
			g := res(idx)
			if err := line(h, g, 0.25+float64(j%4)*0.25); err != nil {
				return err
			}
		}
	}
	return cw.Close()
}
