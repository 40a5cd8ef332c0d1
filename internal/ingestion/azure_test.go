package ingestion_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

// azureMCA is the camelCase MCA layout with ISO dates and braced tags.
const azureMCA = `invoiceSectionName,billingAccountId,billingAccountName,subscriptionId,subscriptionName,resourceGroupName,resourceLocation,date,meterCategory,meterSubCategory,meterId,meterName,unitOfMeasure,quantity,costInBillingCurrency,paygCostInBillingCurrency,billingCurrency,resourceId,tags,additionalInfo,chargeType,frequency,pricingModel,benefitId,billingPeriodStartDate
sec,ba-1,Contoso,sub-1,Sub One,rg-a,eastus,2024-10-05,Virtual Machines,Dv5,m-9,D4s v5,1 Hour,24,2.4,4.6,EUR,/subscriptions/sub-1/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/vm-9,"{""team"":""data""}","{""VCPUs"":4,""ServiceType"":""Standard_D4s_v5""}",Usage,UsageBased,SavingsPlan,sp-1,2024-10-01
sec,ba-1,Contoso,sub-1,Sub One,,,2024-10-05,Virtual Machines,,,,,1,3.1,,EUR,,,,UnusedSavingsPlan,UsageBased,SavingsPlan,sp-1,2024-10-01
`

// azureV1 is the legacy usage layout (PreTaxCost, UsageDateTime, …).
const azureV1 = `SubscriptionGuid,SubscriptionName,ResourceGroup,ResourceLocation,UsageDateTime,MeterCategory,MeterSubcategory,MeterId,MeterName,MeterRegion,UsageQuantity,ResourceRate,PreTaxCost,ConsumedService,ResourceType,InstanceId,Tags,OfferId,AdditionalInfo,ServiceInfo1,ServiceInfo2,Currency
sub-v1,Legacy,rg-old,West US 2,2019-08-01T00:00:00.0000000,Storage,Tables,m-3,LRS Data Stored,US West 2,10,0.045,0.45,Microsoft.Storage,Microsoft.Storage/storageAccounts,/subscriptions/sub-v1/resourceGroups/rg-old/providers/Microsoft.Storage/storageAccounts/acct1,"{""owner"":""ops""}",MS-AZR-0003P,,,,USD
`

