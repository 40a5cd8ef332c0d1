package carbon

import (
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// classifyAzure classifies an Azure cost-details row (meter name, category,
// unit of measure) the way CCF's ConsumptionManagement does.
func (e *Estimator) classifyAzure(u Usage, un unit) (measure, *noEstimate) {
	t := e.t
	pt := t.providers[valdrix.Azure]
	meter := u.UsageType
	category := azureCategory(u)
	if r, ok := pt.rule("unsupported", meter); ok {
		return measure{}, unknownf(ReasonUnsupported, "meter %q is left out by CCF (%s)", meter, r.note)
	}
	for _, s := range []string{category, u.Service} {
		if _, ok := pt.rule("unknown_service", s); ok && s != "" {
			return measure{}, unknownf(ReasonUnknownUsage, "CCF has no energy coefficient for service %q", s)
		}
	}
	if _, ok := pt.rule("unknown", meter); ok {
		return measure{}, unknownf(ReasonUnknownUsage, "CCF has no energy coefficient for meter %q", meter)
	}
	q := u.Quantity.Float64()
	rf, rfSource := azureReplication(&pt.constants, category, meter)
	switch un.kind {
	case unitTime:
		hours := q * un.hours
		if _, ok := pt.rule("memory", meter); ok {
			name, _, _ := strings.Cut(strings.TrimSpace(meter), " ")
			size, ok := t.azureSizes["cache"][strings.ToLower(name)]
			if !ok {
				return measure{}, unknownf(ReasonUnknownUsage, "cache size %q of meter %q is not in the tables", name, meter)
			}
			return measure{kind: KindMemory, memGBHours: size.gb * hours, replication: rf, replSource: rfSource}, nil
		}
		m, ne := e.azureCompute(u, meter, hours)
		m.replication, m.replSource = rf, rfSource
		return m, ne
	case unitDataTime:
		if _, ok := pt.rule("memory", meter); ok {
			return measure{kind: KindMemory, memGBHours: q * un.gb * un.stepHours(u.Day), replication: rf, replSource: rfSource}, nil
		}
		if _, ok := pt.rule("storage", meter); ok {
			return measure{kind: KindStorage, tbHours: q * un.tb * un.stepHours(u.Day), media: "SSD", replication: rf, replSource: rfSource}, nil
		}
		return measure{}, unknownf(ReasonUnknownUsage, "meter %q is not one of CCF's storage meters", meter)
	case unitCountTime:
		size, ok := t.azureSizedStorage(u, meter)
		if !ok {
			return measure{}, unknownf(ReasonUnknownUsage, "meter %q in %q is not a managed disk tier or registry unit", meter, u.Unit)
		}
		tb := q * un.stepHours(u.Day) * size.gb / 1000
		return measure{kind: KindStorage, tbHours: tb, media: size.media, replication: rf, replSource: rfSource}, nil
	case unitData:
		if _, ok := pt.rule("network", meter); ok && !strings.Contains(strings.ToLower(meter), "ingress") {
			return measure{kind: KindNetworking, networkGB: q * un.gb}, nil
		}
		if _, ok := pt.rule("out_of_scope", meter); ok {
			return measure{}, unknownf(ReasonOutOfScope, "meter %q is internet, ingress or in-region traffic; only traffic between cloud regions or zones is counted", meter)
		}
		return measure{}, unknownf(ReasonUnknownUsage, "data volume of meter %q is not traffic between regions, and CCF has no coefficient for it", meter)
	}
	return measure{}, unknownf(ReasonUnknownUnit, "unit %q of meter %q is not one the method converts", u.Unit, meter)
}

// azureCompute handles VM (and vCore) hours.
func (e *Estimator) azureCompute(u Usage, meter string, hours float64) (measure, *noEstimate) {
	t := e.t
	pt := t.providers[valdrix.Azure]
	c := &pt.constants
	name := azureVMName(meter)
	in := pt.instances[strings.ToLower(name)]
	if in == nil && u.InstanceType != "" {
		name = azureSizeName(u.InstanceType)
		in = pt.instances[strings.ToLower(name)]
	}
	vcpus := u.VCPUs
	if vcpus == 0 && in != nil {
		vcpus = in.vcpus
	}
	if vcpus == 0 {
		vcpus = vCoreCount(meter)
	}
	if vcpus == 0 {
		if strings.Contains(strings.ToLower(azureCategory(u)), "virtual machines") {
			return measure{}, unknownf(ReasonUnknownInstance, "VM size %q is not in the coefficient tables and the row has no vCPU count", name)
		}
		return measure{}, unknownf(ReasonUnknownUsage, "hourly meter %q is not a VM and CCF has no coefficient for it", meter)
	}
	m := measure{kind: KindCompute, instanceType: name, inst: in, instanceHours: hours, vcpus: vcpus, vcpuHours: hours * vcpus, embodied: true}
	if in == nil {
		m.instanceType = ""
		m.archSource = "vCPU count without a known VM size"
		return m, nil
	}
	m.archs, m.archSource = in.archs, in.archSource
	m.memGBHours, m.memBaseline = memoryAboveBaseline(c, in, in.archs, hours, false)
	if in.gpus > 0 {
		m.gpus, m.gpuHours = in.gpus, in.gpus*hours
		if in.gpu == "" {
			m.gpuNote = "GPU model of series " + in.series + " is not known; GPU energy not included"
		} else {
			m.gpuArchs = []string{in.gpu}
		}
	}
	return m, nil
}

// azureVMName reads the VM size from a meter name as cost exports spell it:
// "D2s v3", "D2 v3/D2s v3", "D4s v3 Spot", "B2ms Low Priority".
func azureVMName(meter string) string {
	s, _, _ := strings.Cut(meter, "/")
	s = strings.TrimSpace(s)
	for _, suffix := range [...]string{" Spot", " Low Priority"} {
		s = strings.TrimSuffix(s, suffix)
	}
	return s
}

// azureSizeName turns an ARM VM size into the table's spelling:
// "Standard_D2s_v3" → "D2s v3".
func azureSizeName(size string) string {
	s := strings.TrimSpace(size)
	for _, p := range [...]string{"Standard_", "Basic_"} {
		s = strings.TrimPrefix(s, p)
	}
	return strings.ReplaceAll(s, "_", " ")
}

// vCoreCount reads the vCores of a meter such as "8 vCore" or "vCore" (1).
func vCoreCount(meter string) float64 {
	f := strings.Fields(meter)
	for i, w := range f {
		if !strings.EqualFold(w, "vCore") && !strings.EqualFold(w, "vCores") {
			continue
		}
		if i > 0 {
			if n, err := strconv.ParseFloat(f[i-1], 64); err == nil && n > 0 {
				return n
			}
		}
		return 1
	}
	return 0
}

// azureCategory is the row's meter category, or its service name.
func azureCategory(u Usage) string {
	if u.MeterCategory != "" {
		return u.MeterCategory
	}
	return u.Service
}

// azureSizedStorage finds the fixed size behind a per-unit storage meter: a
// managed disk tier ("P10 LRS Disk", "S4 Disks") or a container registry unit
// ("Standard Registry Unit").
func (t *tables) azureSizedStorage(u Usage, meter string) (sizedUnit, bool) {
	if strings.Contains(meter, "Registry Unit") {
		name := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(meter), "Registry Unit"))
		s, ok := t.azureSizes["registry"][strings.ToLower(name)]
		return s, ok
	}
	lower := strings.ToLower(meter + " " + u.MeterSubcategory)
	if !strings.Contains(lower, "disk") {
		return sizedUnit{}, false
	}
	for _, w := range strings.Fields(meter) {
		if s, ok := t.azureSizes["disk"][strings.ToLower(w)]; ok {
			return s, true
		}
	}
	return sizedUnit{}, false
}

