package carbon

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// regionUnknown is the key of the fallback row of every grid table.
const regionUnknown = "unknown"

// gridChoice is the grid factor chosen for a region.
type gridChoice struct {
	key      string // the table's spelling of the region, "Unknown" for the fallback
	tPerKWh  float64
	source   string
	fallback bool
}

// regionKey normalises a billed region for the provider's tables: lower case;
// Azure locations through the FinOps toolkit's location table ("East US",
// "US East", "bl" → "eastus"); GCP zones to their region ("us-central1-a" →
// "us-central1").
func (t *tables) regionKey(p valdrix.Provider, region string) string {
	r := strings.ToLower(strings.TrimSpace(region))
	switch p {
	case valdrix.Azure:
		if id, ok := t.azureRegions[r]; ok {
			return id
		}
		return strings.NewReplacer(" ", "", "-", "", "_", "").Replace(r)
	case valdrix.GCP:
		if _, ok := t.providers[p].grid[r]; !ok {
			if i := strings.LastIndexByte(r, '-'); i > 0 && len(r)-i == 2 {
				return r[:i]
			}
		}
	}
	return r
}

// grid returns the grid emission factor of a region (t CO2e/kWh) with its
// source. Unknown and empty regions use the table's Unknown row, as CCF does.
func (t *tables) grid(p valdrix.Provider, region string, gcpCFE bool) gridChoice {
	pt := t.providers[p]
	table := pt.grid
	if p == valdrix.GCP && gcpCFE {
		table = pt.gridCFE
	}
	key := t.regionKey(p, region)
	f, ok := table[key]
	if !ok || key == regionUnknown {
		f = table[regionUnknown]
		key = regionUnknown
	}
	c := gridChoice{key: f.region, tPerKWh: f.tPerKWh, fallback: key == regionUnknown, source: t.gridSource(p, key, f)}
	if p == valdrix.GCP && gcpCFE {
		c.source += ", adjusted by the region's carbon-free energy share (CCF GCP_USE_CARBON_FREE_ENERGY_PERCENTAGE table)"
	}
	return c
}

func (t *tables) gridSource(p valdrix.Provider, key string, f gridFactor) string {
	if f.nerc != "" {
		return "US EPA eGRID2020, NERC " + f.nerc + " region average (CCF US_NERC_REGIONS_EMISSIONS_FACTORS)"
	}
	for _, r := range t.providers[p].sources {
		if r.region == key || (r.prefix && strings.HasPrefix(key, r.region)) {
			return r.source
		}
	}
	return "CCF ccf_emissions_factors_" + string(p) + ".csv"
}

// pue returns the power usage effectiveness for a region with its source.
func (t *tables) pue(p valdrix.Provider, region string) (float64, string) {
	c := &t.providers[p].constants
	if p == valdrix.GCP {
		key := t.regionKey(p, region)
		if v, ok := c.PUETrailing[key]; ok {
			return v, "Google trailing-twelve-month PUE of " + key + " (CCF PUE_TRAILING_TWELVE_MONTH)"
		}
		return c.PUEAvg, "Google fleet-average PUE (CCF GCP PUE_AVG)"
	}
	if p == valdrix.Azure {
		return c.PUEAvg, "CCF Azure PUE_AVG (Methodology Appendix I still says 1.125; the code is followed)"
	}
	return c.PUEAvg, "CCF AWS PUE_AVG"
}
