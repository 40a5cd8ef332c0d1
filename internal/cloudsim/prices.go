package cloudsim

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Prices are public on-demand list prices in USD for the cheapest region
// (AWS us-east-1, Azure eastus, GCP us-central1), Linux, rounded as published
// by the providers' price lists in 2024–2026 (AWS Price List API, Azure
// Retail Prices API, GCP Cloud Billing Catalog). Other regions multiply them
// by the region's factor. They are realistic, not authoritative.

// hoursPerMonth is the month the ground truth's monthly costs use (AWS's
// convention of 730 hours).
const hoursPerMonth = 730

// gcpCPUHourly is the on-demand price of a vCPU hour of a general-purpose
// GCP VM (us-central1), which resource-based commitments cover.
const gcpCPUHourly valdrix.Decimal = 31_600_000 // $0.0316

func usd(s string) valdrix.Decimal {
	d, err := valdrix.ParseDecimal(s)
	if err != nil {
		panic(fmt.Sprintf("cloudsim: bad price literal %q", s))
	}
	return d
}

// ec2Hourly is the on-demand Linux hourly price of an EC2 instance type.
func ec2Hourly(t string) valdrix.Decimal {
	switch t {
	case "t2.micro":
		return usd("0.0116")
	case "t2.medium":
		return usd("0.0464")
	case "t3.micro":
		return usd("0.0104")
	case "t3.medium":
		return usd("0.0416")
	case "t3.large":
		return usd("0.0832")
	case "m3.medium":
		return usd("0.067")
	case "m4.large":
		return usd("0.10")
	case "m4.xlarge":
		return usd("0.20")
	case "m5.large", "m6i.large":
		return usd("0.096")
	case "m5.xlarge", "m6i.xlarge":
		return usd("0.192")
	case "m5.2xlarge":
		return usd("0.384")
	case "m7g.large":
		return usd("0.0816")
	case "c4.large":
		return usd("0.10")
	case "c5.large":
		return usd("0.085")
	case "c5.xlarge":
		return usd("0.17")
	case "c6g.large":
		return usd("0.068")
	case "r4.large":
		return usd("0.133")
	case "r5.large":
		return usd("0.126")
	case "r5.xlarge":
		return usd("0.252")
	case "r6g.large":
		return usd("0.1008")
	case "g4dn.xlarge":
		return usd("0.526")
	}
	return usd("0.10")
}

// vcpus returns the vCPU count of an EC2, RDS, Azure or GCP machine type.
func vcpus(t string) int {
	switch t {
	case "t2.micro", "m3.medium", "n1-standard-1":
		return 1
	case "Standard_D4s_v3", "Standard_E4s_v3", "Standard_F4s_v2", "e2-standard-4", "n2-standard-4", "c3-standard-4", "GP_Gen5_4", "db-custom-4-15360":
		return 4
	}
	t = strings.TrimPrefix(t, "db.")
	switch {
	case strings.HasSuffix(t, ".2xlarge"):
		return 8
	case strings.HasSuffix(t, ".4xlarge"):
		return 16
	case strings.HasSuffix(t, ".xlarge"), strings.HasSuffix(t, ".xlplus"):
		return 4
	}
	return 2
}

// ebsMonthly is the monthly price of an EBS volume.
func ebsMonthly(typ string, gib, iops int32) valdrix.Decimal {
	var perGB valdrix.Decimal
	switch typ {
	case "gp2":
		perGB = usd("0.10")
	case "gp3":
		perGB = usd("0.08")
	case "io1", "io2":
		perGB = usd("0.125")
	case "st1":
		perGB = usd("0.045")
	case "sc1":
		perGB = usd("0.015")
	default:
		perGB = usd("0.05")
	}
	c, _ := perGB.MulRatio(int64(gib), 1)
	if typ == "io1" || typ == "io2" {
		p, _ := usd("0.065").MulRatio(int64(iops), 1)
		c, _ = c.Add(p)
	}
	return c
}

