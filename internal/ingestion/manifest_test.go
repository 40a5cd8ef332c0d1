package ingestion_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const cur2Manifest = `{"version":"1.0","exportArn":"arn:aws:bcm-data-exports:us-east-1:111111111111:export/cur2-abc","exportName":"cur2","executionId":"exec-42",
"billingPeriod":{"start":"2026-09-01T00:00:00.000Z","end":"2026-10-01T00:00:00.000Z"},
"dataFiles":["s3://bucket/prefix/cur2/data/BILLING_PERIOD=2026-09/cur2-00001.snappy.parquet","s3://bucket/prefix/cur2/data/BILLING_PERIOD=2026-09/cur2-00002.snappy.parquet"]}`

const legacyManifest = `{"assemblyId":"%s","account":"111111111111","columns":[{"category":"identity","name":"LineItemId","type":"String"}],
"charset":"UTF-8","compression":"GZIP","contentType":"text/csv","reportId":"r","reportName":"cur",
"billingPeriod":{"start":"20240901T000000.000Z","end":"20241001T000000.000Z"},"bucket":"b",
"reportKeys":["cur/cur/20240901-20241001/%s/cur-00001.csv.gz"],"additionalArtifactKeys":[]}`

const azureManifest = `{"manifestVersion":"2024-04-01","byteCount":1000,"blobCount":1,"dataRowCount":2,
"exportConfig":{"exportName":"daily","resourceId":"/subscriptions/x","dataVersion":"2023-12-01-preview","apiVersion":"2023-07-01-preview","type":"AmortizedCost","timeFrame":"MonthToDate","granularity":"Daily"},
"deliveryConfig":{"partitionData":true,"dataOverwriteBehavior":"OverwritePreviousReport","fileFormat":"Csv","compressionMode":"None"},
"runInfo":{"executionType":"Scheduled","submittedTime":"2024-10-06T03:00:00Z","runId":"run-7","startDate":"2024-10-01T00:00:00","endDate":"2024-10-31T00:00:00"},
"blobs":[{"blobName":"costs/daily/20241001-20241031/run-7/part_0_0001.csv","byteCount":1000,"dataRowCount":2}]}`

const gcpManifest = `{"bigQueryExport":{"table":"acme-prod-1234.billing_export.gcp_billing_export_resource_v1_X","jobId":"job_42","query":"SELECT …"},
"billingPeriod":"2026-10","dataFiles":["gcp-billing-2026-10.jsonl"],"rowCount":7}`

