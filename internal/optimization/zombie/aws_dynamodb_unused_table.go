package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var dynamoRequests = UsageTypeHas("ReadRequestUnits", "WriteRequestUnits")

func awsUnusedDynamoDBTable() *Rule {
	return &Rule{
		ID: "aws.dynamodb.unused_table", Code: "A24", Version: 1,
		Title:       "DynamoDB table nobody reads or writes",
		Description: "A table with no consumed read or write capacity for months holds stale data; provisioned tables also bill their unused capacity every hour. On-demand request units in the ledger decide without a metric call.",
		Signal:      "no ReadRequestUnits/WriteRequestUnits lines and ConsumedReadCapacityUnits + ConsumedWriteCapacityUnits sum to 0 over window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.dynamodb.table"}, Data: DataBilling | DataMetrics | DataInventory,
		Thresholds: []Threshold{
			windowDays("window_days", 90, "days without reads or writes", "thrifty dynamodb_table_stale_data_max_days (90)"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Back the table up (on-demand backup), then delete it; or switch a provisioned table to on-demand."},
		SavingsMethod: savingsAll,
		Confidence:    0.8,
		Queries: func(s *Subject) []MetricSpec {
			if s.Usage.Has(dynamoRequests) {
				return nil
			}
			d, dims := pdays(s, "window_days"), awsDim("TableName", s.Resource.Name)
			return []MetricSpec{
				{Key: "reads", Namespace: "AWS/DynamoDB", Metric: "ConsumedReadCapacityUnits", Dimensions: dims, Stat: "Sum", Days: d},
				{Key: "writes", Namespace: "AWS/DynamoDB", Metric: "ConsumedWriteCapacityUnits", Dimensions: dims, Stat: "Sum", Days: d},
			}
		},
		Evaluate: func(s *Subject) Verdict {
			if s.Usage.Has(dynamoRequests) {
				return OK("billed for request units in the window")
			}
			ws, v := s.Windows(pdays(s, "window_days"), "reads", "writes")
			if v != nil {
				return *v
			}
			if r, w := ws[0].Sum(), ws[1].Sum(); r+w > 0 {
				return OK(fmt.Sprintf("%.0f read and %.0f write units consumed", r, w))
			}
			return Waste(fmt.Sprintf("no reads or writes for %d days", pdays(s, "window_days")), deleteSavings(s))
		},
	}
}