func rdsHourly(class string) valdrix.Decimal {
	switch class {
	case "db.t3.micro":
		return usd("0.017")
	case "db.t3.medium":
		return usd("0.068")
	case "db.m5.large":
		return usd("0.171")
	case "db.m5.xlarge":
		return usd("0.342")
	case "db.r5.large":
		return usd("0.25")
	case "db.m6g.large":
		return usd("0.152")
	}
	return usd("0.171")
}

func redshiftHourly(t string) valdrix.Decimal {
	switch t {
	case "dc2.large":
		return usd("0.25")
	case "ra3.xlplus":
		return usd("1.086")
	}
	return usd("3.26")
}

func sagemakerHourly(t string) valdrix.Decimal {
	switch t {
	case "ml.m5.large":
		return usd("0.115")
	case "ml.c5.xlarge":
		return usd("0.204")
	}
	return usd("0.736")
}

func azureVMHourly(size string) valdrix.Decimal {
	switch size {
	case "Standard_B2s":
		return usd("0.0416")
	case "Standard_D4s_v3":
		return usd("0.192")
	case "Standard_E4s_v3":
		return usd("0.252")
	case "Standard_F4s_v2":
		return usd("0.169")
	}
	return usd("0.096") // D2s_v3, D2s_v5
}

// azureDiskMonthly is the monthly price of a managed disk by SKU and size
// tier (P/E/S 4…30).
func azureDiskMonthly(sku string, gib int32) valdrix.Decimal {
	tiers := []int32{32, 64, 128, 256, 512, 1024}
	var prices []string
	switch sku {
	case "Premium_LRS":
		prices = []string{"5.28", "10.21", "19.71", "38.01", "73.22", "135.17"}
	case "StandardSSD_LRS":
		prices = []string{"2.40", "4.80", "9.60", "19.20", "38.40", "76.80"}
	default:
		prices = []string{"1.54", "3.01", "5.89", "11.33", "21.76", "40.96"}
	}
	for i, t := range tiers {
		if gib <= t {
			return usd(prices[i])
		}
	}
	return usd(prices[len(prices)-1])
}

func azurePlanHourly(sku string) valdrix.Decimal {
	switch sku {
	case "P1v3":
		return usd("0.169")
	case "P2v3":
		return usd("0.338")
	case "S1":
		return usd("0.10")
	}
	return usd("0.018")
}

func azureSQLHourly(sku string) valdrix.Decimal {
	switch sku {
	case "GP_Gen5_2":
		return usd("0.5044")
	case "GP_Gen5_4":
		return usd("1.0088")
	case "BC_Gen5_2":
		return usd("1.3594")
	}
	return usd("0.0202")
}

func gcpVMHourly(t string) valdrix.Decimal {
	switch t {
	case "e2-medium":
		return usd("0.0335")
	case "e2-standard-2":
		return usd("0.067")
	case "e2-standard-4":
		return usd("0.134")
	case "n2-standard-4":
		return usd("0.1942")
	case "n1-standard-1":
		return usd("0.0475")
	case "n2d-standard-2":
		return usd("0.0845")
	}
	return usd("0.2088")
}

func gcpDiskPerGB(t string) valdrix.Decimal {
	switch t {
	case "pd-standard":
		return usd("0.04")
	case "pd-ssd":
		return usd("0.17")
	}
	return usd("0.10")
}

func gcpSQLHourly(tier string) valdrix.Decimal {
	switch tier {
	case "db-custom-2-7680":
		return usd("0.1351")
	case "db-custom-4-15360":
		return usd("0.2702")
	case "db-g1-small":
		return usd("0.035")
	}
	return usd("0.1341")
}

// monthly returns rate×hours (a 730-hour month).
func monthly(hourly valdrix.Decimal) valdrix.Decimal {
	m, _ := hourly.MulRatio(hoursPerMonth, 1)
	return m
}

func perGB(rate string, gib int32) valdrix.Decimal {
	m, _ := usd(rate).MulRatio(int64(gib), 1)
	return m
}

// regional scales a us-east-1 price to the cell's region.
func (e *Estate) regional(i int, d valdrix.Decimal) valdrix.Decimal {
	f := e.Cells[e.Resources[i].Cell].region.Factor
	r, _ := d.MulRatio(f, 100)
	return r
}

