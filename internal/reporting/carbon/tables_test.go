package carbon

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestTablesFollowCCFCode checks the values where the CCF code and docs
// disagree: the estimator must carry the code's numbers (docs/carbon.md).
func TestTablesFollowCCFCode(t *testing.T) {
	t.Parallel()
	tb, err := loadTables()
	require.NoError(t, err)
	aws := tb.providers[valdrix.AWS].constants
	azure := tb.providers[valdrix.Azure].constants
	gcp := tb.providers[valdrix.GCP].constants

	tests := []struct {
		name      string
		got, want float64
	}{
		{name: "aws fallback min watts (average)", got: aws.fallbackMinWatts(), want: 0.74},
		{name: "aws fallback max watts (average)", got: aws.fallbackMaxWatts(), want: 3.5},
		{name: "gcp fallback min watts (median, docs say 0.71)", got: gcp.fallbackMinWatts(), want: 0.68},
		{name: "gcp fallback max watts (median, docs say 4.26)", got: gcp.fallbackMaxWatts(), want: 4.11},
		{name: "azure fallback min watts (docs say 0.78)", got: azure.fallbackMinWatts(), want: 0.74},
		{name: "azure fallback max watts (docs say 3.76)", got: azure.fallbackMaxWatts(), want: 3.54},
		{name: "azure pue (docs appendix says 1.125)", got: azure.PUEAvg, want: 1.185},
		{name: "haswell min watts (notebook says 1.90)", got: aws.MinWatts[archHaswell], want: 1.00},
		{name: "haswell max watts (notebook says 6.01)", got: aws.MaxWatts[archHaswell], want: 4.74},
		{name: "s3 replication (older code said 3)", got: aws.ReplicationFactors["S3"], want: 6},
		{name: "us-east-1 grid (coefficients repo says 0.000415755)", got: tb.grid(valdrix.AWS, "us-east-1", false).tPerKWh, want: 0.000379069},
		{name: "aws unknown region", got: tb.grid(valdrix.AWS, "", false).tPerKWh, want: 0.00039278188},
		{name: "azure unknown region", got: tb.grid(valdrix.Azure, "nowhere", false).tPerKWh, want: 0.0003512799615},
		{name: "gcp unknown region", got: tb.grid(valdrix.GCP, "nowhere", false).tPerKWh, want: 0.0003171470588},
		{name: "lifespan", got: aws.LifespanHours, want: 35040},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.InDelta(t, tt.want, tt.got, 0)
		})
	}
}

func TestWattsForGroups(t *testing.T) {
	t.Parallel()
	tb, err := loadTables()
	require.NoError(t, err)
	gcp := tb.providers[valdrix.GCP].constants
	tests := []struct {
		name       string
		archs      []string
		min, max   float64
		isFallback bool
	}{
		{name: "single", archs: []string{archSkylake}, min: 0.65, max: 4.26},
		// Average of Cascade Lake (0.64, 3.97) and Skylake (0.65, 4.26).
		{name: "average", archs: []string{archCascadeLake, archSkylake}, min: 0.645, max: 4.115},
		// With Sandy/Ivy Bridge the median: mins 0.65 0.71 1.00 2.17 3.04,
		// maxes 3.69 4.26 4.74 8.25 8.58.
		{name: "median with sandy bridge", archs: []string{archSkylake, archBroadwell, archHaswell, archIvyBridge, archSandyBridge}, min: 1.00, max: 4.74},
		{name: "unknown falls back to the gcp median", archs: []string{archIceLake}, min: 0.68, max: 4.11, isFallback: true},
		{name: "no processor falls back", archs: nil, min: 0.68, max: 4.11, isFallback: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lo, hi, _, fb := gcp.wattsFor(tt.archs)
			require.InDelta(t, tt.min, lo, 1e-12)
			require.InDelta(t, tt.max, hi, 1e-12)
			require.Equal(t, tt.isFallback, fb)
		})
	}
}

// TestTablesCoverage checks the joins between the embedded tables.
func TestTablesCoverage(t *testing.T) {
	t.Parallel()
	tb, err := loadTables()
	require.NoError(t, err)
	for _, p := range valdrix.Providers {
		pt := tb.providers[p]
		require.NotEmpty(t, pt.instances, p)
		for name, in := range pt.instances {
			require.Positive(t, in.vcpus, "%s %s", p, name)
			require.NotEmpty(t, in.archSource, "%s %s", p, name)
			require.Positive(t, in.embodiedKg, "%s %s has no embodied emissions", p, name)
			for _, a := range in.archs {
				_, known := pt.constants.MinWatts[a]
				require.True(t, known || a == archGraviton || a == archIceLake || a == archEPYC3,
					"%s %s: processor %q", p, name, a)
			}
		}
		for region := range pt.grid {
			src := tb.gridSource(p, region, pt.grid[region])
			require.False(t, strings.HasPrefix(src, "CCF ccf_emissions_factors"), "%s %s has no grid source", p, region)
		}
	}
	// Every AWS GPU instance has a GPU model with watts.
	for name, in := range tb.providers[valdrix.AWS].instances {
		if in.gpus > 0 {
			require.NotEmpty(t, in.gpu, name)
		}
	}
	require.Equal(t, []string{archSkylake}, tb.providers[valdrix.AWS].instances["m5.xlarge"].archs)
	// CCF's mapping wins over the platform CPU (t2's is a Haswell E5-2676 v3).
	require.Equal(t, []string{archCascadeLake}, tb.providers[valdrix.AWS].instances["t2.micro"].archs)
	require.Equal(t, []string{archCascadeLake, archSkylake}, tb.providers[valdrix.AWS].instances["db.r5.large"].archs)
}
