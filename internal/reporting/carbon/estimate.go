package carbon

import (
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Kind is what a usage row was classified as.
type Kind string

// Kinds. An instance-hours row is KindCompute; its memory energy (AWS, Azure)
// is part of it and shown in Estimate.Energy.Memory.
const (
	KindCompute    Kind = "compute"
	KindMemory     Kind = "memory"
	KindStorage    Kind = "storage"
	KindNetworking Kind = "networking"
	KindUnknown    Kind = "unknown"
)

// Method says how the figures of an Estimate were obtained.
type Method string

// Methods.
const (
	// MethodUsage: usage × CCF energy coefficients × PUE × grid factor.
	MethodUsage Method = "usage"
	// MethodRatio: CCF's fallback for unknown usage, kWh per unit of cost or
	// usage learnt from the classified rows (RatioFallback). Only when the
	// caller opts in.
	MethodRatio Method = "ratio"
	// MethodNone: no estimate; Reason says why. All figures are zero and must
	// not be read as "no emissions".
	MethodNone Method = "none"
)

// Reason is a stable code for why a row has no usage-based estimate.
type Reason string

// Reasons.
const (
	// ReasonNotUsage: the row carries no physical usage (tax, purchase,
	// credit, an unused commitment, a savings-plan negation).
	ReasonNotUsage Reason = "not_usage"
	// ReasonUnsupported: usage that CCF deliberately leaves out, such as ECS
	// on EC2 (double counted with the instance rows) or licence fees.
	ReasonUnsupported Reason = "unsupported"
	// ReasonOutOfScope: networking that the method does not count (internet
	// egress, ingress); only traffic between cloud regions or data centres is.
	ReasonOutOfScope Reason = "out_of_scope"
	// ReasonUnknownUsage: the usage type / meter / SKU has no CCF energy
	// coefficient (NAT gateways, load balancers, API requests, ...).
	ReasonUnknownUsage Reason = "unknown_usage"
	// ReasonUnknownUnit: the billing unit is not one the method converts.
	ReasonUnknownUnit Reason = "unknown_unit"
	// ReasonUnknownInstance: hours of an instance type or VM size that is not
	// in the coefficient tables, on a row without a vCPU count.
	ReasonUnknownInstance Reason = "unknown_instance"
	// ReasonMissingQuantity: the row has no usage quantity.
	ReasonMissingQuantity Reason = "missing_quantity"
	// ReasonNoRatio: the opt-in ratio fallback had no comparable row.
	ReasonNoRatio Reason = "no_ratio"
)

// Estimate is the footprint of one ledger row. Figures are exact decimals
// with nine places (kWh and kgCO2e); they are computed in float64 and rounded
// once. TotalKg = OperationalKg + EmbodiedKg exactly and, for MethodUsage,
// KWh is exactly the sum of Energy.
type Estimate struct {
	Kind   Kind
	Method Method
	// ReasonCode and Reason explain a MethodNone (or MethodRatio) estimate.
	ReasonCode Reason
	Reason     string

	// KWh is the operational energy, PUE and replication included.
	KWh valdrix.Decimal
	// OperationalKg = KWh × grid factor.
	OperationalKg valdrix.Decimal
	// EmbodiedKg is the share of the server's manufacturing emissions.
	EmbodiedKg valdrix.Decimal
	TotalKg    valdrix.Decimal

	Energy       Energy
	Inputs       Inputs
	Coefficients Coefficients
	// Version is CoefficientsVersion at the time of the estimate.
	Version string
}

// Known reports whether the estimate has figures (usage-based or, when opted
// in, ratio-based).
func (e Estimate) Known() bool { return e.Method == MethodUsage || e.Method == MethodRatio }

// Energy splits KWh by component.
type Energy struct {
	CPU, GPU, Memory, Storage, Network valdrix.Decimal
}

// Inputs are the usage quantities the figures were computed from, after unit
// conversion.
type Inputs struct {
	// Quantity and Unit are the billed quantity and unit used.
	Quantity valdrix.Decimal
	Unit     string
	// InstanceType is the instance / VM / machine type, when known.
	InstanceType  string
	InstanceHours float64
	VCPUs         float64
	VCPUHours     float64
	GPUs          float64
	GPUHours      float64
	// MemoryGBHours is memory counted for energy: for AWS and Azure
	// instances only the GB above the per-chip baseline.
	MemoryGBHours  float64
	StorageTBHours float64
	NetworkGB      float64
	// RatioBasis is the cost or usage amount the ratio fallback multiplied.
	RatioBasis float64
}

// Coefficients are the numbers an estimate used, each with its source, so
// that the figure can be recomputed by hand. Zero means "not used".
type Coefficients struct {
	// Region is the region key the grid factor and PUE were looked up with
	// ("Unknown" for the fallback).
	Region          string
	GridTCO2ePerKWh float64
	GridSource      string
	GridFallback    bool

	PUE       float64
	PUESource string

	// Architecture is the CCF processor group ("SKYLAKE",
	// "CASCADE_LAKE+SKYLAKE"), or "UNKNOWN" when the provider fallback watts
	// applied. ArchitectureSource says where the mapping came from.
	Architecture       string
	ArchitectureSource string
	MinWattsPerVCPU    float64
	MaxWattsPerVCPU    float64
	// CPUUtilization is the average utilisation assumed (0–1).
	CPUUtilization float64
	// BurstableBaselinePercent is set for AWS burstable types, whose
	// vCPU-hours CCF scales by baseline / 50.
	BurstableBaselinePercent float64

	GPU            string
	MinWattsPerGPU float64
	MaxWattsPerGPU float64

	MemoryKWhPerGBHour float64
	// MemoryBaselineGBPerChip is the SPECpower GB per chip above which AWS
	// and Azure memory is counted.
	MemoryBaselineGBPerChip float64

	StorageMedia       string // SSD or HDD
	StorageWhPerTBHour float64

	NetworkKWhPerGB float64

	ReplicationFactor float64
	ReplicationSource string

	// EmbodiedKgPerServer is the whole server's manufacturing kgCO2e (TE);
	// LifespanHours is EL; InstanceVCPUs / PlatformVCPUs is RR / TotalR.
	EmbodiedKgPerServer float64
	LifespanHours       float64
	InstanceVCPUs       float64
	PlatformVCPUs       float64

	// RatioKWhPerUnit and RatioScope describe a MethodRatio estimate.
	RatioKWhPerUnit float64
	RatioScope      string
}

// addend is a value to add to a running sum.
type addend struct {
	dst *valdrix.Decimal
	v   valdrix.Decimal
}

// addAll adds every addend to its sum, reporting false on overflow.
func addAll(as ...addend) bool {
	for _, a := range as {
		v, ok := a.dst.Add(a.v)
		if !ok {
			return false
		}
		*a.dst = v
	}
	return true
}
