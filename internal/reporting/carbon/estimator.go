package carbon

import (
	"fmt"
	"math"
	"strings"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Config configures an Estimator. The zero value follows CCF's defaults.
type Config struct {
	// CPUUtilization is the average CPU (and GPU) utilisation assumed, in
	// (0, 1]. Zero means CCF's AVG_CPU_UTILIZATION_2020, 50 %.
	CPUUtilization float64
	// GCPCarbonFreeEnergy selects CCF's GCP grid factors reduced by each
	// region's carbon-free energy share (CCF GCP_USE_CARBON_FREE_ENERGY_PERCENTAGE)
	// instead of the location-based ones.
	GCPCarbonFreeEnergy bool
}

// Estimator turns ledger rows into Estimates. It is safe for concurrent use.
type Estimator struct {
	t   *tables
	cfg Config
}

// New returns an Estimator. It parses the embedded coefficient tables on
// first use and fails if they are malformed or the config is invalid.
func New(cfg Config) (*Estimator, error) {
	if cfg.CPUUtilization < 0 || cfg.CPUUtilization > 1 || math.IsNaN(cfg.CPUUtilization) {
		return nil, valdrix.FieldError("CPUUtilization", "must be between 0 and 1 (got %v)", cfg.CPUUtilization)
	}
	t, err := loadTables()
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "the embedded carbon coefficient tables are invalid")
	}
	return &Estimator{t: t, cfg: cfg}, nil
}

// EstimateRow estimates one ledger row. Rows the method cannot estimate get
// MethodNone, KindUnknown and a reason; an error means the row is malformed
// (bad extension JSON, an unsupported provider) or a figure is out of range.
func (e *Estimator) EstimateRow(row ingestion.LedgerRow) (Estimate, error) {
	u, err := UsageFromLedger(row)
	if err != nil {
		return Estimate{}, err
	}
	return e.Estimate(u)
}

// Estimate estimates one usage record.
func (e *Estimator) Estimate(u Usage) (Estimate, error) {
	if !u.Provider.Valid() {
		return Estimate{}, valdrix.FieldError("Provider", "unknown provider %q (want aws, azure or gcp)", u.Provider)
	}
	if why := notUsage(u); why != "" {
		return e.none(u, &noEstimate{ReasonNotUsage, why}), nil
	}
	if !u.HasQuantity {
		return e.none(u, &noEstimate{ReasonMissingQuantity, "the row has no usage quantity"}), nil
	}
	un := parseUnit(u.Unit)
	var m measure
	var ne *noEstimate
	switch u.Provider {
	case valdrix.AWS:
		m, ne = e.classifyAWS(u, un)
	case valdrix.Azure:
		m, ne = e.classifyAzure(u, un)
	case valdrix.GCP:
		m, ne = e.classifyGCP(u, un)
	}
	if ne != nil {
		return e.none(u, ne), nil
	}
	return e.finish(u, m)
}

// noEstimate is why a row gets no usage-based estimate.
type noEstimate struct {
	code Reason
	msg  string
}

func unknownf(code Reason, format string, args ...any) *noEstimate {
	return &noEstimate{code: code, msg: fmt.Sprintf(format, args...)}
}

// notUsage returns why a row carries no physical usage, or "".
func notUsage(u Usage) string {
	if c := strings.TrimSpace(u.ChargeCategory); c != "" && !strings.EqualFold(c, "Usage") {
		return "charge category " + c + " carries no usage"
	}
	switch u.LineItemType {
	case "SavingsPlanNegation", "SavingsPlanUpfrontFee", "SavingsPlanRecurringFee", "RIFee", "Fee", "Tax",
		"Credit", "Refund", "Discount", "BundledDiscount", "EdpDiscount", "PrivateRateDiscount":
		return "line item type " + u.LineItemType + " carries no usage"
	}
	if strings.EqualFold(u.CommitmentDiscountStatus, "Unused") {
		return "an unused commitment carries no usage"
	}
	return ""
}

// none builds a MethodNone estimate.
func (e *Estimator) none(u Usage, ne *noEstimate) Estimate {
	return Estimate{
		Kind:       KindUnknown,
		Method:     MethodNone,
		ReasonCode: ne.code,
		Reason:     ne.msg,
		Inputs:     Inputs{Quantity: u.Quantity, Unit: u.Unit, InstanceType: u.InstanceType},
		Version:    CoefficientsVersion,
	}
}

