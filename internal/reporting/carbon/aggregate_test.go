package carbon

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestAggregator(t *testing.T) {
	t.Parallel()
	b := setup(t)

	vm := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m5.xlarge", "Hrs", "24")
	disk := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-EBS:VolumeUsage.gp2", "GB-Mo", "50")
	nat := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-NatGateway-Hours", "Hrs", "24")
	nat.EffectiveCost = dec(t, "1.08")
	tax := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "", "", "0")
	tax.ChargeCategory = "Tax"
	bucket := ledgerRow(t, valdrix.AWS, "eu-west-1", "AmazonS3", "EU-TimedStorage-ByteHrs", "GB-Mo", "900")
	other := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-BoxUsage:m5.large", "Hrs", "24")
	other.SubAccountID = "acct-2"

	rows := []ingestion.LedgerRow{vm, disk, nat, tax, bucket, other}
	ests := make([]Estimate, len(rows))
	for i, r := range rows {
		var err error
		ests[i], err = b.est.EstimateRow(r)
		require.NoError(t, err)
	}
	sum := func(idx ...int) valdrix.Decimal {
		var s valdrix.Decimal
		for _, i := range idx {
			var ok bool
			s, ok = s.Add(ests[i].TotalKg)
			require.True(t, ok)
		}
		return s
	}

	agg, err := NewAggregator(ByAccount, ByService, ByRegion)
	require.NoError(t, err)
	for i, r := range rows {
		require.NoError(t, agg.Add(r, ests[i]))
	}
	totals := agg.Totals()
	require.Len(t, totals, 3)

	ec2 := findTotal(t, totals, GroupKey{AccountID: "acct-1", Service: "AmazonEC2", Region: "us-east-1"})
	require.Equal(t, sum(0, 1), ec2.TotalKg)
	require.Equal(t, 4, ec2.Rows)
	require.Equal(t, 2, ec2.EstimatedRows)
	require.Equal(t, 1, ec2.UnknownRows)
	require.Equal(t, 1, ec2.NotUsageRows)
	require.Equal(t, map[string]valdrix.Decimal{"USD": dec(t, "1.08")}, ec2.UnknownCost)
	require.Equal(t, map[Reason]int{ReasonUnknownUsage: 1}, ec2.Reasons)
	// Every row's cost counts, estimated or not: 1.25 (vm) + 1.25 (disk) + 1.08 (nat) + 1.25 (tax).
	require.Equal(t, map[string]valdrix.Decimal{"USD": dec(t, "4.83")}, ec2.EffectiveCost)
	require.Equal(t, map[string]valdrix.Decimal{"USD": 0}, ec2.BilledCost, "the rows carry no billed cost")
	require.Equal(t, []string{CoefficientsVersion}, ec2.Versions)

	s3 := findTotal(t, totals, GroupKey{AccountID: "acct-1", Service: "AmazonS3", Region: "eu-west-1"})
	require.Equal(t, sum(4), s3.TotalKg)
	require.Equal(t, ests[4].KWh, s3.KWh)

	acct2 := findTotal(t, totals, GroupKey{AccountID: "acct-2", Service: "AmazonEC2", Region: "us-east-1"})
	require.Equal(t, sum(5), acct2.TotalKg)

	// Largest first.
	for i := 1; i < len(totals); i++ {
		require.GreaterOrEqual(t, totals[i-1].TotalKg, totals[i].TotalKg)
	}

	grand, err := NewAggregator()
	require.NoError(t, err)
	for i, r := range rows {
		require.NoError(t, grand.Add(r, ests[i]))
	}
	all := grand.Totals()
	require.Len(t, all, 1)
	require.Equal(t, sum(0, 1, 4, 5), all[0].TotalKg)
	op, ok := valdrix.SumDecimals(ests[0].OperationalKg, ests[1].OperationalKg, ests[4].OperationalKg, ests[5].OperationalKg)
	require.True(t, ok)
	require.Equal(t, op, all[0].OperationalKg)

	byKind, err := NewAggregator(ByKind)
	require.NoError(t, err)
	for i, r := range rows {
		require.NoError(t, byKind.Add(r, ests[i]))
	}
	storage := findTotal(t, byKind.Totals(), GroupKey{Kind: KindStorage})
	require.Equal(t, sum(1, 4), storage.TotalKg)

	// By month: the same rows split over two charge months.
	later := vm
	later.ChargeDay = valdrix.NewDate(2026, 11, 2)
	later.BilledCost = dec(t, "2.5")
	byMonth, err := NewAggregator(ByMonth)
	require.NoError(t, err)
	for i, r := range rows {
		require.NoError(t, byMonth.Add(r, ests[i]))
	}
	require.NoError(t, byMonth.Add(later, ests[0]))
	months := byMonth.Totals()
	require.Len(t, months, 2)
	oct := findTotal(t, months, GroupKey{Month: valdrix.NewMonth(2026, 10)})
	require.Equal(t, sum(0, 1, 4, 5), oct.TotalKg)
	require.Equal(t, 6, oct.Rows)
	nov := findTotal(t, months, GroupKey{Month: valdrix.NewMonth(2026, 11)})
	require.Equal(t, sum(0), nov.TotalKg)
	require.Equal(t, map[string]valdrix.Decimal{"USD": dec(t, "2.5")}, nov.BilledCost)
	require.Equal(t, map[Reason]int{}, nov.Reasons)
}

func TestAggregatorTotalsAreCopies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	nat := ledgerRow(t, valdrix.AWS, "us-east-1", "AmazonEC2", "USE1-NatGateway-Hours", "Hrs", "24")
	est, err := b.est.EstimateRow(nat)
	require.NoError(t, err)
	agg, err := NewAggregator()
	require.NoError(t, err)
	require.NoError(t, agg.Add(nat, est))
	first := agg.Totals()
	first[0].Reasons[ReasonUnsupported] = 7
	first[0].BilledCost["EUR"] = 1
	again := agg.Totals()
	require.Equal(t, map[Reason]int{ReasonUnknownUsage: 1}, again[0].Reasons)
	require.NotContains(t, again[0].BilledCost, "EUR")
}

func TestAggregatorBadDimension(t *testing.T) {
	t.Parallel()
	_, err := NewAggregator(ByService, "colour")
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID), err)
}

func findTotal(t *testing.T, totals []Total, k GroupKey) Total {
	t.Helper()
	for _, tot := range totals {
		if tot.Key == k {
			return tot
		}
	}
	require.Failf(t, "group not found", "%+v", k)
	return Total{}
}
