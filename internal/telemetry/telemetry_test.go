package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/telemetry"
)

func TestLoggerAddsRequestID(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := telemetry.NewLogger(&buf, "json", "info")
	require.NoError(t, err)
	ctx := telemetry.WithRequestID(context.Background(), "req-1")
	log.InfoContext(ctx, "hello", "tenant_id", "t1")
	log.DebugContext(ctx, "hidden")
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	require.Equal(t, "req-1", rec["request_id"])
	require.Equal(t, "t1", rec["tenant_id"])
	require.NotContains(t, buf.String(), "hidden", "below the level")

	for _, bad := range [][2]string{{"xml", "info"}, {"json", "loud"}} {
		_, err := telemetry.NewLogger(&buf, bad[0], bad[1])
		require.Error(t, err, "%v", bad)
	}
}

func TestRegistryHasBuildInfo(t *testing.T) {
	t.Parallel()
	reg := telemetry.NewRegistry(telemetry.Build{Version: "1.2.3", Commit: "abc"})
	n, err := testutil.GatherAndCount(reg, "valdrix_build_info")
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.NoError(t, testutil.GatherAndCompare(reg, bytes.NewBufferString(`
# HELP valdrix_build_info Build information of the running binary; the value is always 1.
# TYPE valdrix_build_info gauge
valdrix_build_info{commit="abc",goversion="`+runtimeVersion()+`",version="1.2.3"} 1
`), "valdrix_build_info"))
	b := telemetry.ReadBuild("", "", "")
	require.Equal(t, "dev", b.Version)
}
