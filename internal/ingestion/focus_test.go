package ingestion_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// focusCSV is FOCUS 1.2 from two providers, with Microsoft x_ columns.
const focusCSV = `BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ChargeClass,ChargeDescription,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,ContractedCost,EffectiveCost,InvoiceIssuerName,ListCost,PricingCategory,PricingQuantity,PricingUnit,ProviderName,PublisherName,RegionId,ResourceId,ResourceName,ResourceType,ServiceCategory,ServiceName,SkuId,SubAccountId,SubAccountName,Tags,x_SkuMeterName,x_ResourceGroupName,x_BilledCostInUsd,x_SkuDetails
1.5,ba-1,Contoso,USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,Usage,,vm,Usage-Based,2024-09-05T00:00:00Z,2024-09-05T01:00:00Z,1,Hours,1.5,1.2,Microsoft,2,Standard,1,1 Hour,Microsoft,Microsoft,eastus,/sub/vm-1,vm-1,Virtual machine,Compute,Virtual Machines,sku-1,sub-1,Sub One,"{""team"":""a""}",D2s v3,rg-1,1.5,"{""VCPUs"":2}"
1.5,ba-1,Contoso,USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,Usage,,vm,Usage-Based,2024-09-05T01:00:00Z,2024-09-05T02:00:00Z,1,Hours,1.5,1.2,Microsoft,2,Standard,1,1 Hour,Microsoft,Microsoft,eastus,/sub/vm-1,vm-1,Virtual machine,Compute,Virtual Machines,sku-1,sub-1,Sub One,"{""team"":""a""}",D2s v3,rg-1,1.6,"{""VCPUs"":2}"
-3,ba-2,Acme,USD,2024-09-01T00:00:00Z,2024-10-01T00:00:00Z,Credit,Correction,refund,One-Time,2024-09-06T00:00:00Z,2024-09-07T00:00:00Z,,,,-3,AWS,,,,,AWS,AWS,,,,,,Amazon Elastic Compute Cloud,,acct-9,,,,,,
`

func TestReadFOCUS(t *testing.T) {
	t.Parallel()
	header, rows := readCSVTable(t, focusCSV)
	tests := []struct {
		name string
		data []byte
	}{
		{name: "csv", data: []byte(focusCSV)},
		{name: "parquet", data: parquetStrings(t, header, rows, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustRead(t, "focus.csv", tt.data, ingestion.FormatAuto)
			require.Equal(t, ingestion.FormatFOCUS, res.Format)
			require.Contains(t, res.FormatReason, "FOCUS")
			require.Len(t, res.Rows, 2)
			vm, credit := res.Rows[0], res.Rows[1]
			require.Equal(t, valdrix.Azure, vm.Provider)
			require.Equal(t, dec(t, "3"), vm.BilledCost)
			require.Equal(t, dec(t, "2.4"), vm.EffectiveCost)
			require.Equal(t, dec(t, "4"), vm.ListCost)
			require.Equal(t, int64(2), vm.LineCount)
			require.Equal(t, dec(t, "2"), vm.VCPUs)
			require.Equal(t, "D2s v3", vm.UsageType)
			require.Equal(t, `{"team":"a"}`, vm.Tags)
			// Dimension-like x_ columns are kept; metric-like ones are not.
			require.Equal(t, `{"x_ResourceGroupName":"rg-1","x_SkuDetails":"{\"VCPUs\":2}","x_SkuMeterName":"D2s v3"}`, vm.Extensions)
			require.Equal(t, valdrix.AWS, credit.Provider)
			require.Equal(t, "Credit", credit.ChargeCategory)
			require.Equal(t, "Correction", credit.ChargeClass)
			require.Equal(t, "Compute", credit.ServiceCategory, "looked up when the file leaves it empty")
			require.False(t, credit.Missing.Has(ingestion.MissingListCost))
			require.False(t, credit.Missing.Has(ingestion.MissingConsumedQuantity))
			require.False(t, credit.Missing.Has(ingestion.MissingVCPUs))
			require.Equal(t, []valdrix.Month{valdrix.NewMonth(2024, 9)}, res.Periods)
		})
	}
}
