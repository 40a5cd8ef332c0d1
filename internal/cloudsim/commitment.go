package cloudsim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Type returns the commitment's canonical type.
func (c *Commitment) Type() string {
	switch c.Kind {
	case "ec2_ri":
		return "aws.ec2.reserved_instance"
	case "rds_ri":
		return "aws.rds.reserved_db_instance"
	case "redshift_ri":
		return "aws.redshift.reserved_node"
	case "odcr":
		return "aws.ec2.capacity_reservation"
	case "azure_reservation":
		return "azure.capacity.reservation"
	case "gcp_reservation":
		return "gcp.compute.reservation"
	default:
		return "gcp.compute.commitment"
	}
}

// HourlyFee returns the commitment's charge per unit-hour in its region.
// Reservations cost about 62 % of on-demand (one year, no upfront), CUDs
// 63 % (GCP's published 37 % one-year discount);
// a capacity reservation or a GCP reservation costs on-demand.
func (c *Commitment) HourlyFee() valdrix.Decimal {
	var od valdrix.Decimal
	switch c.Kind {
	case "ec2_ri", "odcr":
		od = ec2Hourly(c.SKU)
	case "rds_ri":
		od = rdsHourly(c.SKU)
	case "redshift_ri":
		od = redshiftHourly(c.SKU)
	case "azure_reservation":
		od = azureVMHourly(c.SKU)
	case "gcp_reservation":
		od = gcpVMHourly(c.SKU)
	default: // gcp_cud: per vCPU-hour, at GCP's published 1-year discount (37 %)
		od, _ = gcpCPUHourly.MulRatio(63, 100)
	}
	if c.Kind != "odcr" && c.Kind != "gcp_reservation" && c.Kind != "gcp_cud" {
		od, _ = od.MulRatio(62, 100)
	}
	r, _ := od.MulRatio(c.factor, 100)
	return r
}

// UnusedMonthly returns what the unused units cost per 730-hour month.
func (c *Commitment) UnusedMonthly() valdrix.Decimal {
	m, _ := monthly(c.HourlyFee()).MulRatio(int64(c.Unused), 1)
	return m
}

// makeCommitments adds reservations, capacity reservations and CUDs. Used
// units cover running resources of the same type in the same cell (those
// resources get FlagReserved); unused ones are waste.
func (e *Estate) makeCommitments(r *rand.Rand) {
	start := e.Now.AddDate(0, -4, 0)
	for ci := range e.Cells {
		c := &e.Cells[ci]
		acct := e.Accounts[c.Account].ID
		switch c.Provider {
		case valdrix.AWS:
			lo, hi := c.Span(AWSInstance)
			if hi > lo && r.Float64() < 0.5 {
				sku := e.Resources[lo+r.IntN(hi-lo)].SKU
				cm := Commitment{Provider: valdrix.AWS, Account: c.Account, Region: c.Region, Kind: "ec2_ri", SKU: sku,
					Units: 1 + r.IntN(4), Start: start, End: start.AddDate(1, 0, 0), factor: c.region.Factor,
					ID: fmt.Sprintf("arn:aws:ec2:%s:%s:reserved-instances/%s", c.Region, acct, guid(r))}
				e.cover(&cm, lo, hi, r.Float64() < e.Config.Waste[A32], "running", A32)
				e.Commitments = append(e.Commitments, cm)
			}
			if hi > lo && r.Float64() < 0.3 {
				sku := e.Resources[lo+r.IntN(hi-lo)].SKU
				cm := Commitment{Provider: valdrix.AWS, Account: c.Account, Region: c.Region, Kind: "odcr", SKU: sku,
					Units: 1 + r.IntN(3), Start: start, End: e.Now.AddDate(1, 0, 0), factor: c.region.Factor,
					ID: "cr-" + hexID(r, 17)}
				e.cover(&cm, lo, hi, r.Float64() < e.Config.Waste[A33], "running", A33)
				e.Commitments = append(e.Commitments, cm)
			}
			// RDS reserved instances cover the instances flagged reserved.
			dlo, dhi := c.Span(AWSDBInstance)
			bySKU := map[string]int{}
			var skus []string
			for i := dlo; i < dhi; i++ {
				if x := &e.Resources[i]; x.Flags&FlagReserved != 0 {
					if bySKU[x.SKU] == 0 {
						skus = append(skus, x.SKU)
					}
					bySKU[x.SKU]++
				}
			}
			for _, sku := range skus {
				cm := Commitment{Provider: valdrix.AWS, Account: c.Account, Region: c.Region, Kind: "rds_ri", SKU: sku,
					Units: bySKU[sku], Start: start, End: start.AddDate(1, 0, 0), factor: c.region.Factor,
					ID: fmt.Sprintf("arn:aws:rds:%s:%s:ri:%s-%s", c.Region, acct, "ri", hexID(r, 12))}
				if r.Float64() < e.Config.Waste[A32] {
					cm.Units++
					cm.Unused, cm.waste = 1, A32
				}
				e.Commitments = append(e.Commitments, cm)
			}
			e.redshiftReservations(ci)
		case valdrix.Azure:
			lo, hi := c.Span(AzureVirtualMachine)
			if hi > lo && r.Float64() < 0.5 {
				sku := e.Resources[lo+r.IntN(hi-lo)].SKU
				cm := Commitment{Provider: valdrix.Azure, Account: c.Account, Region: c.Region, Kind: "azure_reservation", SKU: sku,
					Units: 1 + r.IntN(4), Start: start, End: start.AddDate(1, 0, 0), factor: c.region.Factor,
					ID: fmt.Sprintf("/providers/Microsoft.Capacity/reservationOrders/%s/reservations/%s", guid(r), guid(r))}
				e.cover(&cm, lo, hi, r.Float64() < e.Config.Waste[Z19], "running", Z19)
				e.Commitments = append(e.Commitments, cm)
			}
		case valdrix.GCP:
			lo, hi := c.Span(GCPInstance)
			if hi > lo && r.Float64() < 0.4 {
				sku := e.Resources[lo+r.IntN(hi-lo)].SKU
				cm := Commitment{Provider: valdrix.GCP, Account: c.Account, Region: c.Region, Kind: "gcp_reservation", SKU: sku,
					Units: 1 + r.IntN(3), Start: start, End: e.Now.AddDate(1, 0, 0), factor: c.region.Factor,
					ID: fmt.Sprintf("projects/%s/zones/%s/reservations/res-%s", acct, zoneName(c.Region, 0), hexID(r, 8))}
				e.cover(&cm, lo, hi, r.Float64() < e.Config.Waste[G9], "RUNNING", G9)
				e.Commitments = append(e.Commitments, cm)
			}
			if hi > lo && r.Float64() < 0.4 {
				cm := Commitment{Provider: valdrix.GCP, Account: c.Account, Region: c.Region, Kind: "gcp_cud", SKU: "vcpu",
					Units: 4 + 4*r.IntN(8), Start: start, End: start.AddDate(1, 0, 0), factor: c.region.Factor,
					ID: fmt.Sprintf("projects/%s/regions/%s/commitments/cud-%s", acct, c.Region, hexID(r, 8))}
				used := 0
				for i := lo; i < hi; i++ {
					if e.Resources[i].State == "RUNNING" {
						used += vcpus(e.Resources[i].SKU)
					}
				}
				if r.Float64() < e.Config.Waste[G13] {
					// At least a tenth idle: smaller shares are within the
					// spread of GCP's published discounts (docs/rules.md G13).
					extra := 4 + 4*r.IntN(4)
					cm.Units = used + max(extra, (used+9)/10)
				} else {
					cm.Units = min(cm.Units, used)
				}
				cm.Unused = max(0, cm.Units-used)
				if cm.Units == 0 {
					continue
				}
				if cm.Unused > 0 {
					cm.waste = G13
				}
				e.Commitments = append(e.Commitments, cm)
			}
		}
	}
}

