package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const sessionCookie = "valdrix_session"

// clientInfo is what handlers need from the HTTP request.
type clientInfo struct {
	IP        string
	UserAgent string
	TLS       bool
}

type clientKey struct{}

func clientFrom(ctx context.Context) clientInfo {
	c, _ := ctx.Value(clientKey{}).(clientInfo)
	return c
}

// limitIP applies the per-IP token bucket to every request.
func (s *Server) limitIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ci := clientInfo{IP: s.clientIP(r), UserAgent: r.UserAgent(), TLS: s.isTLS(r)}
		if ok, wait := s.ipLimit.allow(ci.IP, s.clock.Now()); !ok {
			s.tooMany(w, r, "ip", wait)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, ci)))
	})
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request, limiter string, wait time.Duration) {
	s.metrics.limited.WithLabelValues(limiter).Inc()
	w.Header().Set("Retry-After", retryAfter(wait))
	writeProblem(w, newProblem(r.Context(), http.StatusTooManyRequests, codeRateLimited, "Too many requests; retry after the time in Retry-After."))
}

// authenticate resolves the request's credentials into a principal. A bearer
// token that does not verify is refused at once; a stale session cookie is
// ignored (public endpoints such as login still work) and cleared.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var (
			p   valdrix.Principal
			err error
			ok  bool
		)
		if authz := r.Header.Get("Authorization"); authz != "" {
			token, isBearer := strings.CutPrefix(authz, "Bearer ")
			switch {
			case !isBearer || token == "":
				err = valdrix.Errorf(valdrix.EUNAUTHORIZED, "Use Authorization: Bearer with an API key or a JWT.")
			case strings.HasPrefix(token, governance.APIKeyPrefix):
				p, err = s.gov.AuthenticateAPIKey(ctx, token)
			case s.jwt != nil && strings.Count(token, ".") == 2:
				p, err = s.authenticateJWT(ctx, token)
			default:
				err = valdrix.Errorf(valdrix.EUNAUTHORIZED, "The bearer token is not valid.")
			}
			if err != nil {
				pr := problemFor(ctx, s.log, err)
				if pr.Status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="valdrix"`)
				}
				writeProblem(w, pr)
				return
			}
			ok = true
		} else if c, cerr := r.Cookie(sessionCookie); cerr == nil && c.Value != "" {
			p, err = s.gov.AuthenticateSession(ctx, c.Value)
			switch {
			case err == nil:
				ok = true
			case valdrix.ErrorCode(err) == valdrix.EUNAUTHORIZED:
				http.SetCookie(w, s.expiredCookie(r))
			default:
				writeProblem(w, problemFor(ctx, s.log, err))
				return
			}
		}
		if ok {
			if allowed, wait := s.principalLim.allow(limiterKey(p), s.clock.Now()); !allowed {
				s.tooMany(w, r, "principal", wait)
				return
			}
			r = r.WithContext(valdrix.WithPrincipal(ctx, p))
		}
		next.ServeHTTP(w, r)
	})
}

func limiterKey(p valdrix.Principal) string {
	switch p.Kind {
	case valdrix.PrincipalAPIKey:
		return "key:" + p.APIKeyID
	case valdrix.PrincipalJWT:
		return "jwt:" + p.Subject
	}
	return "user:" + p.UserID
}

func (s *Server) authenticateJWT(ctx context.Context, token string) (valdrix.Principal, error) {
	c, err := s.jwt.Verify(ctx, token)
	if err != nil {
		return valdrix.Principal{}, err
	}
	return s.gov.ExternalPrincipal(ctx, c.Subject, c.Email, c.TenantID, c.Role)
}

// csrfCheck refuses cross-origin unsafe requests that a browser could make
// with the session cookie. Requests carrying an Authorization header cannot be
// forged by a browser and are exempt; so are non-browser clients, which send
// neither Sec-Fetch-Site nor Origin.
func (s *Server) csrfCheck(next http.Handler) http.Handler {
	protected := s.csrf.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			next.ServeHTTP(w, r)
			return
		}
		protected.ServeHTTP(w, r)
	})
}

func (s *Server) cookie(ctx context.Context, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: sessionCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies || clientFrom(ctx).TLS,
	}
}

func (s *Server) expiredCookie(r *http.Request) *http.Cookie {
	c := s.cookie(r.Context(), "", -1)
	c.Secure = s.secureCookies || s.isTLS(r)
	return c
}

// access says who may call an operation.
type access struct {
	public bool         // no authentication needed
	min    valdrix.Role // lowest role allowed
	// viewerWrite lets a viewer call an unsafe method (logging out).
	viewerWrite bool
}

var (
	public  = access{public: true}
	viewer  = access{min: valdrix.RoleViewer}
	member  = access{min: valdrix.RoleMember}
	admin   = access{min: valdrix.RoleAdmin}
	anyRole = access{min: valdrix.RoleViewer, viewerWrite: true}
)

// call is what a handler gets besides its input.
type call struct {
	Principal valdrix.Principal
	Actor     governance.Actor
	Client    clientInfo
}

// handle registers an operation with its access rule. It authenticates,
// authorises (viewers never write), and turns errors into problems.
func handle[I, O any](s *Server, op huma.Operation, acc access, h func(ctx context.Context, c call, in *I) (*O, error)) {
	if !acc.public {
		op.Security = []map[string][]string{{"bearer": {}}, {"session": {}}}
		op.Description = strings.TrimSpace(op.Description + "\n\nRequires the **" + string(acc.min) + "** role or higher.")
	}
	s.routes = append(s.routes, op.Method+" "+op.Path)
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		c := call{Client: clientFrom(ctx)}
		p, authed := valdrix.PrincipalFrom(ctx)
		if !acc.public {
			if !authed {
				return nil, huma.ErrorWithHeaders(newProblem(ctx, http.StatusUnauthorized, valdrix.EUNAUTHORIZED,
					"Log in, or send an API key or JWT as Authorization: Bearer."), http.Header{"WWW-Authenticate": {`Bearer realm="valdrix"`}})
			}
			if !p.Role.AtLeast(acc.min) {
				return nil, newProblem(ctx, http.StatusForbidden, valdrix.EFORBIDDEN, "This needs the "+string(acc.min)+" role or higher.")
			}
			if p.Role == valdrix.RoleViewer && !acc.viewerWrite && op.Method != http.MethodGet && op.Method != http.MethodHead {
				return nil, newProblem(ctx, http.StatusForbidden, valdrix.EFORBIDDEN, "Viewers have read-only access.")
			}
		}
		c.Principal = p
		c.Actor = governance.Actor{Principal: p, IP: c.Client.IP}
		out, err := h(ctx, c, in)
		if err != nil {
			var withHeaders huma.HeadersError
			if errors.As(err, &withHeaders) {
				return nil, err // already a problem, with headers to keep
			}
			if op.Method == http.MethodGet || op.Method == http.MethodHead || op.Method == http.MethodDelete {
				err = inQuery(err) // no body: a named field is a query parameter
			}
			return nil, problemFor(ctx, s.log, err)
		}
		return out, nil
	})
}
