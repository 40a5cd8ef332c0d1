package carbon

import (
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// classifyGCP classifies a GCP billing-export row (SKU description, service,
// usage unit) the way CCF's BillingExportTable does: seconds of vCPU (or GPU)
// → compute, byte-seconds → memory (RAM SKUs) or storage, bytes → networking.
func (e *Estimator) classifyGCP(u Usage, un unit) (measure, *noEstimate) {
	t := e.t
	pt := t.providers[valdrix.GCP]
	sku := u.UsageType
	if r, ok := pt.rule("unsupported", sku); ok {
		return measure{}, unknownf(ReasonUnsupported, "SKU %q is left out by CCF (%s)", sku, r.note)
	}
	if _, ok := pt.rule("unknown_service", u.Service); ok {
		return measure{}, unknownf(ReasonUnknownUsage, "CCF has no energy coefficient for service %q", u.Service)
	}
	if _, ok := pt.rule("unknown", sku); ok {
		return measure{}, unknownf(ReasonUnknownUsage, "CCF has no energy coefficient for SKU %q", sku)
	}
	q := u.Quantity.Float64()
	rf, rfSource := gcpReplication(&pt.constants, u.Service, sku, t.regionKey(valdrix.GCP, u.Region))
	switch un.kind {
	case unitTime:
		hours := q * un.hours
		if strings.Contains(sku, "GPU") {
			return e.gcpGPU(sku, hours, rf, rfSource), nil
		}
		if _, ok := pt.rule("compute", sku); ok {
			m := e.gcpCompute(u, sku, hours)
			m.replication, m.replSource = rf, rfSource
			return m, nil
		}
		return measure{}, unknownf(ReasonUnknownUsage, "time-based SKU %q is not vCPU usage", sku)
	case unitDataTime:
		if _, ok := pt.rule("memory", sku); ok {
			return measure{kind: KindMemory, memGBHours: q * un.gb * un.stepHours(u.Day), replication: rf, replSource: rfSource}, nil
		}
		media := "HDD"
		if strings.Contains(sku, "SSD") {
			media = "SSD"
		}
		return measure{kind: KindStorage, tbHours: q * un.tb * un.stepHours(u.Day), media: media, replication: rf, replSource: rfSource}, nil
	case unitData:
		if _, ok := pt.rule("network", sku); ok {
			return measure{kind: KindNetworking, networkGB: q * un.gb}, nil
		}
		if _, ok := pt.rule("out_of_scope", sku); ok {
			return measure{}, unknownf(ReasonOutOfScope, "SKU %q is internet, interconnect or ingress traffic; only traffic between cloud regions or zones is counted", sku)
		}
		return measure{}, unknownf(ReasonUnknownUsage, "data volume of SKU %q is not traffic between regions, and CCF has no coefficient for it", sku)
	}
	return measure{}, unknownf(ReasonUnknownUnit, "unit %q of SKU %q is not one the method converts", u.Unit, sku)
}

// gcpCompute handles vCPU SKUs ("N1 Predefined Instance Core running in
// Americas"), whose usage already counts vCPU-seconds. The architecture comes
// from the machine type when the row has it, else from the family the SKU
// names, else the GCP median.
func (e *Estimator) gcpCompute(u Usage, sku string, vcpuHours float64) measure {
	pt := e.t.providers[valdrix.GCP]
	m := measure{kind: KindCompute, vcpuHours: vcpuHours}
	if in, ok := pt.instances[strings.ToLower(u.InstanceType)]; ok && u.InstanceType != "" {
		m.instanceType, m.inst, m.archs, m.archSource = in.name, in, in.archs, in.archSource
		m.vcpus = in.vcpus
		if u.VCPUs > 0 {
			m.vcpus = u.VCPUs
		}
		m.instanceHours = vcpuHours / m.vcpus
		m.embodied = true
		return m
	}
	for _, w := range strings.Fields(strings.ToLower(sku)) {
		if archs, ok := pt.families[w]; ok {
			m.archs, m.archSource = archs, "machine family "+w+" named by the SKU (gcp-instances.csv)"
			return m
		}
	}
	m.archSource = "SKU names no known machine family"
	return m
}

// gcpGPU handles GPU SKUs ("Nvidia Tesla T4 GPU running in Americas"). A
// model the tables do not know uses the group of all GCP GPU models, as CCF's
// getGpuComputeProcessorsFromUsageType does.
func (e *Estimator) gcpGPU(sku string, gpuHours, rf float64, rfSource string) measure {
	pt := e.t.providers[valdrix.GCP]
	m := measure{kind: KindCompute, gpuHours: gpuHours, replication: rf, replSource: rfSource}
	for _, w := range strings.Fields(strings.ToLower(sku)) {
		if p, ok := pt.gpus[w]; ok {
			m.gpuArchs = []string{p}
			return m
		}
	}
	for _, p := range pt.gpus {
		if !slices.Contains(m.gpuArchs, p) {
			m.gpuArchs = append(m.gpuArchs, p)
		}
	}
	slices.Sort(m.gpuArchs)
	m.gpuNote = "GPU model not named by the SKU; the average of CCF's GCP GPU models is used"
	return m
}

// gcpReplication is CCF's GCP replication factor by service and SKU
// (packages/gcp/src/lib/ReplicationFactors.ts).
func gcpReplication(c *cloudConstants, service, sku, region string) (float64, string) {
	rf := func(key string) (float64, string) {
		return c.ReplicationFactors[key], "CCF GCP REPLICATION_FACTORS." + key
	}
	switch service {
	case "Cloud Storage":
		switch {
		case strings.Contains(sku, "Dual-region"):
			return rf("CLOUD_STORAGE_DUAL_REGION")
		case strings.Contains(sku, "Multi-region"):
			return rf("CLOUD_STORAGE_MULTI_REGION")
		}
		return rf("CLOUD_STORAGE_SINGLE_REGION")
	case "Compute Engine":
		if strings.Contains(sku, "Regional") {
			return rf("COMPUTE_ENGINE_REGIONAL_DISKS")
		}
		if containsAny(sku, "Snapshot", "Image") {
			switch region {
			case "us", "europe", "asia":
				return rf("CLOUD_STORAGE_MULTI_REGION")
			case "nam4", "eur4", "asia1":
				return rf("CLOUD_STORAGE_DUAL_REGION")
			}
			return rf("CLOUD_STORAGE_SINGLE_REGION")
		}
	case "Cloud Filestore", "Filestore":
		return rf("CLOUD_FILESTORE")
	case "Cloud SQL":
		if strings.Contains(sku, "Regional - Standard storage") || strings.Contains(sku, "HA") {
			return rf("CLOUD_SQL_HIGH_AVAILABILITY")
		}
	case "Cloud Memorystore for Redis":
		if strings.Contains(sku, "Standard") {
			return rf("CLOUD_MEMORY_STORE_REDIS")
		}
	}
	return 0, ""
}