// measure is a classified row: the physical quantities to multiply.
type measure struct {
	kind Kind

	// Compute.
	instanceType   string
	inst           *instance // nil when the type is not in the tables
	instanceHours  float64
	vcpus          float64
	vcpuHours      float64
	archs          []string
	archSource     string
	burstable      float64 // baseline % for AWS burstable types
	gpus, gpuHours float64
	gpuArchs       []string
	gpuNote        string
	embodied       bool // add embodied emissions of inst

	// Memory, storage, networking.
	memGBHours   float64
	memBaseline  float64
	tbHours      float64
	media        string // SSD or HDD
	networkGB    float64
	replication  float64
	replSource   string
	unitOverride string
}

// finish turns a measure into an Estimate with the region's PUE and grid factor.
func (e *Estimator) finish(u Usage, m measure) (Estimate, error) {
	p := u.Provider
	c := &e.t.providers[p].constants
	grid := e.t.grid(p, u.Region, e.cfg.GCPCarbonFreeEnergy)
	pue, pueSource := e.t.pue(p, u.Region)
	rf, rfSource := m.replication, m.replSource
	if rf == 0 {
		rf, rfSource = c.ReplicationFactors["DEFAULT"], "CCF REPLICATION_FACTORS.DEFAULT"
	}
	util := e.cfg.CPUUtilization
	if util == 0 {
		util = c.AvgCPUUtilization / 100
	}
	co := Coefficients{
		Region: grid.key, GridTCO2ePerKWh: grid.tPerKWh, GridSource: grid.source, GridFallback: grid.fallback,
		PUE: pue, PUESource: pueSource,
	}
	in := Inputs{
		Quantity: u.Quantity, Unit: u.Unit, InstanceType: m.instanceType, InstanceHours: m.instanceHours,
		VCPUs: m.vcpus, VCPUHours: m.vcpuHours, GPUs: m.gpus, GPUHours: m.gpuHours,
		MemoryGBHours: m.memGBHours, StorageTBHours: m.tbHours, NetworkGB: m.networkGB,
	}
	if m.unitOverride != "" {
		in.Unit = m.unitOverride
	}
	var cpu, gpu, mem, sto, net float64
	notes := []string{}
	if m.vcpuHours != 0 {
		minW, maxW, used, fallback := c.wattsFor(m.archs)
		co.MinWattsPerVCPU, co.MaxWattsPerVCPU, co.CPUUtilization = minW, maxW, util
		co.Architecture, co.ArchitectureSource = strings.Join(used, "+"), m.archSource
		if fallback {
			co.Architecture = archUnknownLabel
			co.ArchitectureSource = "no CCF coefficients for " + describeArchs(m.archs) + "; provider fallback watts (CCF MIN/MAX_WATTS_" + fallbackWord(c) + ")"
		}
		co.BurstableBaselinePercent = m.burstable
		co.ReplicationFactor, co.ReplicationSource = rf, rfSource
		cpu = (minW + util*(maxW-minW)) * m.vcpuHours * pue * rf / 1000
	}
	if m.gpuHours != 0 {
		minW, maxW, used, fallback := c.wattsFor(m.gpuArchs)
		if fallback {
			notes = append(notes, "GPU model "+describeArchs(m.gpuArchs)+" has no CCF coefficients; GPU energy not included")
		} else {
			co.GPU, co.MinWattsPerGPU, co.MaxWattsPerGPU, co.CPUUtilization = strings.Join(used, "+"), minW, maxW, util
			co.ReplicationFactor, co.ReplicationSource = rf, rfSource
			gpu = (minW + util*(maxW-minW)) * m.gpuHours * pue * rf / 1000
		}
	}
	if m.gpuNote != "" {
		notes = append(notes, m.gpuNote)
	}
	if m.memGBHours != 0 {
		co.MemoryKWhPerGBHour, co.MemoryBaselineGBPerChip = c.MemoryCoefficient, m.memBaseline
		co.ReplicationFactor, co.ReplicationSource = rf, rfSource
		mem = m.memGBHours * c.MemoryCoefficient * pue * rf
	}
	if m.tbHours != 0 {
		co.StorageMedia = m.media
		co.StorageWhPerTBHour = c.HDDCoefficient
		if m.media == "SSD" {
			co.StorageWhPerTBHour = c.SSDCoefficient
		}
		co.ReplicationFactor, co.ReplicationSource = rf, rfSource
		sto = m.tbHours * co.StorageWhPerTBHour * pue * rf / 1000
	}
	if m.networkGB != 0 {
		co.NetworkKWhPerGB = c.NetworkCoefficient
		net = m.networkGB * c.NetworkCoefficient * pue
	}
	var emb float64
	if m.embodied && m.inst != nil && m.inst.embodiedKg > 0 && m.inst.platformVCPUs > 0 && m.instanceHours != 0 {
		share := min(m.vcpus/m.inst.platformVCPUs, 1)
		co.EmbodiedKgPerServer, co.LifespanHours = m.inst.embodiedKg, c.LifespanHours
		co.InstanceVCPUs, co.PlatformVCPUs = m.vcpus, m.inst.platformVCPUs
		emb = m.inst.embodiedKg * (m.instanceHours / c.LifespanHours) * share
	} else if m.kind == KindCompute && m.instanceHours != 0 {
		notes = append(notes, "no embodied-emissions coefficient for this instance type")
	}
	est := Estimate{Kind: m.kind, Method: MethodUsage, Inputs: in, Coefficients: co, Version: CoefficientsVersion}
	if len(notes) > 0 {
		est.Reason = strings.Join(notes, "; ")
	}
	kwh := cpu + gpu + mem + sto + net
	parts := []struct {
		dst *valdrix.Decimal
		v   float64
	}{
		{&est.Energy.CPU, cpu}, {&est.Energy.GPU, gpu}, {&est.Energy.Memory, mem},
		{&est.Energy.Storage, sto}, {&est.Energy.Network, net},
		{&est.OperationalKg, kwh * grid.tPerKWh * 1000}, {&est.EmbodiedKg, emb},
	}
	for _, part := range parts {
		d, ok := valdrix.DecimalFromFloat(part.v)
		if !ok {
			return Estimate{}, valdrix.Errorf(valdrix.EINVALID, "the carbon estimate of usage type %q is out of range", u.UsageType)
		}
		*part.dst = d
	}
	var ok bool
	if est.KWh, ok = valdrix.SumDecimals(est.Energy.CPU, est.Energy.GPU, est.Energy.Memory, est.Energy.Storage, est.Energy.Network); !ok {
		return Estimate{}, valdrix.Errorf(valdrix.EINVALID, "the energy of usage type %q is out of range", u.UsageType)
	}
	if est.TotalKg, ok = est.OperationalKg.Add(est.EmbodiedKg); !ok {
		return Estimate{}, valdrix.Errorf(valdrix.EINVALID, "the emissions of usage type %q are out of range", u.UsageType)
	}
	return est, nil
}

func describeArchs(a []string) string {
	if len(a) == 0 {
		return "an unknown processor"
	}
	return strings.Join(a, "+")
}

func fallbackWord(c *cloudConstants) string {
	if c.MinWattsAvg != 0 {
		return "AVG"
	}
	return "MEDIAN"
}

// memoryAboveBaseline is CCF's memory for AWS and Azure instances
// (core calculateGigabyteHours): the platform's GB per physical chip (96 vCPUs
// per chip, rounded up) above the SPECpower baseline of its processors, scaled
// by the instance's share of the platform memory, times hours.
func memoryAboveBaseline(c *cloudConstants, in *instance, archs []string, hours float64, twoChips bool) (gbHours, baseline float64) {
	if in == nil || in.platformMemoryGB <= 0 || in.platformVCPUs <= 0 || in.memoryGB <= 0 {
		return 0, 0
	}
	chips := math.Ceil(in.platformVCPUs / 96)
	if twoChips {
		chips = 2
	}
	baseline, _ = c.memoryPerChip(archs)
	perChip := in.platformMemoryGB / chips
	if perChip <= baseline {
		return 0, baseline
	}
	return (perChip - baseline) * (in.memoryGB / in.platformMemoryGB) * hours, baseline
}