// azureReplication is CCF's Azure replication factor by meter category and
// meter (packages/azure/src/lib/ReplicationFactors.ts).
func azureReplication(c *cloudConstants, category, meter string) (float64, string) {
	rf := func(key string) (float64, string) {
		return c.ReplicationFactors[key], "CCF Azure REPLICATION_FACTORS." + key
	}
	switch strings.ToLower(strings.TrimSpace(category)) {
	case "storage", "storage accounts":
		switch {
		case strings.Contains(meter, "LRS"):
			return rf("STORAGE_LRS")
		case strings.Contains(meter, "GZRS"):
			return rf("STORAGE_GZRS")
		case strings.Contains(meter, "ZRS"):
			return rf("STORAGE_ZRS")
		case strings.Contains(meter, "GRS"):
			return rf("STORAGE_GRS")
		case strings.Contains(meter, "Disks"):
			return rf("STORAGE_DISKS")
		}
	case "azure database for mysql":
		return rf("DATABASE_MYSQL")
	case "azure cosmos db":
		if strings.Contains(meter, "Data Stored") {
			return rf("COSMOS_DB")
		}
	case "sql database":
		if strings.Contains(meter, "Data Stored") || strings.Contains(meter, "vCore") {
			return rf("SQL_DB")
		}
	case "redis cache", "azure cache for redis":
		return rf("REDIS_CACHE")
	}
	return 0, ""
}
