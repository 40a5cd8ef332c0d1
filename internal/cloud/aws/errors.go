package aws

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// permissionError records the IAM action a call was denied.
type permissionError struct {
	action string
	err    error
}

func (e *permissionError) Error() string {
	return "missing permission " + e.action + ": " + e.err.Error()
}
func (e *permissionError) Unwrap() error { return e.err }

// MissingPermission returns the denied IAM action recorded in err, or "".
func MissingPermission(err error) string {
	var pe *permissionError
	if errors.As(err, &pe) {
		return pe.action
	}
	return ""
}

var deniedActionRE = regexp.MustCompile(`perform: ([a-z0-9-]+:[A-Za-z0-9]+)`)

// translate maps an SDK error to a valdrix error at the edge. action is the
// IAM action the call needs; what says what was being done, for messages.
func translate(err error, action, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "timed out trying to %s", what)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		switch {
		case isThrottle(code):
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "AWS throttled the calls to %s and retries were exhausted (%s)", what, code)
		case isDenied(code):
			missing := action
			if m := deniedActionRE.FindStringSubmatch(ae.ErrorMessage()); m != nil {
				missing = m[1]
			}
			return valdrix.Wrap(valdrix.EFORBIDDEN, &permissionError{missing, err},
				"the role may not %s: grant %s to the Valdrix role", what, missing)
		case code == "ExpiredToken" || code == "ExpiredTokenException" || code == "InvalidClientTokenId" ||
			code == "UnrecognizedClientException" || code == "AuthFailure" || code == "InvalidAccessKeyId":
			return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "AWS rejected the credentials while trying to %s (%s)", what, code)
		case strings.Contains(code, "NotFound") || code == "NoSuchBucket" || code == "NoSuchKey":
			return valdrix.Wrap(valdrix.ENOTFOUND, err, "not found while trying to %s (%s)", what, code)
		case strings.HasPrefix(code, "Validation") || strings.HasPrefix(code, "InvalidParameter") || code == "InvalidArgument":
			return valdrix.Wrap(valdrix.EINVALID, err, "AWS refused the request to %s (%s)", what, code)
		case code == "ServiceUnavailable" || code == "InternalFailure" || code == "InternalError" || code == "Unavailable":
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "AWS is unavailable: could not %s", what)
		}
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "AWS returned an error while trying to %s (%s)", what, code)
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "AWS returned a malformed response while trying to %s", what)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection refused") {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "could not reach AWS to %s", what)
	}
	if valdrix.ErrorCode(err) != valdrix.EINTERNAL {
		return err
	}
	return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "could not %s", what)
}

func isThrottle(code string) bool {
	switch code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "RequestLimitExceeded", "SlowDown", "RequestThrottled", "EC2ThrottledException",
		"LimitExceededException", "BandwidthLimitExceeded":
		return true
	}
	return false
}

func isDenied(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "AuthorizationError",
		"Forbidden", "AuthorizationErrorException":
		return true
	}
	return false
}
