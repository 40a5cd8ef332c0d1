package azure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func response(status int, code, body string) *http.Response {
	u, _ := url.Parse("https://management.azure.com/providers/Microsoft.ResourceGraph/resources")
	h := http.Header{}
	if code != "" {
		h.Set("x-ms-error-code", code)
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Header: h, Body: io.NopCloser(strings.NewReader(body)),
		Request: &http.Request{Method: http.MethodPost, URL: u}}
}

func armError(status int, code, msg string) error {
	return runtime.NewResponseError(response(status, code, fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, msg))) //nolint:bodyclose // a canned response inside an error
}

func TestTranslate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		code       string
		permission string
		msg        string
	}{
		{name: "denied names the action", err: armError(403, "AuthorizationFailed",
			"The client 'c' with object id 'o' does not have authorization to perform action 'Microsoft.Insights/metrics/read' over scope '/x'"),
			code: valdrix.EFORBIDDEN, permission: "Microsoft.Insights/metrics/read", msg: "Microsoft.Insights/metrics/read"},
		{name: "blob data access", err: armError(403, "AuthorizationPermissionMismatch", "This request is not authorized"),
			code: valdrix.EFORBIDDEN, permission: actionBlobRead, msg: "Storage Blob Data Reader"},
		{name: "throttled", err: armError(429, "RateLimiting", "Too many requests"), code: valdrix.EUNAVAILABLE, msg: "throttled"},
		{name: "blob busy", err: armError(503, "ServerBusy", "busy"), code: valdrix.EUNAVAILABLE, msg: "throttled"},
		{name: "expired token", err: armError(401, "ExpiredAuthenticationToken", "expired"), code: valdrix.EUNAUTHORIZED},
		{name: "not found", err: armError(404, "ResourceNotFound", "gone"), code: valdrix.ENOTFOUND},
		{name: "bad query", err: armError(400, "BadRequest", "InvalidQuery"), code: valdrix.EINVALID},
		{name: "server error", err: armError(500, "InternalServerError", "oops"), code: valdrix.EUNAVAILABLE},
		{name: "wrong secret", err: &azidentity.AuthenticationFailedError{RawResponse: response(401, "", //nolint:bodyclose // canned
			`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)},
			code: valdrix.EUNAUTHORIZED, msg: "the client secret is wrong"},
		{name: "entra down", err: &azidentity.AuthenticationFailedError{RawResponse: response(503, "", `{}`)}, code: valdrix.EUNAVAILABLE}, //nolint:bodyclose // canned
		{name: "deadline", err: fmt.Errorf("call: %w", context.DeadlineExceeded), code: valdrix.EUNAVAILABLE, msg: "timed out"},
		{name: "network", err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}, code: valdrix.EUNAVAILABLE, msg: "could not reach"},
		{name: "malformed", err: errors.New("unmarshalling type *armresourcegraph.QueryResponse: invalid character '<'"), code: valdrix.EUNAVAILABLE, msg: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := translate(tt.err, "", "list resources")
			require.Equal(t, tt.code, valdrix.ErrorCode(err), "%v", err)
			require.Equal(t, tt.permission, cloud.MissingPermission(err))
			require.Contains(t, valdrix.ErrorMessage(err), tt.msg)
			require.ErrorIs(t, err, tt.err, "the cause is kept")
		})
	}
	require.ErrorIs(t, translate(context.Canceled, "", "x"), context.Canceled, "cancellation is not the cloud's doing")
	require.NoError(t, translate(nil, "", "x"))
}
