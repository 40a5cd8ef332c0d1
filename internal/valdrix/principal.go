package valdrix

import "context"

// PrincipalKind says how a principal authenticated.
type PrincipalKind string

// Principal kinds.
const (
	PrincipalUser   PrincipalKind = "user"    // a built-in account with a cookie session
	PrincipalAPIKey PrincipalKind = "api_key" // an API key
	PrincipalJWT    PrincipalKind = "jwt"     // a bearer JWT from a trusted issuer
	PrincipalSystem PrincipalKind = "system"  // the server itself or the admin CLI
)

// Principal is who is acting, in which tenant and with which role.
type Principal struct {
	Kind     PrincipalKind
	TenantID TenantID
	// TenantName is filled where authentication already knew it (API keys).
	TenantName string
	Role       Role
	UserID     string // set for users, and for JWTs that map to a known user
	Email      string
	APIKeyID   string // set for API keys
	Subject    string // JWT subject
	SessionID  string // set for cookie sessions
}

// Actor is the principal's identity as written in the audit log.
func (p Principal) Actor() string {
	switch p.Kind {
	case PrincipalAPIKey:
		return "api_key:" + p.APIKeyID
	case PrincipalJWT:
		if p.UserID != "" {
			return "user:" + p.UserID
		}
		return "jwt:" + p.Subject
	case PrincipalSystem:
		if p.Subject != "" {
			return "system:" + p.Subject
		}
		return "system"
	default:
		return "user:" + p.UserID
	}
}

type principalKey struct{}

// WithPrincipal returns a context carrying p. Only the HTTP edge uses it;
// modules take the principal or tenant as explicit arguments.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal carried by ctx.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
