package cloudsim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestParseKQL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		query   string
		want    *kqlQuery
		wantErr string
	}{
		{
			name:  "where and project",
			query: "Resources | where type in~ ('Microsoft.Compute/disks', 'microsoft.compute/snapshots') and location =~ 'westeurope' | project id, name, properties",
			want: &kqlQuery{table: "resources", where: []kqlCond{
				{col: "type", values: []string{"microsoft.compute/disks", "microsoft.compute/snapshots"}},
				{col: "location", values: []string{"westeurope"}},
			}, project: []string{"id", "name", "properties"}},
		},
		{
			name:  "summarize",
			query: "ResourceContainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups' | summarize count() by type, location",
			want: &kqlQuery{table: "resourcecontainers", where: []kqlCond{{col: "type", values: []string{"microsoft.resources/subscriptions/resourcegroups"}}},
				summarize: []string{"type", "location"}},
		},
		{name: "quoted pipe", query: "Resources | where resourceGroup =~ 'a|b'", want: &kqlQuery{table: "resources", where: []kqlCond{{col: "resourceGroup", values: []string{"a|b"}}}}},
		{name: "unknown table", query: "SecurityResources | project id", wantErr: "table"},
		{name: "unknown operator", query: "Resources | extend x = 1", wantErr: "operator \"extend\""},
		{name: "unsupported condition", query: "Resources | where name contains 'vm'", wantErr: "condition on column \"name\""},
		{name: "unsupported comparison", query: "Resources | where type == 'x'", wantErr: "want =~"},
		{name: "unknown column", query: "Resources | project id, secret", wantErr: "column \"secret\""},
		{name: "unquoted", query: "Resources | where type =~ disks", wantErr: "single-quoted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseKQL(tt.query)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// readAzureExport returns the parsed CSV rows of month m of the export in
// the simulator's blob store, and the manifest.
func readAzureExport(t *testing.T, s *Sim, x AzureCostExport, m valdrix.Month) ([]map[string]string, map[string]any) {
	t.Helper()
	s.azure.mu.Lock()
	defer s.azure.mu.Unlock()
	c := s.azure.accounts[x.StorageAccount].containers[x.Container]
	var man map[string]any
	for name, b := range c.blobs {
		if strings.HasSuffix(name, "/manifest.json") && strings.Contains(name, m.Start().Time().Format("20060102")+"-") {
			require.NoError(t, json.Unmarshal(b.data, &man))
		}
	}
	require.NotNil(t, man, "a manifest for %s", m)
	var rows []map[string]string
	for _, bl := range man["blobs"].([]any) {
		name := bl.(map[string]any)["blobName"].(string)
		recs, err := csv.NewReader(bytes.NewReader(c.blobs[name].data)).ReadAll()
		require.NoError(t, err)
		require.Equal(t, azureCostHeader, recs[0])
		for _, r := range recs[1:] {
			row := map[string]string{}
			for k, h := range recs[0] {
				row[h] = r[k]
			}
			rows = append(rows, row)
		}
	}
	return rows, man
}

func TestAzureExportMatchesEstate(t *testing.T) {
	t.Parallel()
	s, err := New(Config{EstateConfig: EstateConfig{Seed: 5, Resources: 800, Mix: map[valdrix.Provider]float64{valdrix.Azure: 1}}})
	require.NoError(t, err)
	x := AzureCostExport{StorageAccount: "acmecost", Container: "exports", Prefix: "cost", RowsPerFile: 5000}
	require.NoError(t, s.AddAzureCostExport(x))
	e := s.Estate()
	m := valdrix.NewMonth(2026, 10)
	rows, man := readAzureExport(t, s, x, m)
	require.EqualValues(t, len(rows), man["dataRowCount"], "the manifest counts the rows")
	require.Greater(t, len(man["blobs"].([]any)), 1, "a large period is split into parts")

	byResource := map[string]valdrix.Decimal{}
	for _, r := range rows {
		require.Equal(t, "USD", r["BillingCurrencyCode"])
		d, err := time.Parse("01/02/2006", r["Date"])
		require.NoError(t, err)
		require.Equal(t, m, valdrix.MonthOf(d))
		c, err := valdrix.ParseDecimal(r["CostInBillingCurrency"])
		require.NoError(t, err)
		byResource[r["ResourceId"]], _ = byResource[r["ResourceId"]].Add(c)
	}
	// Every resource that ran all month without change costs its hourly
	// rate for every hour plus its storage prorated over 730 hours.
	hours := int64(m.Days() * 24)
	checked := 0
	for i := range e.Resources {
		x := &e.Resources[i]
		if x.Kind == AzureResourceGroup || x.Kind == AzureNetworkInterface || x.Created >= m.Start().Time().Unix() ||
			x.Changed != 0 || x.Flags&FlagReserved != 0 {
			continue
		}
		if x.State == "deallocated" {
			continue
		}
		hourly, _ := e.HourlyRate(i).MulRatio(hours, 1)
		storage, _ := e.StorageMonthly(i).MulRatio(hours, hoursPerMonth)
		want, _ := hourly.Add(storage)
		got := byResource[e.BillingID(i)]
		diff, _ := got.Sub(want)
		require.LessOrEqual(t, abs(int64(diff)), int64(2*m.Days()), "%s %s: got %s, want %s", x.Kind, e.BillingID(i), got, want)
		checked++
	}
	require.Positive(t, checked)
	_, ok := byResource[""]
	require.True(t, ok || len(e.Commitments) == 0, "reservation purchases have no resource id")
}

func TestAzureAmortizedExportBillsUnusedReservations(t *testing.T) {
	t.Parallel()
	s, err := New(Config{EstateConfig: EstateConfig{Seed: 5, Resources: 800, Mix: map[valdrix.Provider]float64{valdrix.Azure: 1},
		Waste: map[Code]float64{Z19: 1}}})
	require.NoError(t, err)
	bad := AzureCostExport{StorageAccount: "acmecost", Container: "exports", Dataset: "Usage"}
	require.ErrorContains(t, s.AddAzureCostExport(bad), "dataset")
	x := AzureCostExport{StorageAccount: "acmecost", Container: "exports", Dataset: DatasetAmortizedCost}
	require.NoError(t, s.AddAzureCostExport(x))
	x.Name = "valdrix-amortized"
	m := valdrix.NewMonth(2026, 10)
	rows, man := readAzureExport(t, s, x, m)
	require.Equal(t, DatasetAmortizedCost, man["exportConfig"].(map[string]any)["type"])

	unused := map[string]valdrix.Decimal{}
	for _, r := range rows {
		require.NotEqual(t, "Purchase", r["ChargeType"], "the amortized dataset spreads purchases")
		if r["ChargeType"] != "UnusedReservation" {
			continue
		}
		require.Empty(t, r["ResourceId"], "an unused reservation line names no resource")
		c, err := valdrix.ParseDecimal(r["CostInBillingCurrency"])
		require.NoError(t, err)
		unused[r["ReservationId"]], _ = unused[r["ReservationId"]].Add(c)
	}
	e := s.Estate()
	want := 0
	for ci := range e.Commitments {
		cm := &e.Commitments[ci]
		if cm.Provider != valdrix.Azure || cm.Unused == 0 {
			require.NotContains(t, unused, cm.ID)
			continue
		}
		want++
		fee, _ := cm.HourlyFee().MulRatio(int64(cm.Unused)*int64(m.Days())*24, 1)
		require.Equal(t, fee, unused[cm.ID], "%s: a month of %d unused units", cm.ID, cm.Unused)
	}
	require.Positive(t, want, "the estate has unused reservations")
	require.Len(t, unused, want)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