func TestParseManifest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		format  ingestion.Format
		id      string
		period  string
		files   int
		rows    int64
		dataset string
	}{
		{name: "cur 2.0", text: cur2Manifest, format: ingestion.FormatCUR2, id: "exec-42", period: "2026-09", files: 2, rows: -1},
		{name: "legacy cur", text: sprintf(legacyManifest, "asm-1", "asm-1"), format: ingestion.FormatCUR, id: "asm-1", period: "2024-09", files: 1, rows: -1},
		{name: "azure", text: azureManifest, format: ingestion.FormatAzure, id: "run-7", period: "2024-10", files: 1, rows: 2, dataset: "AmortizedCost"},
		{name: "gcp bigquery", text: gcpManifest, format: ingestion.FormatGCP, id: "job_42", period: "2026-10", files: 1, rows: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := ingestion.ParseManifest("x/Manifest.json", []byte(tt.text))
			require.NoError(t, err)
			require.Equal(t, tt.format, m.Format)
			require.Equal(t, tt.id, m.ID)
			require.Equal(t, tt.period, m.BillingPeriod.String())
			require.Len(t, m.DataFiles, tt.files)
			require.Equal(t, tt.rows, m.DeclaredRows)
			require.Equal(t, tt.dataset, m.Dataset)
			require.Len(t, m.Checksum, 64)
		})
	}
	for _, bad := range []string{"", "{", `{"foo":1}`, `{"assemblyId":"a","reportKeys":[],"billingPeriod":{"start":"20240901T000000.000Z"}}`, `{"executionId":"e","dataFiles":["a"],"billingPeriod":{"start":"soon"}}`, `{"bigQueryExport":{},"dataFiles":["a"],"billingPeriod":"later"}`} {
		_, err := ingestion.ParseManifest("m.json", []byte(bad))
		require.Error(t, err, bad)
		require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	}
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func TestFindLocalAndReadGroup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lines := fixtureLines()
	// A CUR 2.0 delivery in two files with its manifest.
	write(t, filepath.Join(dir, "cur2/data/BILLING_PERIOD=2026-09/cur2-00001.snappy.parquet"), writeCUR2Parquet(t, lines[:3], 10))
	write(t, filepath.Join(dir, "cur2/data/BILLING_PERIOD=2026-09/cur2-00002.snappy.parquet"), writeCUR2Parquet(t, lines[3:], 10))
	write(t, filepath.Join(dir, "cur2/metadata/BILLING_PERIOD=2026-09/cur2-Manifest.json"), []byte(cur2Manifest))
	// A legacy CUR with an old and a current assembly; the top-level
	// manifest names the current one.
	write(t, filepath.Join(dir, "cur/cur/20240901-20241001/asm-old/cur-00001.csv.gz"), gz(t, []byte("garbage that must not be read")))
	write(t, filepath.Join(dir, "cur/cur/20240901-20241001/asm-old/cur-Manifest.json"), []byte(sprintf(legacyManifest, "asm-old", "asm-old")))
	write(t, filepath.Join(dir, "cur/cur/20240901-20241001/asm-new/cur-00001.csv.gz"), gz(t, []byte(legacyCUR)))
	write(t, filepath.Join(dir, "cur/cur/20240901-20241001/asm-new/cur-Manifest.json"), []byte(sprintf(legacyManifest, "asm-new", "asm-new")))
	write(t, filepath.Join(dir, "cur/cur/20240901-20241001/cur-Manifest.json"), []byte(sprintf(legacyManifest, "asm-new", "asm-new")))
	// A loose FOCUS file.
	write(t, filepath.Join(dir, "focus/focus.csv"), []byte(focusCSV))

	groups, err := ingestion.FindLocal(context.Background(), []string{dir})
	require.NoError(t, err)
	require.Len(t, groups, 3)
	require.Equal(t, valdrix.Month(0), groups[0].Period, "the loose FOCUS file's path names no period")
	require.Equal(t, "2024-09", groups[1].Period.String())
	require.Equal(t, ingestion.FormatCUR, groups[1].Format)
	require.Equal(t, "asm-new", groups[1].Manifest.ID)
	require.Len(t, groups[1].Files, 1)
	require.Contains(t, groups[1].Files[0].Name, "asm-new")
	require.Equal(t, "2026-09", groups[2].Period.String())
	require.Len(t, groups[2].Files, 2)
	require.Positive(t, groups[2].Bytes)

	var calls int
	var lastRows int64
	res, err := ingestion.ReadGroup(context.Background(), groups[2], ingestion.FormatAuto, ingestion.ReadOptions{
		Progress: func(file string, rows, bytes int64) { calls++; lastRows = rows },
	})
	require.NoError(t, err)
	require.Equal(t, ingestion.FormatCUR2, res.Format)
	require.Equal(t, "exec-42", res.ManifestID)
	require.Len(t, res.ManifestChecksum, 64)
	require.Nil(t, res.ExportTotals, "CUR 2.0 manifests declare no totals")
	require.Equal(t, int64(len(lines)), res.RowsRead)
	require.Len(t, res.Rows, 5, "both files of the delivery roll up together")
	require.Positive(t, calls)
	require.Positive(t, lastRows)

	legacy, err := ingestion.ReadGroup(context.Background(), groups[1], ingestion.FormatAuto, ingestion.ReadOptions{})
	require.NoError(t, err)
	require.Len(t, legacy.Rows, 3)

	// A manifest whose file is missing is an incomplete delivery.
	require.NoError(t, os.Remove(filepath.Join(dir, "cur2/data/BILLING_PERIOD=2026-09/cur2-00002.snappy.parquet")))
	_, err = ingestion.FindLocal(context.Background(), []string{dir})
	require.ErrorContains(t, err, "cur2-00002.snappy.parquet")
}

func TestAzureManifestTotals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "costs/daily/20241001-20241031/run-7/part_0_0001.csv"), []byte(azureMCA))
	write(t, filepath.Join(dir, "costs/daily/20241001-20241031/run-7/manifest.json"), []byte(azureManifest))
	groups, err := ingestion.FindLocal(context.Background(), []string{dir})
	require.NoError(t, err)
	require.Len(t, groups, 1)
	res, err := ingestion.ReadGroup(context.Background(), groups[0], ingestion.FormatAuto, ingestion.ReadOptions{})
	require.NoError(t, err)
	require.NotNil(t, res.ExportTotals)
	require.Equal(t, int64(2), res.ExportTotals.DeclaredRows)
	require.Equal(t, res.RowsRead, res.ExportTotals.DeclaredRows)
	require.Equal(t, "run-7", res.ManifestID)
	for _, r := range res.Rows {
		if r.CommitmentDiscountStatus == "Used" {
			require.Zero(t, r.BilledCost, "amortized commitment usage is billed through the purchase")
			require.Equal(t, dec(t, "2.4"), r.EffectiveCost)
		}
	}
}
