package cloudsim

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// BillingLine is one line of a provider billing export, in neutral form. The
// AWS fields follow CUR 2.0 column names (line_item_usage_type →
// UsageType); Azure and GCP exports will fill the same struct (meter →
// UsageType, SKU → ProductSKU) when their writers are added.
type BillingLine struct {
	Provider         valdrix.Provider
	PayerAccountID   string
	PayerAccountName string
	UsageAccountID   string
	UsageAccountName string
	BillingPeriod    valdrix.Month
	Start, End       time.Time // usage interval (an hour or a day)

	LineItemType     string // Usage, DiscountedUsage, RIFee
	ProductCode      string // AmazonEC2, AmazonVPC, AmazonRDS, …
	UsageType        string // "USE1-BoxUsage:m5.large"
	Operation        string // "RunInstances"
	ResourceID       string // line_item_resource_id: the resource's billing id
	Region           string // product_region_code
	AvailabilityZone string
	Description      string

	UsageAmount        valdrix.Decimal
	PricingUnit        string // Hrs, GB-Mo, GB, Requests, vCPU-Hours
	UnblendedRate      valdrix.Decimal
	UnblendedCost      valdrix.Decimal
	PublicOnDemandRate valdrix.Decimal
	PublicOnDemandCost valdrix.Decimal
	PricingTerm        string // OnDemand, Reserved
	PurchaseOption     string // "On Demand", "No Upfront"

	ProductFamily string
	InstanceType  string
	VCPU          int

	ReservationARN                string
	ReservationEffectiveCost      valdrix.Decimal
	ReservationUnusedQuantity     valdrix.Decimal
	ReservationUnusedRecurringFee valdrix.Decimal

	Tags map[string]string // cost allocation tags ("user_team")
}

// BillingConfig says which lines to generate.
type BillingConfig struct {
	Provider valdrix.Provider // only AWS is generated so far
	// Start and End bound the usage (default: the 45 days before the
	// estate's Now, at midnight).
	Start, End time.Time
	// Granularity is time.Hour (CUR hourly) or 24h (daily; default).
	Granularity time.Duration
	// Accounts limits the lines to these account ids (default all).
	Accounts []string
}

func (c BillingConfig) withDefaults(now time.Time) BillingConfig {
	c.Provider = cmp.Or(c.Provider, valdrix.AWS)
	day := now.UTC().Truncate(24 * time.Hour)
	if c.End.IsZero() {
		c.End = day
	}
	if c.Start.IsZero() {
		c.Start = c.End.AddDate(0, 0, -45)
	}
	if c.Granularity != time.Hour {
		c.Granularity = 24 * time.Hour
	}
	return c
}

