package api

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/valdrix/valdrix/internal/telemetry"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	// fallback turns the mux's plain-text 404 and 405 answers into problems.
	fallback bool
	ctx      context.Context
	swallow  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	if w.fallback && (code == http.StatusNotFound || code == http.StatusMethodNotAllowed) &&
		strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.swallow = true
		msg := "No such endpoint."
		if code == http.StatusMethodNotAllowed {
			msg = "This endpoint does not accept the method " + "used."
		}
		p := newProblem(w.ctx, code, statusCode(code), msg)
		w.Header().Del("X-Content-Type-Options")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		writeProblem(w.ResponseWriter, p)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.swallow {
		return len(b), nil
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijacking not supported")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routeKey carries a holder the innermost handler fills with the matched
// route pattern, for metrics and logs.
type routeKey struct{}

type routeHolder struct{ pattern string }

func routeOf(r *http.Request) *routeHolder {
	h, _ := r.Context().Value(routeKey{}).(*routeHolder)
	return h
}

// recordRoute runs inside the mux's handler chain and saves the pattern the
// mux matched (the request the outer middleware holds is a different copy).
func recordRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if h := routeOf(r); h != nil && r.Pattern != "" {
			h.pattern = r.Pattern
		}
	})
}

// httpMetrics are the HTTP server's instruments.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	limited  *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_http_requests_total", Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "valdrix_http_request_duration_seconds", Help: "HTTP request latency by method and route pattern.",
			Buckets: []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "valdrix_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_http_rate_limited_total", Help: "Requests refused with 429 by limiter (ip, principal, login).",
		}, []string{"limiter"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.duration, m.inflight, m.limited} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register http metrics: %w", err)
			}
		}
	}
	return m, nil
}

// routeLabel strips the method from a pattern ("GET /api/v1/me" → "/api/v1/me").
func routeLabel(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if _, p, ok := strings.Cut(pattern, " "); ok {
		return p
	}
	return pattern
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// observe is the outermost middleware: request id, panic recovery, access
// log, metrics and the problem fallback for unmatched routes.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.clock.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		holder := &routeHolder{}
		ctx := context.WithValue(telemetry.WithRequestID(r.Context(), id), routeKey{}, holder)
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w, fallback: true, ctx: ctx}
		s.metrics.inflight.Inc()
		defer func() {
			s.metrics.inflight.Dec()
			if rec := recover(); rec != nil {
				if err, ok := rec.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(rec)
				}
				s.log.ErrorContext(ctx, "panic serving request", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeProblem(sw, newProblem(ctx, http.StatusInternalServerError, valdrix.EINTERNAL, "An internal error occurred."))
				}
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := routeLabel(holder.pattern)
			if span := trace.SpanFromContext(ctx); span.SpanContext().IsValid() {
				span.SetName(r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route))
			}
			elapsed := s.clock.Now().Sub(start)
			s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(status)).Inc()
			s.metrics.duration.WithLabelValues(r.Method, route).Observe(elapsed.Seconds())
			if s.accessLog {
				attrs := []slog.Attr{
					slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
					slog.Int("status", status), slog.Int64("bytes", sw.bytes), slog.Duration("duration", elapsed),
					slog.String("ip", s.clientIP(r)),
				}
				if p, ok := valdrix.PrincipalFrom(r.Context()); ok {
					attrs = append(attrs, slog.String("tenant_id", string(p.TenantID)), slog.String("principal", string(p.Kind)))
				}
				s.log.LogAttrs(ctx, slog.LevelInfo, "http request", attrs...)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// securityHeaders sets the response headers every answer carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.isTLS(r) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.bodyLimit {
			writeProblem(w, newProblem(r.Context(), http.StatusRequestEntityTooLarge, codeTooLarge,
				fmt.Sprintf("The request body is larger than %d bytes.", s.bodyLimit)))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.bodyLimit)
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) isTLS(r *http.Request) bool {
	return r.TLS != nil || (s.trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// clientIP is the peer address, or the first X-Forwarded-For hop when the
// server is configured to trust its proxy.
func (s *Server) clientIP(r *http.Request) string {
	if s.trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
