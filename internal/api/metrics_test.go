package api_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/telemetry"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestEveryDocumentedHTTPMetricIsEmitted checks the "HTTP and process"
// section of docs/metrics.md against a scrape of a server that has served
// requests (one of them rate-limited), and that every valdrix_* metric the
// server emits is documented (the job metrics are checked by the jobs
// package's test).
func TestEveryDocumentedHTTPMetricIsEmitted(t *testing.T) {
	t.Parallel()
	cfg := dialectConfig(t, store.SQLite)
	cfg.RateLimitPrincipal, cfg.RateLimitBurst = 0.01, 1
	e := newEnv(t, cfg)
	_, ids := e.seedTenant("Alpha")
	key := bearer(ids[valdrix.RoleAdmin].apiKey)
	require.Equal(t, http.StatusOK, e.do("GET", "/api/v1/jobs", nil, key).status)
	require.Equal(t, http.StatusTooManyRequests, e.do("GET", "/api/v1/jobs", nil, key).status)
	scrape := e.do("GET", "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, scrape.status)

	doc, err := os.ReadFile("../../docs/metrics.md")
	require.NoError(t, err)
	section, listed, mine := "", map[string]bool{}, []string{}
	for line := range strings.SplitSeq(string(doc), "\n") {
		if s, ok := strings.CutPrefix(line, "## "); ok {
			section = s
		}
		if rest, ok := strings.CutPrefix(line, "| `valdrix_"); ok {
			name, _, _ := strings.Cut(rest, "`")
			listed["valdrix_"+name] = true
			if section == "HTTP and process" {
				mine = append(mine, "valdrix_"+name)
			}
		}
	}
	require.NotEmpty(t, mine)
	emitted := map[string]bool{}
	for line := range strings.SplitSeq(scrape.body, "\n") {
		if strings.HasPrefix(line, "valdrix_") {
			name := strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0]
			name = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
			emitted[name] = true
		}
	}
	for _, name := range mine {
		require.True(t, emitted[name], "docs/metrics.md lists %s but the server did not emit it", name)
	}
	for name := range emitted {
		require.True(t, listed[name], "%s is emitted but not listed in docs/metrics.md", name)
	}
	require.Contains(t, scrape.body, `valdrix_http_requests_total{code="200",method="GET",route="/api/v1/jobs"} 1`)
}

// TestRequestSpans: with a tracer, each request is a span named by its
// route pattern, not its raw path.
func TestRequestSpans(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	cfg := dialectConfig(t, store.SQLite)
	core, err := app.OpenCore(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{PasswordParams: fastPasswords})
	require.NoError(t, err)
	t.Cleanup(func() { _ = core.Close() })
	core.Tracing = &telemetry.Tracing{Provider: tp}
	a, err := app.New(t.Context(), core, telemetry.Build{Version: "test"})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, "/api/v1/jobs/12345", nil)
	require.NoError(t, err)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	rw := httptest.NewRecorder()
	a.API.Handler().ServeHTTP(rw, req)
	require.Equal(t, http.StatusUnauthorized, rw.Code)
	spans := rec.Ended()
	require.Len(t, spans, 1)
	require.Equal(t, "GET /api/v1/jobs/{id}", spans[0].Name())
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", spans[0].SpanContext().TraceID().String(), "continues the caller's trace")
}
