package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/telemetry"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Problem is an RFC 9457 problem document with a stable machine code. Every
// API error is one, served as application/problem+json.
type Problem struct {
	Type     string         `json:"type" doc:"A URI naming the problem type"`
	Title    string         `json:"title" doc:"Short summary of the problem type"`
	Status   int            `json:"status" doc:"HTTP status code"`
	Code     string         `json:"code" enum:"invalid,unauthorized,forbidden,not_found,conflict,rate_limited,payload_too_large,unavailable,not_implemented,internal" doc:"Stable error code"`
	Detail   string         `json:"detail,omitempty" doc:"What went wrong, for a person"`
	Instance string         `json:"instance,omitempty" doc:"The request id"`
	Errors   []ProblemField `json:"errors,omitempty" doc:"The fields at fault"`
}

// ProblemField names one field at fault.
type ProblemField struct {
	Location string `json:"location,omitempty" doc:"Where, e.g. body.role or query.limit"`
	Message  string `json:"message" doc:"What is wrong with it"`
}

func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// ContentType implements huma.ContentTypeFilter.
func (p *Problem) ContentType(string) string { return "application/problem+json" }

// Problem codes beyond valdrix's error codes.
const (
	codeRateLimited = "rate_limited"
	codeTooLarge    = "payload_too_large"
)

var codeStatus = map[string]int{
	valdrix.EINVALID:        http.StatusBadRequest,
	valdrix.EUNAUTHORIZED:   http.StatusUnauthorized,
	valdrix.EFORBIDDEN:      http.StatusForbidden,
	valdrix.ENOTFOUND:       http.StatusNotFound,
	valdrix.ECONFLICT:       http.StatusConflict,
	valdrix.EUNAVAILABLE:    http.StatusServiceUnavailable,
	valdrix.ENOTIMPLEMENTED: http.StatusNotImplemented,
	valdrix.EINTERNAL:       http.StatusInternalServerError,
	codeRateLimited:         http.StatusTooManyRequests,
	codeTooLarge:            http.StatusRequestEntityTooLarge,
}

func statusCode(status int) string {
	switch {
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity, status == http.StatusUnsupportedMediaType:
		return valdrix.EINVALID
	case status == http.StatusUnauthorized:
		return valdrix.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return valdrix.EFORBIDDEN
	case status == http.StatusNotFound, status == http.StatusMethodNotAllowed:
		return valdrix.ENOTFOUND
	case status == http.StatusConflict:
		return valdrix.ECONFLICT
	case status == http.StatusTooManyRequests:
		return codeRateLimited
	case status == http.StatusRequestEntityTooLarge:
		return codeTooLarge
	case status == http.StatusServiceUnavailable:
		return valdrix.EUNAVAILABLE
	case status == http.StatusNotImplemented:
		return valdrix.ENOTIMPLEMENTED
	}
	return valdrix.EINTERNAL
}

func newProblem(ctx context.Context, status int, code, detail string) *Problem {
	return &Problem{
		Type: "https://valdrix.dev/problems/" + code, Title: http.StatusText(status), Status: status,
		Code: code, Detail: detail, Instance: telemetry.RequestID(ctx),
	}
}

// problemFor turns an application error into a problem, logging internal
// errors (whose details are never shown).
func problemFor(ctx context.Context, log *slog.Logger, err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, context.Canceled) {
		return newProblem(ctx, 499, valdrix.EUNAVAILABLE, "The request was cancelled.")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return newProblem(ctx, http.StatusServiceUnavailable, valdrix.EUNAVAILABLE, "The request took too long.")
	}
	code := valdrix.ErrorCode(err)
	status, ok := codeStatus[code]
	if !ok {
		status, code = http.StatusInternalServerError, valdrix.EINTERNAL
	}
	if code == valdrix.EINTERNAL {
		log.ErrorContext(ctx, "internal error", "error", err)
	}
	pr := newProblem(ctx, status, code, valdrix.ErrorMessage(err))
	if f := valdrix.ErrorField(err); f != "" {
		pr.Detail = "The request has an invalid field."
		var ve *valdrix.Error
		if errors.As(err, &ve) {
			loc := "body." + f
			if strings.HasPrefix(f, "query.") || strings.HasPrefix(f, "path.") {
				loc = f // a parameter, placed by the handler (inQuery)
			}
			pr.Errors = []ProblemField{{Location: loc, Message: ve.Message}}
			pr.Detail = f + ": " + ve.Message
		}
	}
	return pr
}

// inQuery places a field error among the query parameters, so that the
// problem's errors[].location is query.<name>.
func inQuery(err error) error {
	var ve *valdrix.Error
	if !errors.As(err, &ve) || ve.Field == "" || strings.Contains(ve.Field, ".") {
		return err
	}
	moved := *ve
	moved.Field = "query." + ve.Field
	return &moved
}

// writeProblem writes p as the response.
func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

var installHumaErrors sync.Once

// useProblemErrors makes huma's own errors (validation, unknown parameters,
// bodies too large) problems with our codes. huma exposes this hook only as
// package variables; installing the same pure function once is safe.
func useProblemErrors() {
	installHumaErrors.Do(func() {
		mk := func(ctx context.Context, status int, msg string, errs ...error) huma.StatusError {
			p := newProblem(ctx, status, statusCode(status), msg)
			if status == http.StatusUnprocessableEntity {
				p.Status, p.Title = http.StatusBadRequest, http.StatusText(http.StatusBadRequest)
			}
			for _, e := range errs {
				var d *huma.ErrorDetail
				if errors.As(e, &d) {
					p.Errors = append(p.Errors, ProblemField{Location: d.Location, Message: d.Message})
				} else if e != nil {
					p.Errors = append(p.Errors, ProblemField{Message: e.Error()})
				}
			}
			if len(p.Errors) > 0 && p.Errors[0].Location != "" {
				p.Detail = msg + ": " + p.Errors[0].Location + " " + p.Errors[0].Message
			}
			return p
		}
		huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
			return mk(context.Background(), status, msg, errs...)
		}
		huma.NewErrorWithContext = func(hctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
			ctx := context.Background()
			if hctx != nil {
				ctx = hctx.Context()
			}
			return mk(ctx, status, msg, errs...)
		}
	})
}

// retryAfter renders a wait as Retry-After: whole seconds, at least 1.
func retryAfter(wait time.Duration) string {
	n := int(math.Ceil(wait.Seconds()))
	return strconv.Itoa(max(n, 1))
}