// HourlyRate returns the on-demand hourly list price of running resource i,
// in its region, or 0 for resources billed by size or usage.
func (e *Estate) HourlyRate(i int) valdrix.Decimal {
	x := &e.Resources[i]
	var h valdrix.Decimal
	switch x.Kind {
	case AWSInstance:
		h = ec2Hourly(x.SKU)
	case AWSAddress:
		h = usd("0.005")
	case AWSNatGateway:
		h = usd("0.045")
	case AWSClassicLoadBalancer:
		h = usd("0.025")
	case AWSLoadBalancer:
		h = usd("0.0225")
	case AWSDBInstance:
		h = rdsHourly(x.SKU)
	case AWSRedshiftCluster:
		h, _ = redshiftHourly(x.SKU).MulRatio(int64(x.Size2), 1)
	case AWSSageMakerEndpoint:
		h = sagemakerHourly(x.SKU)
	case AzureVirtualMachine:
		h = azureVMHourly(x.SKU)
	case AzurePublicIP:
		h = usd("0.005")
		if x.SKU == "Basic" {
			h = usd("0.0036")
		}
	case AzureLoadBalancer:
		h = usd("0.025")
	case AzureAppServicePlan:
		h = azurePlanHourly(x.SKU)
	case AzureSQLDatabase:
		h = azureSQLHourly(x.SKU)
	case GCPInstance:
		h = gcpVMHourly(x.SKU)
	case GCPAddress:
		h = usd("0.005")
		if x.State == "RESERVED" {
			h = usd("0.01")
		}
	case GCPSQLInstance:
		h = gcpSQLHourly(x.SKU)
	default:
		return 0
	}
	return e.regional(i, h)
}

// StorageMonthly returns resource i's monthly storage price (GB-month
// charges), in its region.
func (e *Estate) StorageMonthly(i int) valdrix.Decimal {
	x := &e.Resources[i]
	var m valdrix.Decimal
	switch x.Kind {
	case AWSVolume:
		m = ebsMonthly(x.SKU, x.Size, x.Size2)
	case AWSSnapshot:
		m = perGB("0.05", x.Size)
	case AWSDBInstance:
		m = perGB("0.115", x.Size)
	case AWSDBSnapshot:
		m = perGB("0.095", x.Size)
	case AWSBucket:
		m = perGB("0.023", x.Size)
	case AWSRepository:
		m = perGB("0.10", x.Size)
	case AWSTable:
		m = perGB("0.25", max(1, x.Size/1024))
	case AWSLogGroup:
		m = perGB("0.03", max(1, x.Size/1024))
	case AzureDisk:
		m = azureDiskMonthly(x.SKU, x.Size)
	case AzureSnapshot:
		switch x.SKU {
		case "Premium_LRS":
			m = perGB("0.12", x.Size)
		case "Standard_ZRS":
			m = perGB("0.0625", x.Size)
		default:
			m = perGB("0.05", x.Size)
		}
	case AzureImage:
		m = perGB("0.05", x.Size)
	case GCPDisk:
		m, _ = gcpDiskPerGB(x.SKU).MulRatio(int64(x.Size), 1)
	case GCPSnapshot:
		m = perGB("0.026", x.Size)
	case GCPImage:
		m = perGB("0.05", x.Size)
	case GCPSQLInstance:
		m = perGB("0.17", x.Size)
	default:
		return 0
	}
	return e.regional(i, m)
}

// MonthlyCost returns resource i's monthly list cost in its current state:
// hourly charges for a 730-hour month when it runs, plus storage.
func (e *Estate) MonthlyCost(i int) valdrix.Decimal {
	x := &e.Resources[i]
	var c valdrix.Decimal
	if x.State != "stopped" && x.State != "deallocated" && x.State != "TERMINATED" {
		c = monthly(e.HourlyRate(i))
	}
	s, _ := c.Add(e.StorageMonthly(i))
	return s
}

// extendedSupportHourly is the RDS Extended Support charge per vCPU-hour
// (years 1–2, us-east-1).
func extendedSupportHourly() valdrix.Decimal { return usd("0.10") }
