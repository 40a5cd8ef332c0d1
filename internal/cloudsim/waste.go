package cloudsim

import (
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Code is a waste code of the rule catalogue (rules.md): A… AWS, Z… Azure,
// G… GCP.
type Code string

// The waste codes the simulator seeds.
const (
	A1  Code = "A1"  // Elastic IP not associated with a running instance
	A2  Code = "A2"  // NAT gateway with no traffic
	A3  Code = "A3"  // load balancer without targets
	A4  Code = "A4"  // EBS volume unattached
	A5  Code = "A5"  // EBS volume on an instance stopped > 30 d
	A7  Code = "A7"  // EBS gp2/io1 (previous generation)
	A9  Code = "A9"  // EBS snapshot > 90 d not backing an AMI
	A10 Code = "A10" // AMI used by no instance
	A11 Code = "A11" // EC2 idle
	A13 Code = "A13" // EC2 stopped > 30 d
	A14 Code = "A14" // EC2 previous generation
	A16 Code = "A16" // RDS idle
	A18 Code = "A18" // RDS snapshot orphaned > 30 d
	A19 Code = "A19" // RDS engine in extended support
	A21 Code = "A21" // RDS/Redshift on demand > 90 d
	A26 Code = "A26" // log group without retention
	A27 Code = "A27" // ECR repository without lifecycle policy
	A32 Code = "A32" // reserved instance unused
	A33 Code = "A33" // capacity reservation unused

	Z1  Code = "Z1"  // managed disk unattached
	Z2  Code = "Z2"  // disk on a VM deallocated > 30 d
	Z4  Code = "Z4"  // public IP unattached
	Z5  Code = "Z5"  // VM idle
	Z6  Code = "Z6"  // VM deallocated > 30 d
	Z10 Code = "Z10" // load balancer with an empty backend pool
	Z12 Code = "Z12" // snapshot > 90 d
	Z14 Code = "Z14" // vCore SQL database pay-as-you-go > 90 d
	Z19 Code = "Z19" // reservation unused
	Z20 Code = "Z20" // empty resource group

	G1  Code = "G1"  // persistent disk detached > 15 d
	G2  Code = "G2"  // static IP reserved, unused > 15 d
	G3  Code = "G3"  // custom image unused, older than 15 d
	G4  Code = "G4"  // VM idle
	G6  Code = "G6"  // persistent disk attached to a VM stopped > 30 d
	G7  Code = "G7"  // snapshot > 90 d
	G8  Code = "G8"  // Cloud SQL idle
	G9  Code = "G9"  // reservation unused
	G13 Code = "G13" // committed use discount underused
)

// AllCodes lists the seeded codes in catalogue order.
func AllCodes() []Code {
	return []Code{A1, A2, A3, A4, A5, A7, A9, A10, A11, A13, A14, A16, A18, A19, A21, A26, A27, A32, A33,
		Z1, Z2, Z4, Z5, Z6, Z10, Z12, Z14, Z19, Z20, G1, G2, G3, G4, G6, G7, G8, G9, G13}
}

func (c Code) bit() uint64 {
	i := slices.Index(AllCodes(), c)
	if i < 0 {
		return 0
	}
	return 1 << uint(i)
}

// DefaultWaste returns the default share of each code: the fraction of the
// resources of the code's kind that get it. A5, Z2 and G6 have no knob: they
// follow from A13, Z6 and the GCP instances stopped (TERMINATED) more than 30
// days ago (the disks of long-stopped instances).
func DefaultWaste() map[Code]float64 {
	return map[Code]float64{
		A1: 0.20, A2: 0.15, A3: 0.20, A4: 0.10, A7: 0.15, A9: 0.15, A10: 0.30, A11: 0.08, A13: 0.06,
		A14: 0.10, A16: 0.10, A18: 0.25, A19: 0.08, A21: 0.20, A26: 0.40, A27: 0.40, A32: 0.40, A33: 0.50,
		Z1: 0.10, Z4: 0.15, Z5: 0.08, Z6: 0.06, Z10: 0.20, Z12: 0.15, Z14: 0.25, Z19: 0.40, Z20: 0.10,
		G1: 0.10, G2: 0.20, G3: 0.30, G4: 0.08, G7: 0.15, G8: 0.10, G9: 0.40, G13: 0.40,
	}
}

// Thresholds the ground truth uses (the catalogue's default thresholds).
const (
	StoppedDays           = 30 // A5, A13, Z2, Z6, G6
	SnapshotAgeDays       = 90 // A9, Z12, G7
	RDSSnapshotOrphanDays = 30 // A18
	OnDemandDays          = 90 // A21, Z14
	GCPIdleDays           = 15 // G1, G2, G3
)

// Truth is one ground-truth fact: resource (or commitment) BillingID shows
// waste Code.
type Truth struct {
	Code       Code
	Provider   valdrix.Provider
	Type       string // canonical type; commitments use "aws.ec2.reserved_instance", …
	AccountID  string
	Region     string
	ResourceID string // provider-native id (the inventory's cloud.Resource.ID)
	BillingID  string // id in billing exports (cloud.Resource.BillingID)
	// MonthlyCost is what the waste costs per 730-hour month at the
	// simulator's list prices (docs/simulator.md gives the basis per code).
	MonthlyCost valdrix.Decimal
	// Index is the resource's index in Estate.Resources, or -1 for a
	// commitment.
	Index int
}

// GroundTruth lists every (resource, code) pair of the estate, in resource
// order then commitments.
func (e *Estate) GroundTruth() []Truth { return slices.Clone(e.truth) }

// Waste returns the codes resource i shows.
func (e *Estate) Waste(i int) []Code {
	var out []Code
	w := e.Resources[i].waste
	for _, c := range AllCodes() {
		if w&c.bit() != 0 {
			out = append(out, c)
		}
	}
	return out
}

var prevGenFamilies = []string{"t2", "m3", "m4", "c4", "r4", "i2", "d2", "c3", "r3", "g2"}

// IsPreviousGeneration reports whether an EC2 instance type is of a previous
// generation family.
func IsPreviousGeneration(instanceType string) bool {
	fam, _, _ := strings.Cut(instanceType, ".")
	return slices.Contains(prevGenFamilies, fam)
}

// IsExtendedSupport reports whether an RDS engine version ("mysql", "5.7.44")
// is past standard support (in RDS Extended Support).
func IsExtendedSupport(engine, version string) bool {
	switch engine {
	case "mysql":
		return strings.HasPrefix(version, "5.7.")
	case "postgres":
		return strings.HasPrefix(version, "11.") || strings.HasPrefix(version, "12.")
	}
	return false
}

// IsVCore reports whether an Azure SQL Database SKU is vCore-based
// (General Purpose, Business Critical, Hyperscale): only those can be
// covered by reserved capacity; DTU SKUs (Basic, S0, P1, …) cannot.
func IsVCore(sku string) bool {
	return strings.HasPrefix(sku, "GP_") || strings.HasPrefix(sku, "BC_") || strings.HasPrefix(sku, "HS_")
}

// evaluate computes each resource's waste codes from its state, and the
// ground truth.
func (e *Estate) evaluate() {
	now := e.Now.Unix()
	olderThan := func(t int64, days int) bool { return t != 0 && t <= now-int64(days)*day }
	n := len(e.Resources)
	imageUsed := make([]bool, n)
	lbHasTargets := make([]bool, n)
	groupUsed := make([]bool, n)
	attachedVolumes := map[int32][]int32{}
	for i := range e.Resources {
		x := &e.Resources[i]
		switch x.Kind {
		case AWSInstance, GCPInstance:
			if x.Ref2 >= 0 {
				imageUsed[x.Ref2] = true
			}
		case AWSTargetGroup:
			if x.Ref >= 0 && len(e.links[int32(i)]) > 0 {
				lbHasTargets[x.Ref] = true
			}
		case AWSVolume, AzureDisk:
			if x.Ref >= 0 {
				attachedVolumes[x.Ref] = append(attachedVolumes[x.Ref], int32(i))
			}
		}
		if x.Kind.Provider() == valdrix.Azure && x.Kind != AzureResourceGroup && x.Ref2 >= 0 {
			groupUsed[x.Ref2] = true
		}
	}
	e.truth = e.truth[:0]
	for i := range e.Resources {
		x := &e.Resources[i]
		var codes []Code
		cost := map[Code]valdrix.Decimal{}
		add := func(c Code, m valdrix.Decimal) { codes = append(codes, c); cost[c] = m }
		own := e.MonthlyCost(i)
		ref := func() *Resource { return &e.Resources[x.Ref] }
		switch x.Kind {
		case AWSAddress:
			if x.Ref < 0 || ref().State != "running" {
				add(A1, own)
			}
		case AWSNatGateway:
			if x.Profile == ProfileZero {
				add(A2, own)
			}
		case AWSClassicLoadBalancer:
			if len(e.links[int32(i)]) == 0 {
				add(A3, own)
			}
		case AWSLoadBalancer:
			if !lbHasTargets[i] {
				add(A3, own)
			}
		case AWSVolume:
			if x.State == "available" {
				add(A4, own)
			} else if x.Ref >= 0 && ref().State == "stopped" && olderThan(ref().Changed, StoppedDays) {
				add(A5, own)
			}
			if x.SKU == "gp2" || x.SKU == "io1" {
				add(A7, own)
			}
		case AWSSnapshot:
			if x.Ref2 < 0 && olderThan(x.Created, SnapshotAgeDays) {
				add(A9, own)
			}
		case AWSImage:
			if !imageUsed[i] {
				var m valdrix.Decimal
				if x.Ref >= 0 {
					m = e.MonthlyCost(int(x.Ref))
				}
				add(A10, m)
			}
		case AWSInstance:
			switch {
			case x.State == "stopped" && olderThan(x.Changed, StoppedDays):
				var m valdrix.Decimal
				for _, v := range attachedVolumes[int32(i)] {
					m, _ = m.Add(e.MonthlyCost(int(v)))
				}
				add(A13, m)
			case x.State == "running":
				if x.Profile == ProfileIdle {
					add(A11, own)
				}
				if IsPreviousGeneration(x.SKU) {
					add(A14, own)
				}
			}
		case AWSDBInstance:
			if x.Profile == ProfileIdle {
				add(A16, own)
			}
			engine, version, _ := strings.Cut(x.Extra, "|")
			if IsExtendedSupport(engine, version) {
				es, _ := extendedSupportHourly().MulRatio(int64(vcpus(x.SKU)), 1)
				add(A19, e.regional(i, monthly(es)))
			}
			if x.Flags&FlagReserved == 0 && olderThan(x.Created, OnDemandDays) {
				add(A21, own)
			}
		case AWSRedshiftCluster:
			if x.Flags&FlagReserved == 0 && olderThan(x.Created, OnDemandDays) {
				add(A21, own)
			}
		case AWSDBSnapshot:
			if x.Ref < 0 && olderThan(x.Created, RDSSnapshotOrphanDays) {
				add(A18, own)
			}
		case AWSLogGroup:
			if x.Flags&FlagRetention == 0 {
				add(A26, own)
			}
		case AWSRepository:
			if x.Flags&FlagLifecycle == 0 {
				add(A27, own)
			}
		case AzureDisk:
			if x.State == "Unattached" {
				add(Z1, own)
			} else if x.Ref >= 0 && ref().State == "deallocated" && olderThan(ref().Changed, StoppedDays) {
				add(Z2, own)
			}
		case AzurePublicIP:
			if x.Ref < 0 {
				add(Z4, own)
			}
		case AzureVirtualMachine:
			if x.State == "running" && x.Profile == ProfileIdle {
				add(Z5, own)
			}
			if x.State == "deallocated" && olderThan(x.Changed, StoppedDays) {
				var m valdrix.Decimal
				for _, d := range attachedVolumes[int32(i)] {
					m, _ = m.Add(e.MonthlyCost(int(d)))
				}
				add(Z6, m)
			}
		case AzureLoadBalancer:
			if x.Size2 == 0 {
				add(Z10, own)
			}
		case AzureSnapshot:
			if olderThan(x.Created, SnapshotAgeDays) {
				add(Z12, own)
			}
		case AzureSQLDatabase:
			if x.Flags&FlagReserved == 0 && IsVCore(x.SKU) && olderThan(x.Created, OnDemandDays) {
				add(Z14, own)
			}
		case AzureResourceGroup:
			if !groupUsed[i] {
				add(Z20, 0)
			}
		case GCPDisk:
			if x.Ref < 0 && olderThan(x.Changed, GCPIdleDays) {
				add(G1, own)
			} else if x.Ref >= 0 && ref().State == "TERMINATED" && olderThan(ref().Changed, StoppedDays) {
				add(G6, own)
			}
		case GCPAddress:
			if x.State == "RESERVED" && olderThan(x.Changed, GCPIdleDays) {
				add(G2, own)
			}
		case GCPImage:
			if !imageUsed[i] && olderThan(x.Created, GCPIdleDays) {
				add(G3, own)
			}
		case GCPInstance:
			if x.State == "RUNNING" && x.Profile == ProfileIdle {
				add(G4, own)
			}
		case GCPSnapshot:
			if olderThan(x.Created, SnapshotAgeDays) {
				add(G7, own)
			}
		case GCPSQLInstance:
			if x.Profile == ProfileIdle {
				add(G8, own)
			}
		}
		for _, c := range codes {
			x.waste |= c.bit()
			e.truth = append(e.truth, Truth{
				Code: c, Provider: x.Kind.Provider(), Type: x.Kind.Type(),
				AccountID: e.AccountOf(i).ID, Region: e.CellOfResource(i).Region,
				ResourceID: e.CanonicalID(i), BillingID: e.BillingID(i), MonthlyCost: cost[c], Index: i,
			})
		}
	}
	for ci := range e.Commitments {
		cm := &e.Commitments[ci]
		if cm.waste == "" || cm.Unused == 0 {
			continue
		}
		e.truth = append(e.truth, Truth{
			Code: cm.waste, Provider: cm.Provider, Type: cm.Type(), AccountID: e.Accounts[cm.Account].ID,
			Region: cm.Region, ResourceID: cm.ID, BillingID: cm.BillingID(), MonthlyCost: cm.UnusedMonthly(), Index: -1,
		})
	}
}
