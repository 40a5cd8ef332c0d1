package carbon

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestUsageFromLedger(t *testing.T) {
	t.Parallel()
	day := valdrix.NewDate(2026, 10, 5)
	base := ingestion.LedgerRow{
		ChargeDay:       day,
		Provider:        valdrix.AWS,
		SubAccountID:    "111122223333",
		ServiceName:     "Amazon Elastic Compute Cloud",
		RegionID:        "us-east-1",
		UsageType:       "USE1-BoxUsage:m5.large",
		Operation:       "RunInstances",
		ChargeCategory:  "Usage",
		EffectiveCost:   valdrix.NewDecimal(2, 300_000_000),
		BillingCurrency: "USD",
	}
	wantBase := Usage{
		Provider: valdrix.AWS, Day: day, AccountID: "111122223333", Region: "us-east-1",
		Service: "Amazon Elastic Compute Cloud", UsageType: "USE1-BoxUsage:m5.large", Operation: "RunInstances",
		ChargeCategory: "Usage", Cost: valdrix.NewDecimal(2, 300_000_000), Currency: "USD",
	}
	tests := []struct {
		name   string
		change func(*ingestion.LedgerRow)
		want   func(*Usage)
	}{
		{
			name: "consumed quantity and unit",
			change: func(r *ingestion.LedgerRow) {
				r.ConsumedQuantity, r.ConsumedUnit = valdrix.NewDecimal(24, 0), "Hrs"
				r.Missing = ingestion.MissingPricingQuantity
			},
			want: func(u *Usage) { u.Quantity, u.HasQuantity, u.Unit = valdrix.NewDecimal(24, 0), true, "Hrs" },
		},
		{
			name: "consumed quantity without a unit takes the pricing unit",
			change: func(r *ingestion.LedgerRow) {
				r.ConsumedQuantity, r.PricingUnit = valdrix.NewDecimal(24, 0), "Hrs"
				r.Missing = ingestion.MissingPricingQuantity
			},
			want: func(u *Usage) { u.Quantity, u.HasQuantity, u.Unit = valdrix.NewDecimal(24, 0), true, "Hrs" },
		},
		{
			name: "pricing quantity counts blocks of the pricing unit",
			change: func(r *ingestion.LedgerRow) {
				r.PricingQuantity, r.PricingUnit = valdrix.NewDecimal(2, 400_000_000), "10 Hours"
				r.Missing = ingestion.MissingConsumedQuantity
			},
			want: func(u *Usage) { u.Quantity, u.HasQuantity, u.Unit = valdrix.NewDecimal(24, 0), true, "10 Hours" },
		},
		{
			name: "no quantity at all",
			change: func(r *ingestion.LedgerRow) {
				r.Missing = ingestion.MissingConsumedQuantity | ingestion.MissingPricingQuantity
			},
			want: func(*Usage) {},
		},
		{
			name: "extension columns, any case and native names",
			change: func(r *ingestion.LedgerRow) {
				r.Missing = ingestion.MissingConsumedQuantity | ingestion.MissingPricingQuantity
				r.Extensions = `{"PRODUCT_INSTANCE_TYPE":"m5.large","x_VCPUs":2,"line_item_product_code":"AmazonEC2","x_LineItemType":"DiscountedUsage"}`
			},
			want: func(u *Usage) {
				u.InstanceType, u.VCPUs, u.ServiceCode, u.LineItemType = "m5.large", 2, "AmazonEC2", "DiscountedUsage"
			},
		},
		{
			name: "azure sku details and meter subcategory from operation",
			change: func(r *ingestion.LedgerRow) {
				r.Provider, r.Operation = valdrix.Azure, "Dsv3 Series"
				r.Missing = ingestion.MissingConsumedQuantity | ingestion.MissingPricingQuantity
				r.Extensions = `{"x_SkuMeterCategory":"Virtual Machines","x_SkuDetails":{"VCPUs":"4","ServiceType":"Standard_D4s_v3"}}`
			},
			want: func(u *Usage) {
				u.Provider, u.Operation = valdrix.Azure, "Dsv3 Series"
				u.MeterCategory, u.MeterSubcategory = "Virtual Machines", "Dsv3 Series"
				u.VCPUs, u.InstanceType = 4, "Standard_D4s_v3"
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row := base
			tt.change(&row)
			want := wantBase
			if row.Provider != base.Provider {
				want.Provider = row.Provider
			}
			tt.want(&want)
			got, err := UsageFromLedger(row)
			require.NoError(t, err)
			require.Empty(t, cmp.Diff(want, got))
		})
	}
}

