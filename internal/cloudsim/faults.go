package cloudsim

import (
	"sync"
)

// FaultKind is a kind of injected failure.
type FaultKind string

// Fault kinds.
const (
	// FaultThrottle answers with the protocol's throttling error (EC2
	// RequestLimitExceeded, awsQuery Throttling, JSON ThrottlingException,
	// Lambda TooManyRequestsException, S3 SlowDown), which the SDK's
	// retryer retries.
	FaultThrottle FaultKind = "throttle"
	// FaultDeny answers access denied, naming the missing IAM action.
	FaultDeny FaultKind = "deny"
	// FaultTimeout holds the request until the client gives up (or the
	// simulator closes).
	FaultTimeout FaultKind = "timeout"
	// FaultDown answers 503 Service Unavailable, as a region that is down.
	FaultDown FaultKind = "down"
	// FaultRefuse closes the connection without an answer, as a refused or
	// reset connection.
	FaultRefuse FaultKind = "refuse"
	// FaultMalformed answers 200 with a body that is not the protocol's
	// format (a malformed page).
	FaultMalformed FaultKind = "malformed"
)

// Fault is one injected failure. Empty matchers match anything.
type Fault struct {
	Kind      FaultKind
	Service   string // SigV4 signing name: "ec2", "elasticloadbalancing", "rds", "s3", "sts", "monitoring", …
	Region    string
	Operation string // "DescribeVolumes", "ListResources", "GetObject", …
	Account   string // AWS account id of the caller's session
	// Times limits the fault to the next Times matching requests; 0 means
	// every request until removed.
	Times int
}

// Faults is the simulator's fault injector; safe for concurrent use.
type Faults struct {
	mu     sync.Mutex
	next   int
	faults map[int]*faultState
}

type faultState struct {
	Fault
	left int
	hits int
}

func newFaults() *Faults { return &Faults{faults: map[int]*faultState{}} }

// Add injects f and returns its id.
func (f *Faults) Add(fault Fault) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	f.faults[f.next] = &faultState{Fault: fault, left: fault.Times}
	return f.next
}

// Remove removes fault id.
func (f *Faults) Remove(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.faults, id)
}

// Clear removes every fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.faults)
}

// Hits returns how many requests fault id has failed.
func (f *Faults) Hits(id int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.faults[id]; ok {
		return st.hits
	}
	return 0
}

// match returns the fault to apply to a request, if any, and counts it.
func (f *Faults) match(service, region, op, account string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	best := 0
	for id, st := range f.faults {
		if (st.Service == "" || st.Service == service) && (st.Region == "" || st.Region == region) &&
			(st.Operation == "" || st.Operation == op) && (st.Account == "" || st.Account == account) &&
			(st.Times == 0 || st.left > 0) && (best == 0 || id < best) {
			best = id
		}
	}
	if best == 0 {
		return Fault{}, false
	}
	st := f.faults[best]
	st.hits++
	if st.Times > 0 {
		st.left--
	}
	return st.Fault, true
}
