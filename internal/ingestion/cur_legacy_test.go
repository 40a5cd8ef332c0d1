package ingestion_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

const legacyCUR = `identity/LineItemId,bill/PayerAccountId,bill/BillingPeriodStartDate,lineItem/UsageAccountId,lineItem/LineItemType,lineItem/UsageStartDate,lineItem/ProductCode,lineItem/UsageType,lineItem/Operation,lineItem/ResourceId,lineItem/UsageAmount,lineItem/CurrencyCode,lineItem/UnblendedCost,pricing/publicOnDemandCost,pricing/term,pricing/unit,product/ProductName,product/region,product/instanceType,product/vcpu,reservation/ReservationARN,reservation/EffectiveCost,reservation/UnusedAmortizedUpfrontFeeForBillingPeriod,reservation/UnusedRecurringFee,resourceTags/user:team,resourceTags/aws:createdBy
a1,111111111111,2024-09-01T00:00:00Z,222222222222,Usage,2024-09-03T10:00:00Z,AmazonEC2,USE1-BoxUsage:t3.micro,RunInstances,i-01,1,USD,0.0104,0.0104,OnDemand,Hrs,Amazon Elastic Compute Cloud,us-east-1,t3.micro,2,,,,,core,
a2,111111111111,2024-09-01T00:00:00Z,222222222222,Usage,2024-09-03T11:00:00Z,AmazonEC2,USE1-BoxUsage:t3.micro,RunInstances,i-01,1,USD,0.0104,0.0104,OnDemand,Hrs,Amazon Elastic Compute Cloud,us-east-1,t3.micro,2,,,,,core,
a3,111111111111,2024-09-01T00:00:00Z,222222222222,DiscountedUsage,2024-09-03T10:00:00Z,AmazonEC2,USE1-BoxUsage:m5.large,RunInstances,i-02,1,USD,0,0.096,Reserved,Hrs,Amazon Elastic Compute Cloud,us-east-1,m5.large,2,arn:aws:ec2:us-east-1:111111111111:reserved-instances/r1,0.06,,,web,alice
a4,111111111111,2024-09-01T00:00:00Z,111111111111,RIFee,2024-09-01T00:00:00Z,AmazonEC2,HeavyUsage:m5.large,RunInstances,,720,USD,43.2,,Reserved,Hrs,Amazon Elastic Compute Cloud,us-east-1,m5.large,2,arn:aws:ec2:us-east-1:111111111111:reserved-instances/r1,,3.5,1.25,,
`

func TestReadLegacyCUR(t *testing.T) {
	t.Parallel()
	header, rows := readCSVTable(t, legacyCUR)
	// The Athena/Parquet flavour of the same report: snake_case names.
	athena := map[string]string{"identity/LineItemId": "identity_line_item_id", "resourceTags/user:team": "resource_tags_user_team", "resourceTags/aws:createdBy": "resource_tags_aws_created_by"}
	snake := make([]string, len(header))
	for i, h := range header {
		if v, ok := athena[h]; ok {
			snake[i] = v
			continue
		}
		snake[i] = toSnake(h)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{name: "csv", data: []byte(legacyCUR)},
		{name: "gzip csv", data: gz(t, []byte(legacyCUR))},
		{name: "parquet", data: parquetStrings(t, snake, rows, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustRead(t, "report-1.csv.gz", tt.data, ingestion.FormatAuto)
			require.Equal(t, ingestion.FormatCUR, res.Format)
			require.Equal(t, []rowView{
				{Day: "2024-09-01", Resource: "", Category: "Purchase", Commitment: "Unused", Billed: "43.2", Effective: "4.75", List: "0", Lines: 1, Missing: ingestion.MissingListCost},
				{Day: "2024-09-03", Resource: "i-01", Category: "Usage", Pricing: "Standard", Billed: "0.0208", Effective: "0.0208", List: "0.0208", Lines: 2},
				{Day: "2024-09-03", Resource: "i-02", Category: "Usage", Pricing: "Committed", Commitment: "Used", Billed: "0", Effective: "0.06", List: "0.096", Lines: 1},
			}, view(res.Rows))
			require.Equal(t, `{"user:team":"core"}`, res.Rows[1].Tags)
			require.Equal(t, `{"aws:createdBy":"alice","user:team":"web"}`, normaliseAthenaTags(tt.name, res.Rows[2].Tags))
			require.Equal(t, "t3.micro", res.Rows[1].InstanceType)
			require.Equal(t, dec(t, "2"), res.Rows[1].VCPUs)
			require.Equal(t, "Reservation", res.Rows[2].CommitmentDiscountType)
		})
	}
}

// normaliseAthenaTags maps the Athena flavour's lower-cased tag key back:
// resource_tags_aws_created_by can only give "aws:created_by".
func normaliseAthenaTags(name, tags string) string {
	if name == "parquet" {
		return strings.ReplaceAll(tags, "aws:created_by", "aws:createdBy")
	}
	return tags
}

// toSnake turns "lineItem/UsageStartDate" into "line_item_usage_start_date".
func toSnake(h string) string {
	var out []byte
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '/':
			out = append(out, '_')
		case c >= 'A' && c <= 'Z':
			if len(out) > 0 && out[len(out)-1] != '_' {
				out = append(out, '_')
			}
			out = append(out, c+'a'-'A')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
