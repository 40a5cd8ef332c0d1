package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/telemetry"
)

func TestTracingOffByDefault(t *testing.T) {
	t.Parallel()
	tr, err := telemetry.NewTracing(context.Background(), false, telemetry.Build{Version: "test"})
	require.NoError(t, err)
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "nothing")
	require.False(t, span.SpanContext().IsValid(), "the no-op provider records nothing")
	span.End()
	require.Nil(t, tr.Exporting(), "nothing to instrument for")
	require.NoError(t, tr.Shutdown(context.Background()))
}

func TestTracingExportsOverOTLPHTTP(t *testing.T) {
	var got atomic.Int32
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			b, _ := io.ReadAll(r.Body)
			if len(b) > 0 {
				got.Add(1)
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL) // no t.Parallel: Setenv
	tr, err := telemetry.NewTracing(context.Background(), true, telemetry.Build{Version: "test"})
	require.NoError(t, err)
	require.Same(t, tr.Provider, tr.Exporting())
	_, span := tr.Provider.Tracer("t").Start(context.Background(), "exported")
	require.True(t, span.SpanContext().IsValid())
	span.End()
	require.NoError(t, tr.Shutdown(context.Background()), "shutdown flushes the batch")
	require.Equal(t, int32(1), got.Load(), "the collector received the span")
}
