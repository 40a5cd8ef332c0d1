// Package jwtauth verifies bearer JWTs from an OIDC or Supabase issuer: RS/ES/
// PS/EdDSA tokens against the issuer's JWKS (cached, refreshed when a token
// names an unknown key id) and HS256 tokens against a shared secret (legacy
// Supabase). It checks algorithm, signature, expiry, not-before, issuer and
// audience, and maps claims to a tenant, a role and a user.
//
// It imports valdrix and JWT libraries only.
package jwtauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Config configures a Verifier. Issuer and Audience are required; at least one
// of JWKSURL and HS256Secret must be set.
type Config struct {
	Issuer      string
	Audience    string
	JWKSURL     string
	HS256Secret string
	// TenantClaim and RoleClaim name the claims holding the Valdrix tenant id
	// and role; dotted paths reach nested claims ("app_metadata.tenant_id").
	TenantClaim string // default "tenant_id"
	RoleClaim   string // default "valdrix_role"
	EmailClaim  string // default "email"
	Leeway      time.Duration
	HTTPClient  *http.Client
	Logger      *slog.Logger
	Clock       valdrix.Clock
	// RefreshUnknownKIDEvery bounds refreshes caused by unknown key ids
	// (default one per minute).
	RefreshUnknownKIDEvery time.Duration
}

// Claims is what a verified token says about its bearer.
type Claims struct {
	Subject  string
	Email    string
	TenantID valdrix.TenantID
	Role     valdrix.Role
}

// Verifier verifies tokens.
type Verifier struct {
	cfg     Config
	jwks    keyfunc.Keyfunc
	methods []string
}

var asymmetric = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}

// New returns a Verifier. ctx bounds the background JWKS refresh.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if cfg.Issuer == "" {
		return nil, valdrix.FieldError("jwt-issuer", "is required when JWT authentication is configured")
	}
	if cfg.Audience == "" {
		return nil, valdrix.FieldError("jwt-audience", "is required when JWT authentication is configured")
	}
	if cfg.JWKSURL == "" && cfg.HS256Secret == "" {
		return nil, valdrix.FieldError("jwt-jwks-url", "set a JWKS URL or an HS256 secret")
	}
	if cfg.HS256Secret != "" && len(cfg.HS256Secret) < 32 {
		return nil, valdrix.FieldError("jwt-hs256-secret", "must be at least 32 characters")
	}
	cfg.TenantClaim = cmp.Or(cfg.TenantClaim, "tenant_id")
	cfg.RoleClaim = cmp.Or(cfg.RoleClaim, "valdrix_role")
	cfg.EmailClaim = cmp.Or(cfg.EmailClaim, "email")
	cfg.Leeway = cmp.Or(cfg.Leeway, 30*time.Second)
	cfg.Clock = cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{})
	cfg.Logger = cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler))
	cfg.HTTPClient = cmp.Or(cfg.HTTPClient, &http.Client{Timeout: 10 * time.Second})
	v := &Verifier{cfg: cfg}
	if cfg.JWKSURL != "" {
		every := cmp.Or(cfg.RefreshUnknownKIDEvery, time.Minute)
		log := cfg.Logger
		kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
			Client:            cfg.HTTPClient,
			HTTPTimeout:       10 * time.Second,
			RefreshInterval:   time.Hour,
			RefreshUnknownKID: rate.NewLimiter(rate.Every(every), 1),
			RateLimitWaitMax:  time.Second,
			RefreshErrorHandlerFunc: func(u string) func(ctx context.Context, err error) {
				return func(ctx context.Context, err error) {
					log.WarnContext(ctx, "refresh JWKS", "url", u, "error", err)
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("jwks %s: %w", cfg.JWKSURL, err)
		}
		v.jwks = kf
		v.methods = append(v.methods, asymmetric...)
	}
	if cfg.HS256Secret != "" {
		v.methods = append(v.methods, "HS256")
	}
	return v, nil
}

// Verify checks token and returns its claims. Every failure is an
// unauthorized error; the reason is in the wrapped cause, never shown.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods(v.methods),
		jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(v.cfg.Leeway),
		jwt.WithTimeFunc(v.cfg.Clock.Now),
	)
	mc := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(token, mc, func(t *jwt.Token) (any, error) {
		switch t.Method.(type) {
		case *jwt.SigningMethodHMAC:
			if v.cfg.HS256Secret == "" {
				return nil, errors.New("HMAC tokens are not accepted")
			}
			return []byte(v.cfg.HS256Secret), nil
		default:
			if v.jwks == nil {
				return nil, errors.New("no JWKS configured")
			}
			return v.jwks.KeyfuncCtx(ctx)(t)
		}
	})
	if err != nil {
		return Claims{}, valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "The bearer token is not valid.")
	}
	c := Claims{}
	c.Subject, _ = mc["sub"].(string)
	c.Email, _ = claim(mc, v.cfg.EmailClaim).(string)
	tenant, _ := claim(mc, v.cfg.TenantClaim).(string)
	role, _ := claim(mc, v.cfg.RoleClaim).(string)
	if c.Subject == "" {
		return Claims{}, valdrix.Wrap(valdrix.EUNAUTHORIZED, errors.New("no sub claim"), "The bearer token is not valid.")
	}
	if !valdrix.ValidID(tenant) {
		return Claims{}, valdrix.Wrap(valdrix.EUNAUTHORIZED, fmt.Errorf("claim %q is not a tenant id", v.cfg.TenantClaim), "The bearer token does not name a tenant.")
	}
	r, err := valdrix.ParseRole(v.cfg.RoleClaim, role)
	if err != nil {
		return Claims{}, valdrix.Wrap(valdrix.EUNAUTHORIZED, err, "The bearer token does not carry a Valdrix role.")
	}
	c.TenantID, c.Role = valdrix.TenantID(tenant), r
	c.Email = strings.ToLower(c.Email)
	return c, nil
}

// claim follows a dotted path into nested claims.
func claim(mc jwt.MapClaims, path string) any {
	var cur any = map[string]any(mc)
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}
