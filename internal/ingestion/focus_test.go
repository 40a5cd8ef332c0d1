package ingestion_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

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
		{name: "typed parquet", data: parquetTyped(t, header, rows, map[string]arrow.DataType{
			"BilledCost":         &arrow.Decimal128Type{Precision: 20, Scale: 6},
			"EffectiveCost":      arrow.PrimitiveTypes.Float64,
			"ListCost":           &arrow.Decimal128Type{Precision: 12, Scale: 2},
			"ChargePeriodStart":  &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"},
			"ChargePeriodEnd":    &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
			"BillingPeriodStart": arrow.FixedWidthTypes.Date32,
			"Tags":               arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String),
		})},
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

// parquetTyped writes the table with some columns typed as a writer would
// type them (decimals, doubles, timestamps, dates, a map); the rest are
// strings. Empty cells of typed columns are null.
func parquetTyped(t *testing.T, header []string, rows [][]string, types map[string]arrow.DataType) []byte {
	t.Helper()
	fields := make([]arrow.Field, len(header))
	for i, h := range header {
		typ, ok := types[h]
		if !ok {
			typ = arrow.BinaryTypes.String
		}
		fields[i] = arrow.Field{Name: h, Type: typ, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	for _, r := range rows {
		for c := range header {
			v := r[c]
			fb := bld.Field(c)
			if _, typed := types[header[c]]; typed && v == "" {
				fb.AppendNull()
				continue
			}
			switch b := fb.(type) {
			case *array.StringBuilder:
				b.Append(v)
			case *array.Float64Builder:
				f, err := strconv.ParseFloat(v, 64)
				require.NoError(t, err)
				b.Append(f)
			case *array.Decimal128Builder:
				dt := b.Type().(*arrow.Decimal128Type)
				n, err := decimal128.FromString(v, dt.Precision, dt.Scale)
				require.NoError(t, err)
				b.Append(n)
			case *array.TimestampBuilder:
				ts, err := time.Parse(time.RFC3339, v)
				require.NoError(t, err)
				x, err := arrow.TimestampFromTime(ts, b.Type().(*arrow.TimestampType).Unit)
				require.NoError(t, err)
				b.Append(x)
			case *array.Date32Builder:
				ts, err := time.Parse(time.RFC3339, v)
				require.NoError(t, err)
				b.Append(arrow.Date32FromTime(ts))
			case *array.MapBuilder:
				var m map[string]string
				require.NoError(t, json.Unmarshal([]byte(v), &m))
				b.Append(true)
				for k, val := range m {
					b.KeyBuilder().(*array.StringBuilder).Append(k)
					b.ItemBuilder().(*array.StringBuilder).Append(val)
				}
			default:
				t.Fatalf("no builder for %T", fb)
			}
		}
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(2)), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, fw.Write(rec))
	require.NoError(t, fw.Close())
	return buf.Bytes()
}