func TestUsageFromLedgerBadExtensions(t *testing.T) {
	t.Parallel()
	_, err := UsageFromLedger(ingestion.LedgerRow{Provider: valdrix.AWS, Extensions: `["not","an","object"]`})
	require.Error(t, err)
	require.True(t, valdrix.IsCode(err, valdrix.EINVALID))
}

func TestParseUnit(t *testing.T) {
	t.Parallel()
	day := valdrix.NewDate(2026, 2, 10) // February 2026: 28 days = 672 hours
	tests := []struct {
		name  string
		in    string
		kind  unitKind
		hours float64 // step hours on day
		gb    float64
		tb    float64
	}{
		{name: "cur hours", in: "Hrs", kind: unitTime, hours: 1},
		{name: "focus hours", in: "Hours", kind: unitTime, hours: 1},
		{name: "azure hour block", in: "10 Hours", kind: unitTime, hours: 1},
		{name: "gcp seconds", in: "seconds", kind: unitTime, hours: 1.0 / 3600},
		{name: "vcpu hours", in: "vCPU-Hours", kind: unitTime, hours: 1},
		{name: "cur gb-month", in: "GB-Mo", kind: unitDataTime, hours: 672, gb: 1, tb: 0.001},
		{name: "azure gb/month", in: "1 GB/Month", kind: unitDataTime, hours: 672, gb: 1, tb: 0.001},
		{name: "azure tb/month", in: "1 TB/Month", kind: unitDataTime, hours: 672, gb: 1000, tb: 1},
		{name: "gcp gibibyte month", in: "gibibyte month", kind: unitDataTime, hours: 672, gb: 1, tb: 1.0 / 1024},
		{name: "gcp byte-seconds", in: "byte-seconds", kind: unitDataTime, hours: 1.0 / 3600, gb: 1.0 / (1 << 30), tb: 1.0 / (1 << 40)},
		{name: "gb-hours", in: "GB-Hours", kind: unitDataTime, hours: 1, gb: 1, tb: 0.001},
		{name: "cur gb", in: "GB", kind: unitData, gb: 1, tb: 0.001},
		{name: "gcp bytes", in: "bytes", kind: unitData, gb: 1.0 / (1 << 30), tb: 1.0 / (1 << 40)},
		{name: "azure per month", in: "1/Month", kind: unitCountTime, hours: 672},
		{name: "focus units per day", in: "Units/Day", kind: unitCountTime, hours: 24},
		{name: "requests", in: "Requests", kind: unitUnknown},
		{name: "empty", in: "", kind: unitUnknown},
		{name: "ten thousand", in: "10K", kind: unitUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := parseUnit(tt.in)
			require.Equal(t, tt.kind, u.kind)
			if tt.kind == unitUnknown {
				return
			}
			require.InDelta(t, tt.hours, u.stepHours(day), 1e-15)
			require.InDelta(t, tt.gb, u.gb, 1e-18)
			require.InDelta(t, tt.tb, u.tb, 1e-18)
		})
	}
}

func TestRegionKey(t *testing.T) {
	t.Parallel()
	tb, err := loadTables()
	require.NoError(t, err)
	tests := []struct {
		name     string
		provider valdrix.Provider
		in, want string
	}{
		{name: "aws", provider: valdrix.AWS, in: "US-East-1", want: "us-east-1"},
		{name: "azure display name", provider: valdrix.Azure, in: "East US 2", want: "eastus2"},
		{name: "azure id", provider: valdrix.Azure, in: "westeurope", want: "westeurope"},
		{name: "gcp zone", provider: valdrix.GCP, in: "us-central1-a", want: "us-central1"},
		{name: "gcp multi-region", provider: valdrix.GCP, in: "US", want: "us"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tb.regionKey(tt.provider, tt.in))
			require.False(t, tb.grid(tt.provider, tt.in, false).fallback)
		})
	}
}
