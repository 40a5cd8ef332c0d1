package aws

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// addExport has the simulator write a CUR 2.0 export of the last days for
// the connection's account and configures it on the connection.
func (b *testBundle) addExport(t *testing.T, days int) {
	t.Helper()
	bucket := "acme-cur-" + b.conn.AWS.AccountID
	months, err := b.sim.ExportCUR2(t.Context(), cloudsim.CUR2Export{
		AccountID: b.conn.AWS.AccountID, Bucket: bucket, Prefix: "cur2", ExportName: "valdrix",
		Start: b.estate.Now.AddDate(0, 0, -days), End: b.estate.Now, LinesPerFile: 20000,
	})
	require.NoError(t, err)
	require.NotEmpty(t, months)
	b.conn.AWS.ExportBucket, b.conn.AWS.ExportPrefix, b.conn.AWS.ExportRegion = bucket, "cur2", b.conn.AWS.Regions[0]
}

func TestCostSourceReadsTheExport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addExport(t, 32)
	periods, err := b.p.ListBillingPeriods(t.Context(), b.conn)
	require.NoError(t, err)
	require.Len(t, periods, 2)
	require.Equal(t, valdrix.NewMonth(2026, 9), periods[0].Period)
	require.Equal(t, valdrix.NewMonth(2026, 10), periods[1].Period)
	require.Equal(t, "valdrix", periods[1].ExportName)

	dir := t.TempDir()
	files, err := b.p.FetchBillingPeriod(t.Context(), b.conn, periods[1].Period, dir)
	require.NoError(t, err)
	require.Greater(t, len(files.DataFiles), 1, "the period is split into several files")
	// The delivery reads back through the ingestion readers.
	var in []ingestion.File
	for _, f := range files.DataFiles {
		in = append(in, ingestion.LocalFile(f))
	}
	res, err := ingestion.ReadPeriod(t.Context(), in, ingestion.FormatAuto, ingestion.ReadOptions{})
	require.NoError(t, err)
	require.Equal(t, ingestion.FormatCUR2, res.Format)
	rows := int(res.RowsRead)
	var total valdrix.Decimal
	for _, c := range res.Totals {
		total, _ = total.Add(c.BilledCost)
	}
	// The export holds exactly the simulator's lines for the month.
	var want valdrix.Decimal
	n := 0
	require.NoError(t, b.estate.BillingLines(cloudsim.BillingConfig{
		Start: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), End: b.estate.Now, Accounts: []string{b.conn.AWS.AccountID},
	}, func(l *cloudsim.BillingLine) error {
		want, _ = want.Add(l.UnblendedCost)
		n++
		return nil
	}))
	require.Equal(t, n, rows)
	require.Equal(t, want, total)
}
