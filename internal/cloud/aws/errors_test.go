package aws

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	api := func(code, msg string) error {
		return fmt.Errorf("operation error: %w", &smithy.GenericAPIError{Code: code, Message: msg})
	}
	tests := []struct {
		name    string
		err     error
		code    string
		missing string
	}{
		{name: "ec2 throttling", err: api("RequestLimitExceeded", "Request limit exceeded."), code: valdrix.EUNAVAILABLE},
		{name: "json throttling", err: api("ThrottlingException", "Rate exceeded"), code: valdrix.EUNAVAILABLE},
		{name: "denied with action", err: api("AccessDenied", "User: arn:aws:sts::1:assumed-role/R/s is not authorized to perform: rds:DescribeDBInstances because no identity-based policy allows it"),
			code: valdrix.EFORBIDDEN, missing: "rds:DescribeDBInstances"},
		{name: "denied without action", err: api("UnauthorizedOperation", "You are not authorized to perform this operation."), code: valdrix.EFORBIDDEN, missing: "ec2:DescribeVolumes"},
		{name: "expired", err: api("ExpiredToken", "expired"), code: valdrix.EUNAUTHORIZED},
		{name: "not found", err: api("ResourceNotFoundException", "no"), code: valdrix.ENOTFOUND},
		{name: "invalid", err: api("ValidationException", "bad"), code: valdrix.EINVALID},
		{name: "down", err: api("ServiceUnavailable", "down"), code: valdrix.EUNAVAILABLE},
		{name: "malformed", err: &smithy.DeserializationError{Err: errors.New("xml")}, code: valdrix.EUNAVAILABLE},
		{name: "deadline", err: fmt.Errorf("x: %w", context.DeadlineExceeded), code: valdrix.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := translate(tt.err, "ec2:DescribeVolumes", "describe volumes")
			require.Equal(t, tt.code, valdrix.ErrorCode(err))
			require.Equal(t, tt.missing, MissingPermission(err))
			require.ErrorIs(t, err, errors.Unwrap(tt.err), "the cause is kept")
			require.NotContains(t, valdrix.ErrorMessage(err), "arn:aws:sts", "user-safe message")
		})
	}
	require.NoError(t, translate(nil, "", ""))
	require.ErrorIs(t, translate(context.Canceled, "", ""), context.Canceled)
}
