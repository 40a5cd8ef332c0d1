package aws

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/cloudtest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestAmbientCredentialsAreNeverUsed sets the AWS environment variables a
// default credential chain would pick up and proves the adapter ignores
// them: without platform credentials it refuses to start, and a connection
// without a role fails closed. (t.Setenv forbids t.Parallel.)
func TestAmbientCredentialsAreNeverUsed(t *testing.T) { //nolint:paralleltest // t.Setenv
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAAMBIENTAMBIENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "ambient-secret")
	t.Setenv("AWS_SESSION_TOKEN", "ambient-token")
	t.Setenv("AWS_PROFILE", "ambient")
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::111111111111:role/Ambient")

	_, err := New(Config{})
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), "no platform credentials: no fallback to the environment")

	b := setup(t)
	missing := b.conn
	missing.AWS = &cloud.AWSConnection{AccountID: b.conn.AWS.AccountID}
	got, rep, err := cloudtest.Collect(t.Context(), b.p, missing, cloud.DiscoverOpts{})
	require.Error(t, err)
	require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err))
	require.Empty(t, got)
	require.False(t, rep.Complete)
	require.Zero(t, b.sim.AssumeRoleCount())

	// A valid connection works with the platform key only: the simulator
	// accepts nothing else for STS, so the ambient key was not used.
	got, rep, err = cloudtest.Collect(t.Context(), b.p, b.conn, cloud.DiscoverOpts{Services: []string{"rds"}})
	require.NoError(t, err)
	require.True(t, rep.Complete)
	require.NotEmpty(t, got)
}
