package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var lambdaActivity = UsageTypeHas("Request", "Lambda-GB-Second")

func awsIdleLambda() *Rule {
	return &Rule{
		ID: "aws.lambda.idle_function", Code: "A23", Version: 1,
		Title:       "Lambda function never invoked",
		Description: "A function with no invocation for a month is dead code; it costs little (code storage, provisioned concurrency if any) but clutters the account. Billed requests decide without a metric call.",
		Signal:      "no Request or GB-second lines in the last window_days days and Invocations sums to 0 on every day",
		Provider:    valdrix.AWS, Types: []string{"aws.lambda.function"}, Data: DataBilling | DataMetrics | DataInventory,
		Thresholds: []Threshold{
			windowDays("window_days", 30, "days without invocations", "Valdrix Python defaults (30 d for Lambda invocations); Flexera idle_lambda_functions"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the function (keep its code in source control)."},
		SavingsMethod: savingsAll + "; a function without invocations usually costs nothing but its code storage",
		Confidence:    0.8,
		Queries: func(s *Subject) []MetricSpec {
			if from, v := billedWindow(s, pdays(s, "window_days")); v == nil && s.Usage.Since(from).Has(lambdaActivity) {
				return nil // billing already shows invocations
			}
			return []MetricSpec{{Key: "invocations", Namespace: "AWS/Lambda", Metric: "Invocations",
				Dimensions: awsDim("FunctionName", s.Resource.Name), Stat: "Sum", Days: pdays(s, "window_days")}}
		},
		Evaluate: func(s *Subject) Verdict {
			n := pdays(s, "window_days")
			if from, v := billedWindow(s, n); v == nil && s.Usage.Since(from).Has(lambdaActivity) {
				return OK("billed for requests in the window")
			}
			ws, v := s.Windows(1, "invocations")
			if v != nil {
				if v.Reason == "metrics_no_data" {
					// Lambda publishes Invocations only when invoked: no
					// datapoints over the window is no invocation, provided
					// the function is older than the window.
					age, ok := s.AgeDays()
					if t, has := attrTime(s, "last_modified"); !ok && has {
						age, ok = s.DaysSince(t), true // unchanged since: at least that old
					}
					if ok && age >= float64(n) {
						return Waste(fmt.Sprintf("no invocations for %d days", n), lambdaSavings(s))
					}
					return Unknown(ReasonShortHistory, "no invocation datapoints and the function's age is unknown or shorter than the window")
				}
				return *v
			}
			if sum := ws[0].Sum(); sum > 0 {
				return OK(fmt.Sprintf("%.0f invocations", sum))
			}
			return Waste(fmt.Sprintf("no invocations for %d days", n), lambdaSavings(s))
		},
	}
}

func lambdaSavings(s *Subject) Money {
	if s.Usage.Empty() && s.Usage.Covered {
		return Free(s.Usage.Currency(), "ledger: no charges for the function in the window")
	}
	return deleteSavings(s)
}
