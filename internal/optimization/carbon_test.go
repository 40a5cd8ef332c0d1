package optimization_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/optimization"
)

// The coefficients below are CCF's, as embedded in reporting/carbon/data
// (ccf_cloud_constants_aws.json, ccf_emissions_factors_aws.csv,
// aws-instances.csv, coefficients-aws-embodied.csv); docs/carbon.md gives
// their sources.
const (
	pueAWS          = 1.135       // AWS PUE
	gridUSEast1     = 0.000379069 // t CO2e per kWh, us-east-1 → eGRID SERC
	ssdWhPerTBHour  = 1.2         // SSD storage
	ebsReplication  = 2           // EC2_EBS_VOLUME
	skylakeMinW     = 0.65        // Intel Skylake, per vCPU (m5 → Xeon Platinum 8175M → SKYLAKE)
	skylakeMaxW     = 4.26
	cpuUtilisation  = 0.5 // AVG_CPU_UTILIZATION_2020
	memoryKWhPerGBh = 0.000392
	skylakeGBChip   = 81.32 // MEMORY_BY_COMPUTE_PROCESSOR.SKYLAKE
	m5LargeEmbodied = 1610.79
	lifespanHours   = 35040
	monthDays       = 30.44
	windowDays      = 30 // October 2 to 31: the lines' first day to the last ledger day
)

// TestCarbonByHand recomputes two findings' kgCO2e per month from the
// coefficient tables.
func TestCarbonByHand(t *testing.T) {
	t.Parallel()
	b := setup(t, optimization.Config{})

	// An unattached 100 GiB gp2 volume billed 100/31 GB-months a day for 30
	// days of October.
	vol, volRows := gp2(t, "vol-1")
	// An idle m5.large running 24 hours a day for 30 days.
	inst := resource("aws.ec2.instance", "i-1", "running", map[string]string{"instance_type": "m5.large"})
	instRows := daily(t, "i-1", "USE1-BoxUsage:m5.large", "Hrs", "24", "2.304", 30)
	res := b.detect(t, optimization.DetectInput{
		Resources: optimization.ResourceSlice([]cloud.Resource{vol, inst}),
		Ledger:    optimization.LedgerSlice(append(volRows, instRows...)),
		Metrics:   &fakeMetrics{value: 0.5, points: 14},
	})

	// Storage. 30 × 3.225806452 = 96.77419356 GB-months; October has
	// 31 × 24 = 744 hours, so 96.77419356 × 744 = 72,000 GB-hours = 72 TB-hours.
	//   kWh = 72 TB-h × 1.2 Wh/TB-h × PUE 1.135 × replication 2 / 1000 = 0.196128
	//   kg  = 0.196128 kWh × 0.000379069 t/kWh × 1000                  = 0.074345…
	//   per month: × 30.44 / 30 days.
	tbHours := 30 * 3.225806452 * 744 / 1000
	volKWh := tbHours * ssdWhPerTBHour * pueAWS * ebsReplication / 1000
	volKg := volKWh * gridUSEast1 * 1000 * monthDays / windowDays
	f, ok := findingOf(res, "aws.ec2.unattached_volume", "vol-1")
	require.True(t, ok)
	require.True(t, f.Carbon.Known)
	require.True(t, f.Carbon.Complete)
	require.InDelta(t, volKWh*monthDays/windowDays, f.Carbon.KWhPerMonth.Float64(), 1e-6)
	require.InDelta(t, volKg, f.Carbon.KgCO2ePerMonth.Float64(), 1e-6)
	require.Zero(t, f.Carbon.EmbodiedKg, "storage has no embodied emissions in CCF")
	require.Equal(t, "ccf-2026.11-m1", f.Carbon.CoefficientsVersion)

	// Compute. 720 instance-hours of an m5.large (2 vCPUs of a 96-vCPU,
	// 384 GB platform with one chip; 8 GB).
	//   CPU W/vCPU = 0.65 + 0.5 × (4.26 − 0.65)                      = 2.455
	//   CPU kWh    = 2.455 W × 1,440 vCPU-h × PUE 1.135 / 1000        = 4.012452
	//   memory GBh = (384 − 81.32 GB/chip) × 8/384 × 720 h            = 4,540.2
	//   memory kWh = 4,540.2 × 0.000392 kWh/GBh × PUE 1.135          = 2.020025…
	//   operational kg = (4.012452 + 2.020025…) kWh × 0.379069 kg/kWh = 2.286725…
	//   embodied kg    = 1,610.79 × 720 h / 35,040 h × 2/96 vCPUs     = 0.689551…
	//   per month: (operational + embodied) × 30.44 / 30 days.
	cpuKWh := (skylakeMinW + cpuUtilisation*(skylakeMaxW-skylakeMinW)) * 720 * 2 * pueAWS / 1000
	memKWh := (384 - skylakeGBChip) * 8.0 / 384 * 720 * memoryKWhPerGBh * pueAWS
	opKg := (cpuKWh + memKWh) * gridUSEast1 * 1000
	embKg := m5LargeEmbodied * 720 / lifespanHours * 2 / 96
	g, ok := findingOf(res, "aws.ec2.idle_instance", "i-1")
	require.True(t, ok)
	require.True(t, g.Carbon.Complete)
	require.InDelta(t, (cpuKWh+memKWh)*monthDays/windowDays, g.Carbon.KWhPerMonth.Float64(), 1e-6)
	require.InDelta(t, opKg*monthDays/windowDays, g.Carbon.OperationalKg.Float64(), 1e-6)
	require.InDelta(t, embKg*monthDays/windowDays, g.Carbon.EmbodiedKg.Float64(), 1e-6)
	require.InDelta(t, (opKg+embKg)*monthDays/windowDays, g.Carbon.KgCO2ePerMonth.Float64(), 1e-6)
	t.Logf("volume %.6f kgCO2e/month, m5.large %.6f kgCO2e/month", volKg, (opKg+embKg)*monthDays/windowDays)
}