func TestReadAzure(t *testing.T) {
	t.Parallel()
	ea, err := os.ReadFile("testdata/azure_ea.csv")
	require.NoError(t, err)
	t.Run("ea with BOM, MM/DD/YYYY and braceless tags", func(t *testing.T) {
		t.Parallel()
		res := mustRead(t, "ActualCost/part_0.csv", ea, ingestion.FormatAuto)
		require.Equal(t, ingestion.FormatAzure, res.Format)
		require.Contains(t, res.FormatReason, "Azure")
		require.Equal(t, []rowView{
			{Day: "2024-09-01", Category: "Purchase", Billed: "700", Effective: "0", List: "0", Lines: 1, Missing: ingestion.MissingListCost | ingestion.MissingContractedCost | ingestion.MissingVCPUs},
			{Day: "2024-09-02", Resource: "/subscriptions/e18e1552-c6dd-45d1-973c-000000000001/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-1",
				Category: "Usage", Pricing: "Standard", Billed: "2.304", Effective: "2.304", List: "2.88", Lines: 2},
			{Day: "2024-09-03", Resource: "/subscriptions/e18e1552-c6dd-45d1-973c-000000000001/resourceGroups/rg-data/providers/Microsoft.Compute/disks/disk-1",
				Category: "Usage", Pricing: "Standard", Billed: "0.16", Effective: "0.16", List: "0", Lines: 1, Missing: ingestion.MissingListCost | ingestion.MissingVCPUs},
			{Day: "2024-09-04", Category: "Credit", Class: "Correction", Billed: "-50", Effective: "-50", List: "0", Lines: 1, Missing: ingestion.MissingListCost | ingestion.MissingContractedCost | ingestion.MissingVCPUs},
		}, view(res.Rows))
		vm := res.Rows[1]
		require.Equal(t, `{"env":"prod","team":"web"}`, vm.Tags, "both tag orders are one key")
		require.Equal(t, "eastus", vm.RegionID)
		require.Equal(t, "Virtual Machines", vm.ServiceName)
		require.Equal(t, "Compute", vm.ServiceCategory)
		require.Equal(t, "Standard_D2s_v3", vm.InstanceType)
		require.Equal(t, dec(t, "2"), vm.VCPUs)
		require.Equal(t, "microsoft.compute/virtualmachines", vm.ResourceType)
		require.Equal(t, dec(t, "2.304"), vm.ContractedCost)
		require.Equal(t, `{"x_PricingModel":"OnDemand","x_ResourceGroupName":"rg-web","x_SkuMeterCategory":"Virtual Machines","x_SkuMeterName":"D2s v3","x_SkuMeterSubcategory":"Dv3/DSv3 Series"}`, vm.Extensions)
		require.Equal(t, "12345678", vm.BillingAccountID)
		require.Equal(t, "Reservation", res.Rows[0].CommitmentDiscountType)
		require.Equal(t, "res-1", res.Rows[0].CommitmentDiscountID)
		require.Equal(t, "Storage", res.Rows[2].ServiceCategory)
		require.Equal(t, "westeurope", res.Rows[2].RegionID)
	})
	t.Run("amortized dataset by name", func(t *testing.T) {
		t.Parallel()
		res := mustRead(t, "AmortizedCost/part_0.csv", ea, ingestion.FormatAzure)
		require.Equal(t, "700", res.Rows[0].EffectiveCost.String(), "amortized files keep the cost as effective cost")
	})
	t.Run("mca camelCase and savings plan", func(t *testing.T) {
		t.Parallel()
		res := mustRead(t, "mca.csv", []byte(azureMCA), ingestion.FormatAuto)
		require.Equal(t, ingestion.FormatAzure, res.Format)
		require.Len(t, res.Rows, 2)
		used, unused := res.Rows[1], res.Rows[0]
		if used.CommitmentDiscountStatus == "Unused" {
			used, unused = unused, used
		}
		require.Equal(t, "EUR", used.BillingCurrency)
		require.Equal(t, "Used", used.CommitmentDiscountStatus)
		require.Equal(t, "Savings Plan", used.CommitmentDiscountType)
		require.Equal(t, "Committed", used.PricingCategory)
		require.Equal(t, dec(t, "4.6"), used.ListCost)
		require.Equal(t, `{"team":"data"}`, used.Tags)
		require.Equal(t, dec(t, "4"), used.VCPUs)
		require.Equal(t, "Unused", unused.CommitmentDiscountStatus)
		require.Equal(t, "sp-1", unused.ResourceID, "unused hours billed to no resource belong to the commitment")
		require.Equal(t, "ba-1", used.BillingAccountID)
	})
	t.Run("legacy v1 layout", func(t *testing.T) {
		t.Parallel()
		res := mustRead(t, "usage.csv", []byte(azureV1), ingestion.FormatAuto)
		require.Equal(t, ingestion.FormatAzure, res.Format)
		require.Contains(t, res.FormatReason, "v1")
		require.Len(t, res.Rows, 1)
		r := res.Rows[0]
		require.Equal(t, "2019-08-01", r.ChargeDay.String())
		require.Equal(t, "sub-v1", r.SubAccountID)
		require.Equal(t, "westus2", r.RegionID)
		require.Equal(t, dec(t, "0.45"), r.BilledCost)
		require.Equal(t, dec(t, "10"), r.ConsumedQuantity)
		require.Equal(t, `{"owner":"ops"}`, r.Tags)
		require.False(t, r.Missing.Has(ingestion.MissingListCost), "v1 has no list price")
	})
	t.Run("parquet export", func(t *testing.T) {
		t.Parallel()
		header, rows := readCSVTable(t, azureMCA)
		res := mustRead(t, "part_0.parquet", parquetStrings(t, header, rows, 1), ingestion.FormatAuto)
		require.Equal(t, ingestion.FormatAzure, res.Format)
		require.Len(t, res.Rows, 2)
		require.Equal(t, dec(t, "5.5"), res.Totals[0].BilledCost)
	})
}
