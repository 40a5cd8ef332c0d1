package cloud

import (
	"context"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Metrics reads monitoring metrics (CloudWatch, Azure Monitor, Cloud
// Monitoring) in batches. Every query gets exactly one result, in query
// order. Missing data is never zero: a query the adapter could not answer is
// MetricUnknown with a reason.
type Metrics interface {
	QueryMetrics(ctx context.Context, conn Connection, queries []MetricQuery) ([]MetricResult, error)
}

// MetricQuery asks for one statistic of one metric of one resource.
type MetricQuery struct {
	ID         string // caller's id, echoed in the result
	Region     string
	Namespace  string // "AWS/EC2", "AWS/RDS", "AWS/NATGateway", …
	Metric     string // "CPUUtilization", "DatabaseConnections", …
	Dimensions []Dimension
	Stat       string // "Average", "Sum", "Maximum", "Minimum", "SampleCount", "p95"
	Period     time.Duration
	Start, End time.Time
}

// Dimension is a metric dimension.
type Dimension struct{ Name, Value string }

// MetricStatus says whether a metric result has a value.
type MetricStatus string

// Metric statuses.
const (
	MetricOK      MetricStatus = "ok"
	MetricUnknown MetricStatus = "unknown"
)

// UnknownReason says why a metric result is unknown.
type UnknownReason string

// Unknown reasons.
const (
	ReasonNoData     UnknownReason = "no_data"     // the provider returned no datapoints
	ReasonThrottled  UnknownReason = "throttled"   // retries were exhausted
	ReasonDenied     UnknownReason = "denied"      // the role may not read metrics
	ReasonOverBudget UnknownReason = "over_budget" // the tenant's daily call budget is spent
	ReasonFailed     UnknownReason = "failed"      // any other error
)

// MetricResult is a value (at least one point) or unknown with a reason.
type MetricResult struct {
	ID     string
	Status MetricStatus
	Reason UnknownReason // set when Status is unknown
	// Message is a user-safe detail for an unknown result.
	Message string
	Points  []MetricPoint // oldest first; non-empty when Status is ok
}

// MetricPoint is one datapoint. Metric values are measurements, not money.
type MetricPoint struct {
	Time  time.Time
	Value float64
}

// Unknown returns an unknown result.
func Unknown(id string, reason UnknownReason, msg string) MetricResult {
	return MetricResult{ID: id, Status: MetricUnknown, Reason: reason, Message: msg}
}

// Budget rations metric API calls per tenant and day. Reserve grants up to n
// calls and returns how many were granted (0 when the day's budget is spent).
type Budget interface {
	Reserve(ctx context.Context, tenant valdrix.TenantID, api string, n int) (int, error)
}
