package cloudsim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func collectLines(t *testing.T, e *Estate, cfg BillingConfig) []BillingLine {
	t.Helper()
	var out []BillingLine
	require.NoError(t, e.BillingLines(cfg, func(l *BillingLine) error {
		out = append(out, *l)
		return nil
	}))
	return out
}

// TestBillingEvidence checks that the billing-decidable waste codes can be
// decided from the lines alone, exactly as the ground truth says.
func TestBillingEvidence(t *testing.T) {
	t.Parallel()
	e := Generate(EstateConfig{Seed: 17, Resources: 8000, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1}})
	lastDay := collectLines(t, e, BillingConfig{Start: e.Now.Add(-24 * time.Hour), End: e.Now})
	month := collectLines(t, e, BillingConfig{Start: valdrix.MonthOf(e.Now.Add(-time.Hour)).Start().Time(), End: e.Now})
	truth := map[Code]map[string]bool{}
	for _, tr := range e.GroundTruth() {
		if truth[tr.Code] == nil {
			truth[tr.Code] = map[string]bool{}
		}
		truth[tr.Code][tr.BillingID] = true
	}
	got := map[Code]map[string]bool{A1: {}, A2: {}, A7: {}, A14: {}, A19: {}, A32: {}, A33: {}}
	natHours, natBytes := map[string]bool{}, map[string]bool{}
	for _, l := range lastDay {
		ut := l.UsageType[strings.IndexByte(l.UsageType, '-')+1:]
		switch {
		case ut == "PublicIPv4:IdleAddress":
			got[A1][l.ResourceID] = true
		case ut == "NatGateway-Hours":
			natHours[l.ResourceID] = true
		case ut == "NatGateway-Bytes":
			natBytes[l.ResourceID] = true
		case ut == "EBS:VolumeUsage.gp2" || ut == "EBS:VolumeUsage.io1":
			got[A7][l.ResourceID] = true
		case strings.HasPrefix(ut, "BoxUsage:") && IsPreviousGeneration(l.InstanceType) && l.End.Equal(e.Now):
			got[A14][l.ResourceID] = true
		case strings.HasPrefix(ut, "ExtendedSupport:"):
			got[A19][l.ResourceID] = true
		case strings.HasPrefix(ut, "UnusedBox:"):
			got[A33][l.ResourceID] = true
		}
	}
	for id := range natHours {
		if !natBytes[id] {
			got[A2][id] = true
		}
	}
	for _, l := range month {
		if l.LineItemType == "RIFee" && l.ReservationUnusedQuantity > 0 {
			got[A32][l.ReservationARN] = true
		}
	}
	for code, ids := range got {
		require.Equal(t, truth[code], ids, "code %s decided from billing", code)
		require.NotEmpty(t, ids, "code %s has evidence", code)
	}
}

func TestBillingAmounts(t *testing.T) {
	t.Parallel()
	e := Generate(EstateConfig{Seed: 2, Resources: 3000, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1}})
	oneDay := BillingConfig{Start: e.Now.Add(-24 * time.Hour), End: e.Now}
	daily := collectLines(t, e, oneDay)
	oneDay.Granularity = time.Hour
	hourly := collectLines(t, e, oneDay)
	sum := func(ls []BillingLine) (valdrix.Decimal, map[string]valdrix.Decimal) {
		var total valdrix.Decimal
		per := map[string]valdrix.Decimal{}
		for _, l := range ls {
			total, _ = total.Add(l.UnblendedCost)
			per[l.ResourceID+" "+l.UsageType], _ = per[l.ResourceID+" "+l.UsageType].Add(l.UnblendedCost)
		}
		return total, per
	}
	dt, dper := sum(daily)
	ht, hper := sum(hourly)
	require.Positive(t, int64(dt))
	require.InDelta(t, dt.Float64(), ht.Float64(), 0.01, "hourly lines add up to the daily ones")
	require.Len(t, hper, len(dper))
	// A running on-demand instance costs its hourly rate × 24 a day.
	for i, x := range e.Resources {
		if x.Kind == AWSInstance && x.State == "running" && x.Flags&FlagReserved == 0 && x.Created < e.Now.Unix()-2*day {
			want, _ := e.HourlyRate(i).MulRatio(24, 1)
			usage := e.CellOfResource(i).region.Code + "-BoxUsage:" + x.SKU
			require.Equal(t, want, dper[x.ID+" "+usage])
			break
		}
	}
	for _, l := range daily {
		require.NotEmpty(t, l.ResourceID)
		require.True(t, slices.Contains([]string{"Usage", "DiscountedUsage", "RIFee"}, l.LineItemType))
		require.True(t, strings.Contains(l.UsageType, "-"), l.UsageType)
	}
	_, err := Generate(EstateConfig{Seed: 1, Resources: 10}), e.BillingLines(BillingConfig{Provider: valdrix.Azure}, func(*BillingLine) error { return nil })
	require.Equal(t, valdrix.ENOTIMPLEMENTED, valdrix.ErrorCode(err))
}
