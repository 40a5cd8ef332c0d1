package cloud

import "context"

// Tester checks that a connection works: each permission Valdrix needs is
// tried and reported on its own, with what is missing and how to grant it.
type Tester interface {
	Test(ctx context.Context, conn Connection) (TestReport, error)
}

// CheckStatus is the outcome of one connection check.
type CheckStatus string

// Check statuses.
const (
	CheckOK      CheckStatus = "ok"
	CheckFailed  CheckStatus = "failed"
	CheckSkipped CheckStatus = "skipped" // not tried because an earlier check failed or it is not configured
)

// TestReport is the result of testing a connection.
type TestReport struct {
	OK     bool // every check that was tried passed and none was skipped for a failure
	Checks []Check
}

// Check is one permission test.
type Check struct {
	Name              string // "assume_role", "resource_search", "read_export"
	Status            CheckStatus
	Code              string // valdrix error code when failed
	Message           string // user-safe
	MissingPermission string // the denied action, e.g. "resource-explorer-2:ListResources"
	Remedy            string // how to grant it
}

// Finish sets OK from the checks: true when none failed.
func (r *TestReport) Finish() {
	r.OK = len(r.Checks) > 0
	for _, c := range r.Checks {
		if c.Status == CheckFailed {
			r.OK = false
		}
	}
}
