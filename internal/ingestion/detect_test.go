package ingestion_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

func TestDetectColumns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cols   string
		want   ingestion.Format
		reason string
		ok     bool
	}{
		{name: "cur 2.0", cols: "bill_payer_account_id,line_item_line_item_type,line_item_usage_start_date,resource_tags,product", want: ingestion.FormatCUR2, reason: "map columns", ok: true},
		{name: "legacy cur csv", cols: "bill/PayerAccountId,lineItem/LineItemType,lineItem/UsageStartDate,resourceTags/user:team", want: ingestion.FormatCUR, reason: "legacy", ok: true},
		{name: "legacy cur athena", cols: "bill_payer_account_id,line_item_line_item_type,line_item_usage_start_date,resource_tags_user_team", want: ingestion.FormatCUR, reason: "Athena", ok: true},
		{name: "azure ea", cols: "SubscriptionId,MeterCategory,CostInBillingCurrency,Date", want: ingestion.FormatAzure, reason: "EA/MCA", ok: true},
		{name: "azure mca", cols: "subscriptionId,meterCategory,costInBillingCurrency,date", want: ingestion.FormatAzure, reason: "camelCase", ok: true},
		{name: "azure v1", cols: "SubscriptionGuid,MeterCategory,PreTaxCost,UsageDateTime", want: ingestion.FormatAzure, reason: "v1", ok: true},
		{name: "azure focus", cols: "ChargePeriodStart,BilledCost,ChargeCategory,x_SkuMeterCategory", want: ingestion.FormatFOCUS, reason: "FocusCost", ok: true},
		{name: "focus 1.0", cols: "ChargePeriodStart,BilledCost,ChargeCategory,ProviderName", want: ingestion.FormatFOCUS, reason: "FOCUS", ok: true},
		{name: "gcp", cols: "billing_account_id,service.description,usage_start_time,cost", want: ingestion.FormatGCP, reason: "GCP", ok: true},
		{name: "nothing", cols: "a,b,c", ok: false},
		{name: "empty", cols: "", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ok := ingestion.DetectColumns("CSV header", strings.Split(tt.cols, ","))
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			require.Equal(t, tt.want, d.Format)
			require.Contains(t, d.Reason, tt.reason)
		})
	}
}

func TestDetectFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		want ingestion.Format
	}{
		{name: "cur 2.0 parquet", data: writeCUR2Parquet(t, fixtureLines(), 10), want: ingestion.FormatCUR2},
		{name: "gzip legacy csv", data: gz(t, []byte(legacyCUR)), want: ingestion.FormatCUR},
		{name: "gcp json lines", data: []byte(gcpJSONL), want: ingestion.FormatGCP},
		{name: "gzip gcp json lines", data: gz(t, []byte(gcpJSONL)), want: ingestion.FormatGCP},
		{name: "focus", data: []byte(focusCSV), want: ingestion.FormatFOCUS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ingestion.Detect(context.Background(), ingestion.MemoryFile("f", tt.data))
			require.NoError(t, err)
			require.Equal(t, tt.want, d.Format)
			require.NotEmpty(t, d.Reason)
		})
	}
	_, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{
		ingestion.MemoryFile("a.csv", []byte(focusCSV)), ingestion.MemoryFile("b.csv", []byte(legacyCUR)),
	}, ingestion.FormatAuto, ingestion.ReadOptions{})
	require.ErrorContains(t, err, "one format")
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"auto", "CUR2", " cur ", "azure", "gcp", "focus", ""} {
		_, err := ingestion.ParseFormat("format", s)
		require.NoError(t, err, s)
	}
	_, err := ingestion.ParseFormat("format", "xlsx")
	require.ErrorContains(t, err, "unknown billing format")
}
