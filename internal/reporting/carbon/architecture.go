package carbon

import (
	"slices"
	"strings"
)

// CCF compute processor keys, as they appear in ccf_cloud_constants_*.json.
// AWS_GRAVITON and ICELAKE have no coefficients in the CCF tables: instance
// types mapped to them use the provider-wide fallback, as in CCF.
const (
	archCascadeLake  = "CASCADE_LAKE"
	archSkylake      = "SKYLAKE"
	archBroadwell    = "BROADWELL"
	archHaswell      = "HASWELL"
	archCoffeeLake   = "COFFEE_LAKE"
	archSandyBridge  = "SANDY_BRIDGE"
	archIvyBridge    = "IVY_BRIDGE"
	archEPYC1        = "AMD_EPYC_1ST_GEN"
	archEPYC2        = "AMD_EPYC_2ND_GEN"
	archEPYC3        = "AMD_EPYC_3RD_GEN"
	archGraviton     = "AWS_GRAVITON"
	archGraviton2    = "AWS_GRAVITON_2"
	archIceLake      = "ICELAKE"
	archUnknownLabel = "UNKNOWN"
)

// archFromName maps the microarchitecture names used by the
// cloud-carbon-coefficients instance tables to CCF processor keys. ok is false
// for a name the tables do not use; "Unknown" maps to "" (no architecture).
func archFromName(name string) (arch string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "cascade lake":
		return archCascadeLake, true
	case "skylake", "sky lake":
		return archSkylake, true
	case "broadwell":
		return archBroadwell, true
	case "haswell":
		return archHaswell, true
	case "coffee lake":
		return archCoffeeLake, true
	case "sandy bridge":
		return archSandyBridge, true
	case "ivy bridge":
		return archIvyBridge, true
	case "epyc 1st gen":
		return archEPYC1, true
	case "epyc 2nd gen":
		return archEPYC2, true
	case "epyc 3rd gen":
		return archEPYC3, true
	case "graviton":
		return archGraviton, true
	case "graviton2":
		return archGraviton2, true
	case "ice lake", "icelake":
		return archIceLake, true
	case "unknown", "":
		return "", true
	}
	return "", false
}

// wattsFor returns the min and max watts per vCPU (or per GPU) for a group of
// processors, following CCF getMinWatts/getMaxWatts: the average over the
// group, or its median when the group contains Sandy Bridge or Ivy Bridge
// (packages/core FootprintEstimate.ts getWattsByAverageOrMedian). Processors
// without coefficients are left out; when none has coefficients, the
// provider-wide fallback applies and fallback is true.
func (c *cloudConstants) wattsFor(archs []string) (minW, maxW float64, used []string, fallback bool) {
	var mins, maxs []float64
	for _, a := range archs {
		lo, okLo := c.MinWatts[a]
		hi, okHi := c.MaxWatts[a]
		if okLo && okHi {
			mins = append(mins, lo)
			maxs = append(maxs, hi)
			used = append(used, a)
		}
	}
	if len(used) == 0 {
		return c.fallbackMinWatts(), c.fallbackMaxWatts(), nil, true
	}
	if slices.Contains(used, archSandyBridge) || slices.Contains(used, archIvyBridge) {
		return median(mins), median(maxs), used, false
	}
	return mean(mins), mean(maxs), used, false
}

// memoryPerChip returns the SPECpower GB per physical chip for a group of
// processors (CCF getMemory: the plain average), or the provider average.
func (c *cloudConstants) memoryPerChip(archs []string) (gb float64, fallback bool) {
	var v []float64
	for _, a := range archs {
		if m, ok := c.MemoryByProcessor[a]; ok {
			v = append(v, m)
		}
	}
	if len(v) == 0 {
		return c.MemoryAvg, true
	}
	return mean(v), false
}

// fallbackMinWatts is the provider-wide value for unknown processors: the
// average for AWS and Azure, the median for GCP.
func (c *cloudConstants) fallbackMinWatts() float64 {
	if c.MinWattsAvg != 0 {
		return c.MinWattsAvg
	}
	return c.MinWattsMedian
}

func (c *cloudConstants) fallbackMaxWatts() float64 {
	if c.MaxWattsAvg != 0 {
		return c.MaxWattsAvg
	}
	return c.MaxWattsMedian
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// median follows ramda's median: the mean of the two middle values for an
// even count.
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
