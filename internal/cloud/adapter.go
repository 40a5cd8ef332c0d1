package cloud

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Helpers the adapters share: batching resources for a Sink, building
// report items and checks, recording the permission a call was denied,
// unknown metric results, rate limiters and the start of error
// translation.

// Emitter batches discovered resources for a Sink. It is safe for
// concurrent use and calls the sink from one goroutine at a time. A sink
// error is kept, cancels the scan (through the cancel function) and is
// returned by every later call.
type Emitter struct {
	sink   Sink
	size   int
	cancel context.CancelFunc

	mu  sync.Mutex
	buf []Resource
	err error
}

// NewEmitter returns an emitter sending batches of size resources to sink;
// cancel is called when the sink fails.
func NewEmitter(sink Sink, size int, cancel context.CancelFunc) *Emitter {
	return &Emitter{sink: sink, size: max(size, 1), cancel: cancel}
}

// Emit adds r to the batch, sending the batch when it is full.
func (e *Emitter) Emit(ctx context.Context, r Resource) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	e.buf = append(e.buf, r)
	if len(e.buf) >= e.size {
		return e.flushLocked(ctx)
	}
	return nil
}

// Flush sends what is buffered.
func (e *Emitter) Flush(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.flushLocked(ctx)
}

func (e *Emitter) flushLocked(ctx context.Context) error {
	if len(e.buf) == 0 || e.err != nil {
		return e.err
	}
	if err := e.sink(ctx, e.buf); err != nil {
		e.err = &SinkError{Err: err}
		if e.cancel != nil {
			e.cancel()
		}
		return e.err
	}
	e.buf = e.buf[:0]
	return nil
}

// Err returns the sink's error, or nil.
func (e *Emitter) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err == nil {
		return nil
	}
	return e.err.(*SinkError).Err //nolint:errorlint // set above, always a *SinkError
}

// SinkError marks an error returned by the caller's sink, so that a scan
// step that sees it does not record it as a cloud failure.
type SinkError struct{ Err error }

func (e *SinkError) Error() string { return "sink: " + e.Err.Error() }
func (e *SinkError) Unwrap() error { return e.Err }

// PermissionError records the permission (IAM action, Azure action, GCP
// permission) a call was denied.
type PermissionError struct {
	Permission string
	Err        error
}

func (e *PermissionError) Error() string {
	return "missing permission " + e.Permission + ": " + e.Err.Error()
}
func (e *PermissionError) Unwrap() error { return e.Err }

// MissingPermission returns the denied permission recorded in err, or "".
func MissingPermission(err error) string {
	var pe *PermissionError
	if errors.As(err, &pe) {
		return pe.Permission
	}
	return ""
}

// ScanItem builds the report item of one (region, service) scan that found
// n resources in d: ok without an error, a timeout when the scan's
// deadline passed, failed otherwise.
func ScanItem(ctx context.Context, region, service string, n int, err error, d time.Duration) DiscoveryItem {
	it := DiscoveryItem{Region: region, Service: service, Status: ScanOK, Resources: n, Duration: d}
	if err == nil {
		return it
	}
	it.Status, it.Code, it.Message, it.MissingPermission = ScanFailed, valdrix.ErrorCode(err), valdrix.ErrorMessage(err), MissingPermission(err)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		it.Status, it.Code = ScanTimeout, valdrix.EUNAVAILABLE
		it.Message = "the scan timed out before " + service + " in " + region + " was complete"
	}
	return it
}

// ItemSet collects report items from concurrent scans, merging items of
// the same (region, service): a connection with several accounts scans
// each, and one account failing makes the item fail.
type ItemSet struct {
	mu    sync.Mutex
	items []DiscoveryItem
}

// Add merges it into the set.
func (s *ItemSet) Add(it DiscoveryItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.items {
		old := &s.items[i]
		if old.Region != it.Region || old.Service != it.Service {
			continue
		}
		old.Resources += it.Resources
		old.Duration = max(old.Duration, it.Duration)
		if old.Status == ScanOK && it.Status != ScanOK {
			old.Status, old.Code, old.Message, old.MissingPermission = it.Status, it.Code, it.Message, it.MissingPermission
		}
		return
	}
	s.items = append(s.items, it)
}

