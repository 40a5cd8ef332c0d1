package azure

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestCostSource(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addExport(t)
	periods, err := b.p.ListBillingPeriods(t.Context(), b.conn)
	require.NoError(t, err)
	var months []valdrix.Month
	for _, bp := range periods {
		months = append(months, bp.Period)
		require.Equal(t, cloud.FormatAzure, bp.Format)
		require.Equal(t, "valdrix-actual", bp.ExportName)
		require.Positive(t, bp.FileCount)
	}
	require.Equal(t, b.estate.BillingMonths(), months, "one period per delivered month, oldest first")

	oct := valdrix.NewMonth(2026, 10)
	dir := t.TempDir()
	files, err := b.p.FetchBillingPeriod(t.Context(), b.conn, oct, dir)
	require.NoError(t, err)
	require.Equal(t, oct, files.Period)
	raw, err := os.ReadFile(files.Manifest)
	require.NoError(t, err)
	var man struct {
		DataRowCount int `json:"dataRowCount"`
		Blobs        []struct {
			BlobName string `json:"blobName"`
		} `json:"blobs"`
	}
	require.NoError(t, json.Unmarshal(raw, &man))
	require.Len(t, files.DataFiles, len(man.Blobs), "every blob the manifest lists is downloaded")
	require.Greater(t, len(files.DataFiles), 1)
	rows := 0
	resources := map[string]bool{}
	var total valdrix.Decimal
	for _, f := range files.DataFiles {
		require.Equal(t, dir, filepath.Dir(f))
		fh, err := os.Open(f)
		require.NoError(t, err)
		recs, err := csv.NewReader(fh).ReadAll()
		require.NoError(t, fh.Close())
		require.NoError(t, err)
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for _, r := range recs[1:] {
			resources[r[col["ResourceId"]]] = true
			c, err := valdrix.ParseDecimal(r[col["CostInBillingCurrency"]])
			require.NoError(t, err)
			total, _ = total.Add(c)
		}
		rows += len(recs) - 1
	}
	require.Equal(t, man.DataRowCount, rows, "the files hold the rows the manifest declares")

	// The delivery reads back through the ingestion readers: its manifest
	// and every row, to the cent.
	im, err := ingestion.ParseManifest(files.Manifest, raw)
	require.NoError(t, err)
	require.Equal(t, ingestion.FormatAzure, im.Format)
	require.Equal(t, oct, im.BillingPeriod)
	require.Len(t, im.DataFiles, len(files.DataFiles))
	var in []ingestion.File
	for _, f := range files.DataFiles {
		in = append(in, ingestion.LocalFile(f))
	}
	res, err := ingestion.ReadPeriod(t.Context(), in, ingestion.FormatAuto, ingestion.ReadOptions{Manifest: im})
	require.NoError(t, err)
	require.Equal(t, ingestion.FormatAzure, res.Format)
	require.EqualValues(t, rows, res.RowsRead)
	var billed valdrix.Decimal
	for _, c := range res.Totals {
		billed, _ = billed.Add(c.BilledCost)
	}
	require.Equal(t, total, billed)
	require.Equal(t, []valdrix.Month{oct}, res.Periods)
	// The export bills the inventory's resources: their billing ids join.
	rep, err := b.p.Discover(t.Context(), b.conn, cloud.DiscoverOpts{Services: []string{"compute"}}, func(_ context.Context, batch []cloud.Resource) error {
		for _, r := range batch {
			if r.Type == "azure.compute.disk" && r.CreatedAt.Before(oct.Start().Time()) {
				require.True(t, resources[r.BillingID], "disk %s is billed in October", r.BillingID)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, rep.Complete)
}

func TestCostSourceDenied(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addExport(t)
	require.NoError(t, b.sim.RegisterAzureApp(cloudsim.AzureApp{ClientID: b.clientID, ClientSecret: testSecret, StorageAccounts: []string{}}))
	_, err := b.p.ListBillingPeriods(t.Context(), b.conn)
	require.Equal(t, valdrix.EFORBIDDEN, valdrix.ErrorCode(err))
	require.Equal(t, "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read", cloud.MissingPermission(err))
	require.Contains(t, valdrix.ErrorMessage(err), "Storage Blob Data Reader")

	none := b.conn
	az := *b.conn.Azure
	az.StorageAccount, az.Container = "", ""
	none.Azure = &az
	_, err = b.p.ListBillingPeriods(t.Context(), none)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	require.Equal(t, "azure.storage_account", valdrix.ErrorField(err))
}

func TestCostSourceThrottledBlobIsRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.addExport(t)
	id := b.sim.Faults().Add(cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "blob", Operation: "GetBlob", Times: 2})
	files, err := b.p.FetchBillingPeriod(t.Context(), b.conn, valdrix.NewMonth(2026, 9), t.TempDir())
	require.NoError(t, err)
	require.NotEmpty(t, files.DataFiles)
	require.Equal(t, 2, b.sim.Faults().Hits(id))
}
