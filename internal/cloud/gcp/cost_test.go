package gcp

import (
	"context"
	"encoding/json"
	"os"
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
	periods, err := b.p.ListBillingPeriods(t.Context(), b.conn)
	require.NoError(t, err)
	var months []valdrix.Month
	for _, bp := range periods {
		months = append(months, bp.Period)
		require.Equal(t, cloud.FormatGCP, bp.Format)
		require.Equal(t, b.conn.GCP.BillingTable, bp.ManifestKey)
	}
	require.Equal(t, b.estate.BillingMonths(), months, "one period per month of usage in the partitions")

	oct := valdrix.NewMonth(2026, 10)
	dir := t.TempDir()
	files, err := b.p.FetchBillingPeriod(t.Context(), b.conn, oct, dir)
	require.NoError(t, err)
	require.Len(t, files.DataFiles, 1)
	raw, err := os.ReadFile(files.Manifest)
	require.NoError(t, err)
	var man struct {
		Rows int `json:"rowCount"`
		BQ   struct {
			Query string `json:"query"`
			JobID string `json:"jobId"`
		} `json:"bigQueryExport"`
	}
	require.NoError(t, json.Unmarshal(raw, &man))
	require.Contains(t, man.BQ.Query, "_PARTITIONTIME >= @partition_start", "the query prunes partitions")
	require.NotEmpty(t, man.BQ.JobID)
	require.Positive(t, man.Rows)
	im, err := ingestion.ParseManifest(files.ManifestKey, raw)
	require.NoError(t, err)
	require.Equal(t, ingestion.FormatGCP, im.Format)
	require.Equal(t, oct, im.BillingPeriod)
	require.EqualValues(t, man.Rows, im.DeclaredRows)
	groups, err := ingestion.FindLocal(t.Context(), []string{dir})
	require.NoError(t, err)
	require.Len(t, groups, 1, "the manifest claims the data file")
	require.Equal(t, ingestion.FormatGCP, groups[0].Format)

	// The file reads back through the ingestion GCP reader to the same
	// ledger as the streamed records.
	fromFile, err := ingestion.ReadPeriod(t.Context(), []ingestion.File{ingestion.LocalFile(files.DataFiles[0])}, ingestion.FormatGCP, ingestion.ReadOptions{})
	require.NoError(t, err)
	fromStream, err := ingestion.ReadGCP(t.Context(), "bigquery", b.p.BillingRecords(t.Context(), b.conn, oct))
	require.NoError(t, err)
	require.EqualValues(t, man.Rows, fromFile.RowsRead)
	require.Equal(t, fromStream.Totals, fromFile.Totals)
	require.Equal(t, []valdrix.Month{oct}, fromFile.Periods)
	billed := map[string]bool{}
	credits := 0
	for _, r := range fromFile.Rows {
		billed[r.ResourceID] = true
		require.Equal(t, oct, r.BillingPeriod)
		if r.ChargeCategory == "Credit" {
			credits++
		}
	}
	require.Positive(t, credits, "committed use discount credits are read as credit lines")

	// The export bills the inventory's resources: their billing ids join.
	rep, err := b.p.Discover(t.Context(), b.conn, cloud.DiscoverOpts{}, func(_ context.Context, batch []cloud.Resource) error {
		for _, r := range batch {
			if r.Type == "gcp.compute.disk" && r.CreatedAt.Before(oct.Start().Time()) {
				require.True(t, billed[r.BillingID], "disk %s is billed in October", r.BillingID)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.True(t, rep.Complete)
}

func TestCostSourceErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		account cloudsim.GCPServiceAccount
		fault   *cloudsim.Fault
		mutate  func(*cloud.GCPConnection)
		code    string
		check   func(t *testing.T, err error)
	}{
		{name: "no BigQuery access", account: cloudsim.GCPServiceAccount{NoBilling: true}, code: valdrix.EFORBIDDEN,
			check: func(t *testing.T, err error) { require.Equal(t, "bigquery.jobs.create", cloud.MissingPermission(err)) }},
		{name: "no table configured", mutate: func(g *cloud.GCPConnection) { g.BillingTable = "" }, code: valdrix.EINVALID,
			check: func(t *testing.T, err error) { require.Equal(t, "gcp.billing_table", valdrix.ErrorField(err)) }},
		{name: "another table", mutate: func(g *cloud.GCPConnection) { g.BillingTable = g.Projects[0] + ".billing_export.nope" }, code: valdrix.ENOTFOUND},
		{name: "throttled a while", fault: &cloudsim.Fault{Kind: cloudsim.FaultThrottle, Service: "bigquery", Times: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *setupOpts) { o.resources, o.account = 300, tt.account })
			if tt.mutate != nil {
				g := *b.conn.GCP
				tt.mutate(&g)
				b.conn.GCP = &g
			}
			if tt.fault != nil {
				b.sim.Faults().Add(*tt.fault)
			}
			_, err := b.p.FetchBillingPeriod(t.Context(), b.conn, valdrix.NewMonth(2026, 9), t.TempDir())
			if tt.code == "" {
				require.NoError(t, err)
				return
			}
			require.Equal(t, tt.code, valdrix.ErrorCode(err), "%v", err)
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}