// BillingLines generates the billing lines of the estate for cfg, calling
// fn for each (the line is reused: copy it to keep it). Lines come per
// period, then per resource; amounts are exact decimals from the public
// prices the ground truth uses.
func (e *Estate) BillingLines(cfg BillingConfig, fn func(*BillingLine) error) error {
	cfg = cfg.withDefaults(e.Now)
	if cfg.Provider != valdrix.AWS {
		return valdrix.Errorf(valdrix.ENOTIMPLEMENTED, "billing lines for %s are not generated yet", cfg.Provider)
	}
	g := &lineGen{e: e, fn: fn, payer: e.AWSPayerAccount}
	for _, a := range e.Accounts {
		if a.Payer && a.Provider == valdrix.AWS {
			g.payerName = a.Name
		}
	}
	for t := cfg.Start; t.Before(cfg.End); t = t.Add(cfg.Granularity) {
		end := t.Add(cfg.Granularity)
		for ai, a := range e.Accounts {
			if a.Provider != valdrix.AWS || (len(cfg.Accounts) > 0 && !containsStr(cfg.Accounts, a.ID)) {
				continue
			}
			for _, ci := range a.Cells {
				if err := g.cell(ai, int(ci), t, end); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

type lineGen struct {
	e         *Estate
	fn        func(*BillingLine) error
	payer     string
	payerName string
	l         BillingLine
}

// active returns the hours of [t, end) during which resource i existed and
// (for hourly-billed kinds) ran.
func (g *lineGen) active(i int, t, end time.Time, running bool) valdrix.Decimal {
	x := &g.e.Resources[i]
	from := max(t.Unix(), x.Created)
	to := end.Unix()
	if running && (x.State == "stopped" || x.State == "deallocated") {
		to = min(to, x.Changed)
	}
	if to <= from {
		return 0
	}
	return valdrix.Decimal((to - from) * valdrix.DecimalScale / 3600)
}

// emit sends one line for resource i.
func (g *lineGen) emit(i int, t, end time.Time, product, family, usageType, op, unit string, amount, rate valdrix.Decimal, pricingRate valdrix.Decimal) error {
	if !g.line(i, t, end, product, family, usageType, op, unit, amount, rate, pricingRate) {
		return nil
	}
	return g.fn(&g.l)
}

// line builds one line for resource i in g.l; false when there is no usage.
func (g *lineGen) line(i int, t, end time.Time, product, family, usageType, op, unit string, amount, rate valdrix.Decimal, pricingRate valdrix.Decimal) bool {
	if amount <= 0 {
		return false
	}
	e := g.e
	c := e.CellOfResource(i)
	a := &e.Accounts[c.Account]
	cost, _ := amount.Mul(rate)
	list, _ := amount.Mul(pricingRate)
	x := &e.Resources[i]
	g.l = BillingLine{
		Provider: valdrix.AWS, PayerAccountID: g.payer, PayerAccountName: g.payerName, UsageAccountID: a.ID, UsageAccountName: a.Name,
		BillingPeriod: valdrix.MonthOf(t), Start: t, End: end, LineItemType: "Usage", ProductCode: product, ProductFamily: family,
		UsageType: c.region.Code + "-" + usageType, Operation: op, ResourceID: e.BillingID(i), Region: c.Region,
		UsageAmount: amount, PricingUnit: unit, UnblendedRate: rate, UnblendedCost: cost, PublicOnDemandRate: pricingRate,
		PublicOnDemandCost: list, PricingTerm: "OnDemand", PurchaseOption: "On Demand", Tags: costTags(e.Tags(i)),
	}
	if x.Kind == AWSInstance || x.Kind == AWSVolume || x.Kind == AWSDBInstance || x.Kind == AWSNatGateway {
		g.l.AvailabilityZone = e.Zone(i)
	}
	return true
}

// reserve turns g.l into a line covered by reservation arn. Without one
// (an instance held by an On-Demand Capacity Reservation, which does not
// discount it) the line stays On-Demand usage.
func (g *lineGen) reserve(arn string) {
	if arn == "" {
		return
	}
	g.l.LineItemType, g.l.PricingTerm, g.l.PurchaseOption = "DiscountedUsage", "Reserved", "No Upfront"
	g.l.ReservationARN = arn
	g.l.ReservationEffectiveCost, _ = g.l.UnblendedCost.MulRatio(62, 100)
	g.l.UnblendedCost, g.l.UnblendedRate = 0, 0
}

// costTags returns the cost-allocation form of tags ("user_team").
func costTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out["user_"+strings.ReplaceAll(strings.ToLower(k), "-", "_")] = v
	}
	return out
}

// gbMonths returns GiB × hours / hours-in-month (CUR's GB-Mo per line).
func gbMonths(gib int64, hours valdrix.Decimal, t time.Time) valdrix.Decimal {
	days := int64(valdrix.MonthOf(t).Days())
	v, _ := hours.MulRatio(gib, days*24)
	return v
}

func (g *lineGen) cell(ai, ci int, t, end time.Time) error {
	e := g.e
	c := &e.Cells[ci]
	f := c.region.Factor
	reg := func(d valdrix.Decimal) valdrix.Decimal { r, _ := d.MulRatio(f, 100); return r }
	perMonth := func(monthly valdrix.Decimal) valdrix.Decimal { return reg(monthly) } // rate per GB-Mo
	for k := Kind(1); k < numKinds; k++ {
		if k.Provider() != valdrix.AWS {
			continue
		}
		lo, hi := c.Span(k)
		for i := lo; i < hi; i++ {
			x := &e.Resources[i]
			var err error
			switch k {
			case AWSInstance:
				h := g.active(i, t, end, true)
				rate := e.HourlyRate(i)
				if g.line(i, t, end, "AmazonEC2", "Compute Instance", "BoxUsage:"+x.SKU, "RunInstances", "Hrs", h, rate, rate) {
					g.l.InstanceType, g.l.VCPU = x.SKU, vcpus(x.SKU)
					if x.Flags&FlagReserved != 0 {
						g.reserve(e.commitmentFor(ci, "ec2_ri", x.SKU))
					}
					err = g.fn(&g.l)
				}
			case AWSVolume:
				h := g.active(i, t, end, false)
				gb := gbMonths(int64(x.Size), h, t)
				ut := "EBS:VolumeUsage." + x.SKU
				perGB := map[string]string{"gp2": "0.10", "gp3": "0.08", "io1": "0.125", "io2": "0.125", "st1": "0.045", "sc1": "0.015"}[x.SKU]
				err = g.emit(i, t, end, "AmazonEC2", "Storage", ut, "CreateVolume-"+strings.ToUpper(x.SKU[:1])+x.SKU[1:], "GB-Mo", gb, perMonth(usd(perGB)), perMonth(usd(perGB)))
				if err == nil && (x.SKU == "io1" || x.SKU == "io2") {
					iops := gbMonths(int64(x.Size2), h, t)
					err = g.emit(i, t, end, "AmazonEC2", "System Operation", "EBS:VolumeP-IOPS.piops", "CreateVolume-P-IOPS", "IOPS-Mo", iops, perMonth(usd("0.065")), perMonth(usd("0.065")))
				}
			case AWSSnapshot:
				gb := gbMonths(int64(x.Size), g.active(i, t, end, false), t)
				err = g.emit(i, t, end, "AmazonEC2", "Storage Snapshot", "EBS:SnapshotUsage", "CreateSnapshot", "GB-Mo", gb, perMonth(usd("0.05")), perMonth(usd("0.05")))
			case AWSAddress:
				ut := "PublicIPv4:IdleAddress"
				if x.Ref >= 0 && e.Resources[x.Ref].State == "running" {
					ut = "PublicIPv4:InUseAddress"
				}
				rate := e.HourlyRate(i)
				err = g.emit(i, t, end, "AmazonVPC", "IP Address", ut, "AssociateAddressVPC", "Hrs", g.active(i, t, end, false), rate, rate)
			case AWSNatGateway:
				rate := e.HourlyRate(i)
				err = g.emit(i, t, end, "AmazonEC2", "NAT Gateway", "NatGateway-Hours", "NatGateway", "Hrs", g.active(i, t, end, false), rate, rate)
				if err == nil {
					_, bytes := e.MetricStat(i, MetricNATBytesOut, "Sum", t, end, end.Sub(t))
					if len(bytes) == 1 && bytes[0] > 0 {
						gb, _ := valdrix.DecimalFromFloat(bytes[0] / 1e9)
						err = g.emit(i, t, end, "AmazonEC2", "NAT Gateway", "NatGateway-Bytes", "NatGateway", "GB", gb, reg(usd("0.045")), reg(usd("0.045")))
					}
				}
			case AWSClassicLoadBalancer, AWSLoadBalancer:
				rate := e.HourlyRate(i)
				family := "Load Balancer"
				if k == AWSLoadBalancer {
					family = "Load Balancer-Application"
					if x.SKU == "network" {
						family = "Load Balancer-Network"
					}
				}
				h := g.active(i, t, end, false)
				err = g.emit(i, t, end, "AWSELB", family, "LoadBalancerUsage", "LoadBalancing", "Hrs", h, rate, rate)
				if err == nil && x.waste&A3.bit() == 0 {
					if k == AWSLoadBalancer {
						err = g.emit(i, t, end, "AWSELB", family, "LCUUsage", "LoadBalancing:Application", "LCU-Hrs", h, reg(usd("0.008")), reg(usd("0.008")))
					} else {
						err = g.emit(i, t, end, "AWSELB", family, "DataProcessing-Bytes", "LoadBalancing", "GB", h, reg(usd("0.008")), reg(usd("0.008")))
					}
				}
			case AWSDBInstance:
				h := g.active(i, t, end, true)
				rate := e.HourlyRate(i)
				engine, version, _ := strings.Cut(x.Extra, "|")
				op := map[string]string{"mysql": "CreateDBInstance:0002", "postgres": "CreateDBInstance:0014"}[engine]
				if g.line(i, t, end, "AmazonRDS", "Database Instance", "InstanceUsage:"+x.SKU, op, "Hrs", h, rate, rate) {
					g.l.InstanceType, g.l.VCPU = x.SKU, vcpus(x.SKU)
					if x.Flags&FlagReserved != 0 {
						g.reserve(e.commitmentFor(ci, "rds_ri", x.SKU))
					}
					err = g.fn(&g.l)
				}
				if err == nil {
					gb := gbMonths(int64(x.Size), g.active(i, t, end, false), t)
					err = g.emit(i, t, end, "AmazonRDS", "Database Storage", "RDS:GP3-Storage", op, "GB-Mo", gb, perMonth(usd("0.115")), perMonth(usd("0.115")))
				}
				if err == nil && IsExtendedSupport(engine, version) {
					vh, _ := h.MulRatio(int64(vcpus(x.SKU)), 1)
					label := map[string]string{"mysql": "MySQL5.7", "postgres": "PostgreSQL" + strings.Split(version, ".")[0]}[engine]
					err = g.emit(i, t, end, "AmazonRDS", "Database Instance", "ExtendedSupport:Yr1-Yr2:"+label, op, "vCPU-Hours", vh, reg(extendedSupportHourly()), reg(extendedSupportHourly()))
				}
			case AWSDBSnapshot:
				gb := gbMonths(int64(x.Size), g.active(i, t, end, false), t)
				err = g.emit(i, t, end, "AmazonRDS", "Storage Snapshot", "RDS:ChargedBackupUsage", "CreateDBSnapshot", "GB-Mo", gb, perMonth(usd("0.095")), perMonth(usd("0.095")))
			case AWSBucket, AWSRepository, AWSLogGroup, AWSTable:
				product, rate, gib := "AmazonS3", "0.023", int64(x.Size)
				switch k {
				case AWSRepository:
					product, rate = "AmazonECR", "0.10"
				case AWSLogGroup:
					product, rate, gib = "AmazonCloudWatch", "0.03", max(1, int64(x.Size)/1024)
				case AWSTable:
					product, rate, gib = "AmazonDynamoDB", "0.25", max(1, int64(x.Size)/1024)
				}
				gb := gbMonths(gib, g.active(i, t, end, false), t)
				err = g.emit(i, t, end, product, "Storage", "TimedStorage-ByteHrs", "StandardStorage", "GB-Mo", gb, perMonth(usd(rate)), perMonth(usd(rate)))
			case AWSRedshiftCluster:
				rate := e.HourlyRate(i)
				if g.line(i, t, end, "AmazonRedshift", "Compute Instance", "Node:"+x.SKU, "RunComputeNode:0001", "Hrs", g.active(i, t, end, false), rate, rate) {
					g.l.InstanceType = x.SKU
					if x.Flags&FlagReserved != 0 {
						g.reserve(e.commitmentFor(ci, "redshift_ri", x.SKU))
					}
					err = g.fn(&g.l)
				}
			case AWSSageMakerEndpoint:
				rate := e.HourlyRate(i)
				err = g.emit(i, t, end, "AmazonSageMaker", "ML Instance", "Host:"+x.SKU, "RunInstance", "Hrs", g.active(i, t, end, false), rate, rate)
			case AWSFunction:
				// A small, steady number of requests.
				req, _ := g.active(i, t, end, false).MulRatio(int64(e.hash(i, 11)%500+1), 1)
				err = g.emit(i, t, end, "AWSLambda", "Serverless", "Request", "Invoke", "Requests", req, reg(usd("0.0000002")), reg(usd("0.0000002")))
			}
			if err != nil {
				return err
			}
		}
	}
	return g.commitments(ai, ci, t, end)
}

// commitments emits the fee lines of the cell's reservations (one RIFee line
// per reservation and month, on the first period of the month) and the
// unused-capacity lines of its capacity reservations.
func (g *lineGen) commitments(ai, ci int, t, end time.Time) error {
	e := g.e
	c := &e.Cells[ci]
	a := &e.Accounts[ai]
	for k := range e.Commitments {
		cm := &e.Commitments[k]
		if cm.Provider != valdrix.AWS || int(cm.Account) != ai || cm.Region != c.Region || !cm.Start.Before(end) {
			continue
		}
		base := BillingLine{Provider: valdrix.AWS, PayerAccountID: g.payer, PayerAccountName: g.payerName, UsageAccountID: a.ID,
			UsageAccountName: a.Name, BillingPeriod: valdrix.MonthOf(t), Start: t, End: end, Region: c.Region,
			ResourceID: cm.ID, InstanceType: cm.SKU, VCPU: vcpus(cm.SKU), PricingTerm: "Reserved", PurchaseOption: "No Upfront"}
		switch cm.Kind {
		case "ec2_ri", "rds_ri", "redshift_ri":
			if t.Day() != 1 || t.Hour() != 0 {
				continue
			}
			hours := int64(valdrix.MonthOf(t).Days() * 24)
			fee := cm.HourlyFee()
			l := base
			l.LineItemType, l.ReservationARN = "RIFee", cm.ID
			l.ProductCode, l.ProductFamily, l.Operation, l.PricingUnit = "AmazonEC2", "Compute Instance", "RunInstances", "Hrs"
			l.UsageType = c.region.Code + "-HeavyUsage:" + cm.SKU
			switch cm.Kind {
			case "rds_ri":
				l.ProductCode, l.ProductFamily, l.Operation = "AmazonRDS", "Database Instance", "CreateDBInstance"
			case "redshift_ri":
				l.ProductCode, l.Operation = "AmazonRedshift", "RunComputeNode:0001"
			}
			l.UsageAmount = valdrix.NewDecimal(int64(cm.Units)*hours, 0)
			l.UnblendedRate = fee
			l.UnblendedCost, _ = fee.MulRatio(int64(cm.Units)*hours, 1)
			l.ReservationUnusedQuantity = valdrix.NewDecimal(int64(cm.Unused)*hours, 0)
			l.ReservationUnusedRecurringFee, _ = fee.MulRatio(int64(cm.Unused)*hours, 1)
			l.Description = fmt.Sprintf("USD %s hourly fee per %s reserved instance", fee, cm.SKU)
			if err := g.fn(&l); err != nil {
				return err
			}
		case "odcr":
			if cm.Unused == 0 {
				continue
			}
			l := base
			l.LineItemType, l.PricingTerm, l.PurchaseOption = "Usage", "OnDemand", "On Demand"
			l.ProductCode, l.ProductFamily, l.Operation, l.PricingUnit = "AmazonEC2", "Compute Instance", "RunInstances:0004", "Hrs"
			l.UsageType = c.region.Code + "-UnusedBox:" + cm.SKU
			hours := valdrix.Decimal((end.Unix() - max(t.Unix(), cm.Start.Unix())) * valdrix.DecimalScale / 3600)
			l.UsageAmount, _ = hours.MulRatio(int64(cm.Unused), 1)
			l.UnblendedRate = cm.HourlyFee()
			l.UnblendedCost, _ = l.UsageAmount.Mul(l.UnblendedRate)
			l.PublicOnDemandRate, l.PublicOnDemandCost = l.UnblendedRate, l.UnblendedCost
			l.Description = "Unused On-Demand Capacity Reservation"
			if err := g.fn(&l); err != nil {
				return err
			}
		}
	}
	return nil
}

// commitmentFor returns the id of the cell's commitment of kind and SKU.
func (e *Estate) commitmentFor(ci int, kind, sku string) string {
	c := &e.Cells[ci]
	for k := range e.Commitments {
		cm := &e.Commitments[k]
		if cm.Kind == kind && cm.SKU == sku && cm.Region == c.Region && cm.Account == c.Account {
			return cm.ID
		}
	}
	return ""
}
