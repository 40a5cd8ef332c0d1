package gcp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/auth"
	"golang.org/x/time/rate"
)

// authTransport adds the credential's bearer token to every request. It
// is the only authentication of the Google clients: they get this client
// through option.WithHTTPClient and never look for credentials themselves.
type authTransport struct {
	creds *auth.Credentials
	base  http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.creds.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("gcp credential: %w", err)
	}
	r := req.Clone(req.Context())
	typ := tok.Type
	if typ == "" {
		typ = "Bearer"
	}
	r.Header.Set("Authorization", typ+" "+tok.Value)
	return t.base.RoundTrip(r)
}

// boundTransport gives requests made without a context the context of
// the operation: the GAPIC REST clients build their requests with
// http.NewRequest, so without it a hanging server would hang a scan past
// its timeout.
type boundTransport struct {
	ctx  context.Context //nolint:containedctx // the operation's context, for requests that lack one
	base http.RoundTripper
}

func (t boundTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Context() == context.Background() {
		req = req.WithContext(t.ctx)
	}
	return t.base.RoundTrip(req)
}

// retryTransport rate-limits every attempt per (connection, API) and
// retries throttled (429) and unavailable (500, 502, 503, 504) answers and
// reset connections with exponential backoff, honouring Retry-After up to
// RetryMaxBackoff. The Google clients' own retries are turned off, so this
// is the one retry policy of the adapter.
type retryTransport struct {
	p    *Provider
	conn string
	base http.RoundTripper
}

func retryable(resp *http.Response, err error) bool {
	if err != nil {
		s := err.Error()
		return strings.Contains(s, "connection reset") || strings.Contains(s, "connection refused") || strings.Contains(s, "EOF")
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cfg := t.p.cfg
	lim := t.p.limiter(t.conn, t.p.apiOf(req))
	for attempt := 1; ; attempt++ {
		if err := lim.Wait(req.Context()); err != nil {
			return nil, fmt.Errorf("rate limit: %w", err)
		}
		r := req
		if attempt > 1 {
			r = req.Clone(req.Context())
			if req.GetBody != nil {
				body, err := req.GetBody()
				if err != nil {
					return nil, fmt.Errorf("retry: %w", err)
				}
				r.Body = body
			}
		}
		resp, err := t.base.RoundTrip(r)
		if !retryable(resp, err) || attempt >= cfg.RetryMaxAttempts || (req.Body != nil && req.GetBody == nil) {
			return resp, err
		}
		delay := min(cfg.RetryBaseDelay<<(attempt-1), cfg.RetryMaxBackoff)
		if resp != nil {
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
				delay = min(max(delay, time.Duration(s)*time.Second), cfg.RetryMaxBackoff)
			}
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
		}
		timer := time.NewTimer(delay)
		select {
		case <-req.Context().Done():
			timer.Stop()
			return nil, req.Context().Err()
		case <-timer.C:
		}
	}
}

// apiOf names the API of a request: the service segment of the simulator's
// path, or the first label of Google's host (cloudasset.googleapis.com).
func (p *Provider) apiOf(req *http.Request) string {
	if p.cfg.Endpoint != "" {
		rest := strings.TrimPrefix(req.URL.Path, "/")
		api, _, _ := strings.Cut(rest, "/")
		return api
	}
	host, _, _ := strings.Cut(req.URL.Host, ".")
	return host
}

func (p *Provider) limiter(connID, api string) *rate.Limiter {
	return p.limiters.Get(connID + "|" + api)
}