// Empty adds an ok item with no resources for each service under region
// "global" when the set has no item at all: a scan of an empty estate (or
// of regions without resources) is complete, not unknown.
func (s *ItemSet) Empty(services []string) {
	s.mu.Lock()
	n := len(s.items)
	s.mu.Unlock()
	if n > 0 {
		return
	}
	for _, svc := range services {
		s.Add(DiscoveryItem{Region: "global", Service: svc, Status: ScanOK})
	}
}

// Items returns the items, in the order they were first added.
func (s *ItemSet) Items() []DiscoveryItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DiscoveryItem(nil), s.items...)
}

// UnknownFrom turns a translated error into an unknown metric result with
// the matching reason: denied for forbidden or unauthorized, throttled for
// unavailable, failed otherwise.
func UnknownFrom(id string, err error) MetricResult {
	switch valdrix.ErrorCode(err) {
	case valdrix.EFORBIDDEN, valdrix.EUNAUTHORIZED:
		return Unknown(id, ReasonDenied, valdrix.ErrorMessage(err))
	case valdrix.EUNAVAILABLE:
		return Unknown(id, ReasonThrottled, valdrix.ErrorMessage(err))
	}
	return Unknown(id, ReasonFailed, valdrix.ErrorMessage(err))
}

// UnknownResults answers every query unknown: from err (see UnknownFrom),
// or failed "not queried" when err is nil.
func UnknownResults(queries []MetricQuery, err error) []MetricResult {
	out := make([]MetricResult, len(queries))
	for i, q := range queries {
		if err != nil {
			out[i] = UnknownFrom(q.ID, err)
		} else {
			out[i] = Unknown(q.ID, ReasonFailed, "not queried")
		}
	}
	return out
}

// LookupPeriod returns the period month of src's export for conn, or
// ENOTFOUND.
func LookupPeriod(ctx context.Context, src CostSource, conn Connection, month valdrix.Month) (BillingPeriod, error) {
	periods, err := src.ListBillingPeriods(ctx, conn)
	if err != nil {
		return BillingPeriod{}, err
	}
	return FindPeriod(periods, month)
}

// CheckOf builds a connection check from its outcome: ok without an
// error, else failed with the error's code and message, the denied
// permission (the recorded one, else permission when the error is
// forbidden) and the remedy.
func CheckOf(name string, err error, permission, remedy string) Check {
	c := Check{Name: name, Status: CheckOK}
	if err != nil {
		c.Status, c.Code, c.Message = CheckFailed, valdrix.ErrorCode(err), valdrix.ErrorMessage(err)
		c.MissingPermission = MissingPermission(err)
		if c.MissingPermission == "" && c.Code == valdrix.EFORBIDDEN {
			c.MissingPermission = permission
		}
		c.Remedy = remedy
	}
	return c
}

// FindPeriod returns the period of periods for month, or ENOTFOUND.
func FindPeriod(periods []BillingPeriod, month valdrix.Month) (BillingPeriod, error) {
	for _, bp := range periods {
		if bp.Period == month {
			return bp, nil
		}
	}
	return BillingPeriod{}, valdrix.Errorf(valdrix.ENOTFOUND, "the billing export has no data for %s", month)
}

// Limiters hands out one token bucket per key (connection and API), made
// on first use.
type Limiters struct {
	Limit rate.Limit
	Burst int

	mu sync.Mutex
	m  map[string]*rate.Limiter
}

// Get returns the limiter of key.
func (l *Limiters) Get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*rate.Limiter{}
	}
	lim, ok := l.m[key]
	if !ok {
		lim = rate.NewLimiter(l.Limit, max(l.Burst, 1))
		l.m[key] = lim
	}
	return lim
}

// ContextError returns err unchanged when it is a cancellation or a sink
// error (not the cloud's doing), an unavailable error when a deadline
// passed, and nil otherwise: the adapters' translations start here.
func ContextError(err error, what string) error {
	var se *SinkError
	switch {
	case errors.Is(err, context.Canceled) || errors.As(err, &se):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "timed out trying to %s", what)
	}
	return nil
}
