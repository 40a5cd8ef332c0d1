package carbon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestRatioFallback(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// Learn from an estimated EC2 row: kWh per dollar of AmazonEC2 in USD.
	vm := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m5.xlarge", "Hrs", "24")
	vm.EffectiveCost = dec(t, "4.608")
	vmEst, err := b.est.EstimateRow(vm)
	require.NoError(t, err)
	f := NewRatioFallback()
	require.NoError(t, f.LearnRow(vm, vmEst))

	// A NAT gateway row of the same service has no coefficient; the
	// fallback applies kWh/$ × its cost and the region's grid factor.
	nat := ledgerRow(t, valdrix.AWS, "eu-west-1", "AmazonEC2", "EU-NatGateway-Hours", "Hrs", "24")
	nat.EffectiveCost = dec(t, "1.08")
	est, err := b.est.EstimateRowRatio(nat, f)
	require.NoError(t, err)
	require.Equal(t, MethodRatio, est.Method)
	require.Equal(t, KindUnknown, est.Kind)
	require.Equal(t, ReasonUnknownUsage, est.ReasonCode)
	ratio := vmEst.KWh.Float64() / 4.608
	require.InDelta(t, ratio, est.Coefficients.RatioKWhPerUnit, 1e-12)
	require.Contains(t, est.Coefficients.RatioScope, "service AmazonEC2")
	require.InDelta(t, ratio*1.08, est.KWh.Float64(), 1e-9)
	require.InDelta(t, 0.0002786, est.Coefficients.GridTCO2ePerKWh, 0) // eu-west-1
	require.InDelta(t, ratio*1.08*0.0002786*1000, est.TotalKg.Float64(), 1e-9)
	require.Zero(t, est.EmbodiedKg)

	// Another service falls back to the provider-wide ratio.
	lb := ledgerRow(t, valdrix.AWS, "us-east-1", "AWSELB", "USE1-LoadBalancerUsage", "Hrs", "24")
	lbEst, err := b.est.EstimateRowRatio(lb, f)
	require.NoError(t, err)
	require.Equal(t, MethodRatio, lbEst.Method)
	require.Contains(t, lbEst.Coefficients.RatioScope, "all aws services")

	// Out-of-scope and not-usage rows are not estimated by ratio.
	egress := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-DataTransfer-Out-Bytes", "GB", "10")
	eEst, err := b.est.EstimateRowRatio(egress, f)
	require.NoError(t, err)
	require.Equal(t, MethodNone, eEst.Method)
	require.Equal(t, ReasonOutOfScope, eEst.ReasonCode)

	// Usage-based rows are returned unchanged.
	again, err := b.est.EstimateRowRatio(vm, f)
	require.NoError(t, err)
	require.Equal(t, vmEst, again)
}

func TestRatioFallbackWithoutComparableRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	f := NewRatioFallback()

	// Azure and GCP learn per usage unit: a GB-month row teaches nothing
	// about an hourly meter.
	disk := ledgerRow(t, valdrix.Azure, "westeurope", "Storage", "Hot LRS Data Stored", "1 GB/Month", "10")
	dEst, err := b.est.EstimateRow(disk)
	require.NoError(t, err)
	require.NoError(t, f.LearnRow(disk, dEst))

	app := ledgerRow(t, valdrix.Azure, "westeurope", "Azure App Service", "S1 App", "1 Hour", "24")
	est, err := b.est.EstimateRowRatio(app, f)
	require.NoError(t, err)
	require.Equal(t, MethodNone, est.Method)
	require.Equal(t, ReasonNoRatio, est.ReasonCode)
	require.Zero(t, est.TotalKg)

	// With an hourly Azure row learnt, the ratio is per hour.
	vm := ledgerRow(t, valdrix.Azure, "westeurope", "Virtual Machines", "D2s v3", "1 Hour", "24")
	vmEst, err := b.est.EstimateRow(vm)
	require.NoError(t, err)
	require.NoError(t, f.LearnRow(vm, vmEst))
	est, err = b.est.EstimateRowRatio(app, f)
	require.NoError(t, err)
	require.Equal(t, MethodRatio, est.Method)
	require.InDelta(t, vmEst.KWh.Float64(), est.KWh.Float64(), 1e-9) // same hours, same ratio
}
