package carbon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// dailyRows returns n daily rows of the same usage, starting at start.
func dailyRows(t *testing.T, start valdrix.Date, n int, usageType, unit, qty string) []ingestion.LedgerRow {
	t.Helper()
	rows := make([]ingestion.LedgerRow, n)
	for i := range rows {
		r := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", usageType, unit, qty)
		r.ChargeDay = start.AddDays(i)
		rows[i] = r
	}
	return rows
}

func TestResourceMonth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := valdrix.NewDate(2026, 10, 1)
	w := Window{Start: start, End: start.AddDays(10)}

	// Ten days of an m5.xlarge at 24 h/day: each day is the hand-computed
	// estimate of TestEstimateByHand (0.402165186 kWh, 0.152448355 +
	// 0.045970034 kg). Per month = 10-day sum × 30.44 / 10.
	rows := dailyRows(t, start, 10, "USE1-BoxUsage:m5.xlarge", "Hrs", "24")
	// A row outside the window is ignored, a tax row counts as no usage.
	outside := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m5.xlarge", "Hrs", "24")
	outside.ChargeDay = start.AddDays(10)
	tax := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "", "", "0")
	tax.ChargeCategory = "Tax"
	rows = append(rows, outside, tax)

	rm, err := b.est.ResourceMonth(rows, w)
	require.NoError(t, err)
	require.Equal(t, "res-1", rm.ResourceID)
	require.Equal(t, 11, rm.Rows)
	require.Equal(t, 10, rm.EstimatedRows)
	require.Equal(t, 1, rm.NotUsageRows)
	require.Zero(t, rm.UnknownRows)
	require.True(t, rm.Complete)
	require.Equal(t, CoefficientsVersion, rm.Version)

	// Window: 10 × 0.402165186 = 4.02165186 kWh; 10 × 0.198418389 = 1.98418389 kg.
	require.Equal(t, dec(t, "4.02165186"), rm.WindowKWh)
	require.Equal(t, dec(t, "1.98418389"), rm.WindowTotalKg)
	// Month: 4.02165186 × 3.044 = 12.241908261… → 12.241908262 kWh;
	// operational 1.52448355 × 3.044 = 4.6405279262 → 4.640527926;
	// embodied 0.45970034 × 3.044 = 1.39932783496 → 1.399327835;
	// total 4.640527926 + 1.399327835 = 6.039855761 kg.
	require.Equal(t, dec(t, "12.241908262"), rm.KWh)
	require.Equal(t, dec(t, "4.640527926"), rm.OperationalKg)
	require.Equal(t, dec(t, "1.399327835"), rm.EmbodiedKg)
	require.Equal(t, dec(t, "6.039855761"), rm.TotalKg)
}

func TestResourceMonthIncomplete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := valdrix.NewDate(2026, 10, 1)
	rows := append(
		dailyRows(t, start, 3, "USE1-NatGateway-Hours", "Hrs", "24"),
		dailyRows(t, start, 3, "USE1-NatGateway-Bytes", "GB", "12")...,
	)
	rm, err := b.est.ResourceMonth(rows, Window{Start: start, End: start.AddDays(3)})
	require.NoError(t, err)
	require.False(t, rm.Complete)
	require.Equal(t, 6, rm.UnknownRows)
	require.Equal(t, map[Reason]int{ReasonUnknownUsage: 6}, rm.Reasons)
	require.Zero(t, rm.TotalKg)
}

func TestResourceMonthErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := valdrix.NewDate(2026, 10, 1)
	rows := dailyRows(t, start, 2, "USE1-BoxUsage:m5.large", "Hrs", "24")

	_, err := b.est.ResourceMonth(rows, Window{Start: start, End: start})
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)

	rows[1].ResourceID = "res-2"
	_, err = b.est.ResourceMonth(rows, Window{Start: start, End: start.AddDays(2)})
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
}
