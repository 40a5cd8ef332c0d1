package azure

import (
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Actions named when a call is denied without the service naming them.
const (
	actionSubscriptionRead = "Microsoft.Resources/subscriptions/read"
	actionGraphRead        = "Microsoft.ResourceGraph/resources/read"
	actionMetricsRead      = "Microsoft.Insights/metrics/read"
	actionBlobRead         = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
)

var (
	deniedActionRE = regexp.MustCompile(`perform action '([^']+)'`)
	aadstsRE       = regexp.MustCompile(`AADSTS(\d+)`)
)

// aadstsMeaning explains the Entra ID sign-in errors a misconfigured
// connection meets.
var aadstsMeaning = map[string]string{
	"7000215": "the client secret is wrong (use the secret's value, not its id)",
	"7000222": "the client secret has expired",
	"700016":  "no app with this client id exists in the tenant",
	"90002":   "the tenant does not exist",
	"900023":  "the tenant id is not valid",
	"70021":   "no federated credential of the app matches the workload's token (issuer, subject, audience)",
	"700024":  "the workload's federated token has expired",
	"7000112": "the app is disabled",
	"50027":   "the federated token is malformed",
}

// translate maps an Azure SDK error to a valdrix error at the edge. action
// is the Azure action the call needs (named when the service does not name
// it); what says what was being done, for messages.
func translate(err error, action, what string) error {
	if err == nil {
		return nil
	}
	if cerr := cloud.ContextError(err, what); cerr != nil {
		return cerr
	}
	var af *azidentity.AuthenticationFailedError
	if errors.As(err, &af) {
		if af.RawResponse != nil && (af.RawResponse.StatusCode == http.StatusTooManyRequests || af.RawResponse.StatusCode >= 500) {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Entra ID is unavailable or throttling: could not %s", what)
		}
		code := ""
		if m := aadstsRE.FindStringSubmatch(af.Error()); m != nil {
			code = m[1]
		}
		if meaning, ok := aadstsMeaning[code]; ok {
			return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Entra ID refused to %s: %s (AADSTS%s)", what, meaning, code)
		}
		if code != "" {
			return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Entra ID refused to %s (AADSTS%s)", what, code)
		}
		return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Entra ID refused to %s", what)
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		code := re.ErrorCode
		switch {
		case re.StatusCode == http.StatusTooManyRequests || code == "RateLimiting" || code == "TooManyRequests" || code == "ServerBusy":
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure throttled the calls to %s and retries were exhausted (%s)", what, cmpOr(code, "429"))
		case code == "AuthorizationFailed" || code == "LinkedAuthorizationFailed":
			missing := action
			if m := deniedActionRE.FindStringSubmatch(err.Error()); m != nil {
				missing = m[1]
			}
			return valdrix.Wrap(valdrix.EFORBIDDEN, &cloud.PermissionError{Permission: missing, Err: err},
				"the app may not %s: grant it %s (the Reader role includes it)", what, missing)
		case code == "AuthorizationPermissionMismatch" || code == "AuthorizationFailure":
			missing := cmpOr(action, actionBlobRead)
			return valdrix.Wrap(valdrix.EFORBIDDEN, &cloud.PermissionError{Permission: missing, Err: err},
				"the app may not %s: assign it Storage Blob Data Reader on the storage account (data action %s)", what, missing)
		case re.StatusCode == http.StatusForbidden:
			return valdrix.Wrap(valdrix.EFORBIDDEN, &cloud.PermissionError{Permission: action, Err: err}, "Azure refused to %s (%s)", what, code)
		case re.StatusCode == http.StatusUnauthorized:
			return valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "Azure rejected the app's token while trying to %s (%s)", what, code)
		case re.StatusCode == http.StatusNotFound:
			return valdrix.Wrap(valdrix.ENOTFOUND, err, "not found while trying to %s (%s)", what, code)
		case re.StatusCode == http.StatusBadRequest:
			return valdrix.Wrap(valdrix.EINVALID, err, "Azure refused the request to %s (%s)", what, code)
		}
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure is unavailable: could not %s (%s, HTTP %d)", what, code, re.StatusCode)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &ne) || errors.As(err, &oe) || strings.Contains(err.Error(), "connection reset") ||
		strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "connection refused") {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "could not reach Azure to %s", what)
	}
	if valdrix.ErrorCode(err) != valdrix.EINTERNAL {
		return err
	}
	if strings.Contains(err.Error(), "unmarshal") || strings.Contains(err.Error(), "invalid character") {
		return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure returned a malformed response while trying to %s", what)
	}
	return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "could not %s", what)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
