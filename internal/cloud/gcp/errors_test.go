package gcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"

	"cloud.google.com/go/auth"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/googleapi"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	apiErr := func(code int, reason, msg string) error {
		return &googleapi.Error{Code: code, Message: msg, Errors: []googleapi.ErrorItem{{Reason: reason, Message: msg}}}
	}
	tests := []struct {
		name       string
		err        error
		code       string
		permission string
		msg        string
		disabled   bool
	}{
		{name: "denied names the permission", err: apiErr(403, "forbidden", "Permission 'compute.disks.list' denied on resource 'projects/p' (or it may not exist)."),
			code: valdrix.EFORBIDDEN, permission: "compute.disks.list", msg: "compute.disks.list"},
		{name: "denied without a name", err: apiErr(403, "forbidden", "The caller does not have permission"), code: valdrix.EFORBIDDEN, permission: "fallback.permission"},
		{name: "api off", err: apiErr(403, "accessNotConfigured", "Cloud Asset API has not been used in project 1 before or it is disabled."),
			code: valdrix.EFORBIDDEN, msg: "not enabled", disabled: true},
		{name: "throttled", err: apiErr(429, "rateLimitExceeded", "Quota exceeded"), code: valdrix.EUNAVAILABLE, msg: "throttled"},
		{name: "unauthenticated", err: apiErr(401, "authError", "Request had invalid authentication credentials."), code: valdrix.EUNAUTHORIZED},
		{name: "not found", err: apiErr(404, "notFound", "Not found: Table p:d.t"), code: valdrix.ENOTFOUND},
		{name: "bad query", err: apiErr(400, "invalidQuery", "Syntax error"), code: valdrix.EINVALID},
		{name: "unavailable", err: apiErr(503, "backendError", "down"), code: valdrix.EUNAVAILABLE},
		{name: "deleted key", err: fmt.Errorf("token: %w", &auth.Error{Response: &http.Response{StatusCode: http.StatusBadRequest},
			Body: []byte(`{"error":"invalid_grant","error_description":"Invalid grant: account not found"}`)}),
			code: valdrix.EUNAUTHORIZED, msg: "invalid_grant"},
		{name: "token service down", err: &auth.Error{Response: &http.Response{StatusCode: http.StatusServiceUnavailable}, Body: []byte(`{}`)}, code: valdrix.EUNAVAILABLE},
		{name: "deadline", err: fmt.Errorf("call: %w", context.DeadlineExceeded), code: valdrix.EUNAVAILABLE, msg: "timed out"},
		{name: "network", err: &net.OpError{Op: "dial", Err: errors.New("connection refused")}, code: valdrix.EUNAVAILABLE, msg: "could not reach"},
		{name: "malformed", err: errors.New("proto: syntax error (line 1:12): unexpected token <"), code: valdrix.EUNAVAILABLE, msg: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := translate(tt.err, "fallback.permission", "list resources")
			require.Equal(t, tt.code, valdrix.ErrorCode(err), "%v", err)
			if !tt.disabled && tt.code == valdrix.EFORBIDDEN {
				require.Equal(t, tt.permission, cloud.MissingPermission(err))
			}
			require.Equal(t, tt.disabled, isDisabled(err))
			require.Contains(t, valdrix.ErrorMessage(err), tt.msg)
			require.ErrorIs(t, err, tt.err, "the cause is kept")
		})
	}
	require.ErrorIs(t, translate(context.Canceled, "", "x"), context.Canceled, "cancellation is not the cloud's doing")
	require.NoError(t, translate(nil, "", "x"))
}
