package governance

import (
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Tenant is an organisation using Valdrix; all its data is isolated.
type Tenant struct {
	ID        valdrix.TenantID `json:"id"`
	Name      string           `json:"name"`
	CreatedAt time.Time        `json:"created_at"`
}

// User is a person with a built-in account. Users are global; their access to
// a tenant is a Membership.
type User struct {
	ID           string     `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	PasswordHash string     `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	DisabledAt   *time.Time `json:"disabled_at,omitempty"`
}

// Member is a user's membership of a tenant.
type Member struct {
	TenantID    valdrix.TenantID `json:"tenant_id"`
	UserID      string           `json:"user_id"`
	Email       string           `json:"email"`
	Name        string           `json:"name"`
	Role        valdrix.Role     `json:"role"`
	HasPassword bool             `json:"has_password"`
	CreatedAt   time.Time        `json:"created_at"`
}

// Membership is one tenant a user belongs to.
type Membership struct {
	TenantID   valdrix.TenantID `json:"tenant_id"`
	TenantName string           `json:"tenant_name"`
	Role       valdrix.Role     `json:"role"`
}

// APIKey is a credential for automation, scoped to one tenant and role. Only
// the hash of its secret is stored.
type APIKey struct {
	ID         string           `json:"id"`
	TenantID   valdrix.TenantID `json:"tenant_id"`
	Name       string           `json:"name"`
	Prefix     string           `json:"prefix"`
	SecretHash []byte           `json:"-"`
	Role       valdrix.Role     `json:"role"`
	CreatedBy  string           `json:"created_by"`
	CreatedAt  time.Time        `json:"created_at"`
	ExpiresAt  *time.Time       `json:"expires_at,omitempty"`
	LastUsedAt *time.Time       `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time       `json:"revoked_at,omitempty"`
	// TenantName is filled by LookupAPIKey.
	TenantName string `json:"-"`
}

// Active reports whether the key may be used at now.
func (k APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// Session is a logged-in browser session. Only the hash of its token is stored.
type Session struct {
	ID         string
	TokenHash  []byte
	UserID     string
	TenantID   valdrix.TenantID
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// Invitation lets an invited user set a password and join a tenant.
type Invitation struct {
	ID         string
	TenantID   valdrix.TenantID
	UserID     string
	TokenHash  []byte
	Role       valdrix.Role
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt *time.Time
}

// Secret is an encrypted tenant secret (cloud credentials, webhook URLs).
type Secret struct {
	ID         string
	TenantID   valdrix.TenantID
	Purpose    string
	KeyID      string
	Ciphertext []byte
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Page asks for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// DefaultPageLimit and MaxPageLimit bound list sizes.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 500
)

// Normalize applies the default and maximum limits.
func (p Page) Normalize() Page {
	if p.Limit <= 0 {
		p.Limit = DefaultPageLimit
	}
	p.Limit = min(p.Limit, MaxPageLimit)
	return p
}
