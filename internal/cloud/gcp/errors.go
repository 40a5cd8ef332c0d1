package gcp

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"

	"cloud.google.com/go/auth"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var deniedPermissionRE = regexp.MustCompile(`Permission '([a-zA-Z0-9_.]+)' denied`)

// disabledError marks an API that is not enabled in a project (Google
// answers SERVICE_DISABLED), which the inventory treats like a missing
// Resource Explorer: it lists with the other APIs.
type disabledError struct{ err error }

func (e *disabledError) Error() string { return e.err.Error() }
func (e *disabledError) Unwrap() error { return e.err }

func isDisabled(err error) bool {
	var d *disabledError
	return errors.As(err, &d)
}

// translate maps a Google client error to a valdrix error at the edge.
// permission is the IAM permission the call needs (named when Google does
// not name it); what says what was being done, for messages.
func translate(err error, permission, what string) error {
	if err == nil {
		return nil
	}
	if cerr := cloud.ContextError(err, what); cerr != nil {
		return cerr
	}
	var ae *auth.Error
	if errors.As(err, &ae) {
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		_ = json.Unmarshal(ae.Body, &body)
		if ae.Response != nil && (ae.Response.StatusCode == http.StatusTooManyRequests || ae.Response.StatusCode >= 500) {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Google's token service is unavailable or throttling: could not %s", what)
		}
		if body.Error != "" {
			return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Google refused the credential (%s: %s): could not %s", body.Error, body.Description, what)
		}
		return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Google refused the credential: could not %s", what)
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		reason := ""
		if len(ge.Errors) > 0 {
			reason = ge.Errors[0].Reason
		}
		var info *apierror.APIError
		meta := map[string]string{}
		if errors.As(err, &info) {
			if r := info.Reason(); r != "" {
				reason = r
			}
			meta = info.Metadata()
		}
		switch {
		case ge.Code == http.StatusTooManyRequests || reason == "rateLimitExceeded" || reason == "RATE_LIMIT_EXCEEDED":
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Google throttled the calls to %s and retries were exhausted", what)
		case reason == "SERVICE_DISABLED" || reason == "accessNotConfigured":
			return valdrix.Wrap(valdrix.EFORBIDDEN, &disabledError{err}, "the API needed to %s is not enabled in the project (%s): enable it in APIs & Services", what, meta["service"])
		case ge.Code == http.StatusForbidden:
			missing := permission
			if m := meta["permission"]; m != "" {
				missing = m
			} else if m := deniedPermissionRE.FindStringSubmatch(ge.Message); m != nil {
				missing = m[1]
			}
			return valdrix.Wrap(valdrix.EFORBIDDEN, &cloud.PermissionError{Permission: missing, Err: err},
				"the credential may not %s: grant %s (in a role such as the ones docs/cloud-gcp.md lists)", what, missing)
		case ge.Code == http.StatusUnauthorized:
			return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Google rejected the access token while trying to %s", what)
		case ge.Code == http.StatusNotFound:
			return valdrix.Wrap(valdrix.ENOTFOUND, err, "not found while trying to %s", what)
		case ge.Code == http.StatusBadRequest:
			return valdrix.Wrap(valdrix.EINVALID, err, "Google refused the request to %s (%s)", what, reason)
		}
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Google is unavailable: could not %s (HTTP %d)", what, ge.Code)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection refused") {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "could not reach Google to %s", what)
	}
	if valdrix.ErrorCode(err) != valdrix.EINTERNAL {
		return err
	}
	return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Google returned an unexpected or malformed answer while trying to %s", what)
}
