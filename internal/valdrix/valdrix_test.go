package valdrix_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestErrorCodeAndMessage(t *testing.T) {
	t.Parallel()
	cause := errors.New("pq: password authentication failed for user secret")
	tests := []struct {
		name    string
		err     error
		code    string
		message string
	}{
		{name: "nil", err: nil, code: "", message: "An internal error occurred."},
		{name: "plain error is internal and hidden", err: cause, code: valdrix.EINTERNAL, message: "An internal error occurred."},
		{name: "coded", err: valdrix.Errorf(valdrix.ENOTFOUND, "tenant %s not found", "x"), code: valdrix.ENOTFOUND, message: "tenant x not found"},
		{name: "wrapped keeps code", err: fmt.Errorf("load: %w", valdrix.Wrap(valdrix.EUNAVAILABLE, cause, "database unavailable")), code: valdrix.EUNAVAILABLE, message: "database unavailable"},
		{name: "field", err: valdrix.FieldError("role", "unknown role"), code: valdrix.EINVALID, message: "role: unknown role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.code, valdrix.ErrorCode(tt.err))
			require.Equal(t, tt.message, valdrix.ErrorMessage(tt.err))
			require.NotContains(t, valdrix.ErrorMessage(tt.err), "password authentication")
		})
	}
	w := valdrix.Wrap(valdrix.EUNAVAILABLE, cause, "database unavailable")
	require.ErrorIs(t, w, cause, "the cause stays in the chain")
}

func TestNewID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		id := valdrix.NewID()
		require.True(t, valdrix.ValidID(id), id)
		require.Equal(t, byte('7'), id[14], "version 7")
		require.False(t, seen[id])
		seen[id] = true
		require.Greater(t, id, prev, "ids are strictly increasing")
		prev = id
	}
	require.False(t, valdrix.ValidID("not-a-uuid"))
	require.False(t, valdrix.ValidID("0192F0C1-7D4E-7A4B-9C1E-2B3C4D5E6F70"), "upper case is not canonical")
}

func TestRoles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		role, min valdrix.Role
		want      bool
	}{
		{valdrix.RoleOwner, valdrix.RoleAdmin, true},
		{valdrix.RoleAdmin, valdrix.RoleAdmin, true},
		{valdrix.RoleMember, valdrix.RoleAdmin, false},
		{valdrix.RoleViewer, valdrix.RoleMember, false},
		{valdrix.RoleViewer, valdrix.RoleViewer, true},
		{valdrix.Role("root"), valdrix.RoleViewer, false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.role.AtLeast(tt.min), "%s ≥ %s", tt.role, tt.min)
	}
	r, err := valdrix.ParseRole("role", " Admin ")
	require.NoError(t, err)
	require.Equal(t, valdrix.RoleAdmin, r)
	_, err = valdrix.ParseRole("role", "superuser")
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
}

func TestDatesAndMonths(t *testing.T) {
	t.Parallel()
	d, err := valdrix.ParseDate("from", "2024-02-29")
	require.NoError(t, err)
	require.Equal(t, "2024-02-29", d.String())
	require.Equal(t, "2024-02", d.Month().String())
	require.Equal(t, 29, d.Month().Days())
	require.Equal(t, "2024-03-01", d.AddDays(1).String())
	require.Equal(t, d, valdrix.DateOf(time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC)))
	m, err := valdrix.ParseMonth("period", "2023-12")
	require.NoError(t, err)
	require.Equal(t, "2024-01-01", m.End().String())
	_, err = valdrix.ParseDate("from", "29/02/2024")
	require.Error(t, err)
	require.Equal(t, "from", valdrix.ErrorField(err))
}
