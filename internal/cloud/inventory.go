package cloud

import (
	"context"
	"time"
)

// Inventory discovers the resources of a connection.
type Inventory interface {
	// Discover streams the connection's resources to sink in batches and
	// returns a report per (region, service). One region or service failing
	// gives partial results and a failed item, not an error: err is non-nil
	// only when nothing could be scanned (for example the role cannot be
	// assumed), and then the report says why as well. The adapter calls sink
	// from one goroutine at a time; a sink error stops the scan and is
	// returned.
	Discover(ctx context.Context, conn Connection, opts DiscoverOpts, sink Sink) (DiscoveryReport, error)
}

// Sink receives discovered resources. The batch is owned by the callee only
// for the duration of the call.
type Sink func(ctx context.Context, batch []Resource) error

// DiscoverOpts narrows a discovery.
type DiscoverOpts struct {
	// Regions limits the scan to these regions (intersected with the
	// connection's regions); empty means all of the connection's regions.
	Regions []string
	// Services limits the scan to these services ("ec2", "rds", …); empty
	// means all.
	Services []string
}

// ScanStatus is the outcome of one (region, service) part of a scan.
type ScanStatus string

// Scan statuses.
const (
	ScanOK      ScanStatus = "ok"
	ScanFailed  ScanStatus = "failed"
	ScanTimeout ScanStatus = "timeout"
)

// DiscoveryReport says what a discovery covered. A partial scan is never
// presented as complete: Complete is true only when every item is ok.
type DiscoveryReport struct {
	StartedAt  time.Time
	FinishedAt time.Time
	// Method is how resources were found: "resource-explorer" or "describe".
	Method    string
	Complete  bool
	Resources int // resources sent to the sink
	Items     []DiscoveryItem
}

// DiscoveryItem is the outcome for one (region, service).
type DiscoveryItem struct {
	Region    string // "global" for global services
	Service   string // "ec2", "elbv2", "rds", "s3", …
	Status    ScanStatus
	Resources int
	// Code is the valdrix error code when Status is not ok.
	Code string
	// Message is a user-safe description of the failure.
	Message string
	// MissingPermission names the denied IAM action ("ec2:DescribeVolumes")
	// when the failure is an access denial.
	MissingPermission string
	Duration          time.Duration
}

// Failed returns the items whose status is not ok.
func (r DiscoveryReport) Failed() []DiscoveryItem {
	var out []DiscoveryItem
	for _, it := range r.Items {
		if it.Status != ScanOK {
			out = append(out, it)
		}
	}
	return out
}

// Finish sets Complete from the items (true only when there is at least one
// item and all are ok) and totals Resources.
func (r *DiscoveryReport) Finish(at time.Time) {
	r.FinishedAt = at
	r.Complete = len(r.Items) > 0
	r.Resources = 0
	for _, it := range r.Items {
		r.Resources += it.Resources
		if it.Status != ScanOK {
			r.Complete = false
		}
	}
}