// redshiftReservations adds, per node type, a Redshift reserved-node
// reservation covering the nodes of the cell's clusters flagged reserved.
// Its id is derived from the cell, so the random stream is not disturbed.
func (e *Estate) redshiftReservations(ci int) {
	c := &e.Cells[ci]
	lo, hi := c.Span(AWSRedshiftCluster)
	nodes := map[string]int{}
	var skus []string
	for i := lo; i < hi; i++ {
		if x := &e.Resources[i]; x.Flags&FlagReserved != 0 {
			if nodes[x.SKU] == 0 {
				skus = append(skus, x.SKU)
			}
			nodes[x.SKU] += int(x.Size2)
		}
	}
	acct := e.Accounts[c.Account].ID
	start := e.Now.AddDate(0, -4, 0)
	for _, sku := range skus {
		e.Commitments = append(e.Commitments, Commitment{Provider: valdrix.AWS, Account: c.Account, Region: c.Region,
			Kind: "redshift_ri", SKU: sku, Units: nodes[sku], Start: start, End: start.AddDate(1, 0, 0), factor: c.region.Factor,
			ID: fmt.Sprintf("arn:aws:redshift:%s:%s:reserved-node/%s", c.Region, acct, guid(newRand(acct+c.Region+sku)))})
	}
}

// cover lets commitment cm cover running resources of its SKU in [lo, hi).
// When unused is false it shrinks to what it can cover; when true it keeps
// at least one unit idle.
func (e *Estate) cover(cm *Commitment, lo, hi int, unused bool, running string, code Code) {
	covered := 0
	for i := lo; i < hi && covered < cm.Units; i++ {
		x := &e.Resources[i]
		if x.SKU == cm.SKU && x.State == running && x.Flags&FlagReserved == 0 {
			x.Flags |= FlagReserved
			covered++
		}
	}
	if unused {
		if covered == cm.Units {
			cm.Units++
		}
	} else {
		cm.Units = max(covered, 1)
	}
	cm.Unused = cm.Units - covered
	if cm.Unused > 0 {
		cm.waste = code
	}
}

// CommitmentStart returns when commitment ci began.
func (e *Estate) CommitmentStart(ci int) time.Time { return e.Commitments[ci].Start }

// BillingID returns the commitment's id in billing exports: GCP names it
// by its full resource name (resource.global_name).
func (c *Commitment) BillingID() string {
	if c.Provider == valdrix.GCP {
		return gcpGlobalName(c.ID)
	}
	return c.ID
}

func gcpGlobalName(id string) string { return "//compute.googleapis.com/" + id }
