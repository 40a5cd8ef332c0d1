package governance

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Store is the persistence governance needs. Methods on tenant data take the
// tenant explicitly. Calls made with the context handed to Atomic's or
// System's function join that transaction.
type Store interface {
	// Atomic runs fn in one transaction scoped to tenant.
	Atomic(ctx context.Context, tenant valdrix.TenantID, fn func(ctx context.Context) error) error
	// System runs fn in one transaction in the explicit cross-tenant scope.
	System(ctx context.Context, fn func(ctx context.Context) error) error

	CreateTenant(ctx context.Context, t Tenant) error
	GetTenant(ctx context.Context, tenant valdrix.TenantID) (Tenant, error)
	ListTenants(ctx context.Context, page Page) ([]Tenant, string, error)
	TenantSettings(ctx context.Context, tenant valdrix.TenantID) (map[string]any, error)
	PutTenantSettings(ctx context.Context, tenant valdrix.TenantID, settings map[string]any) error

	CreateUser(ctx context.Context, u User) error
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	SetUserPassword(ctx context.Context, id, hash string) error
	ListUsers(ctx context.Context, page Page) ([]User, string, error)

	PutMembership(ctx context.Context, tenant valdrix.TenantID, userID string, role valdrix.Role, at time.Time) error
	GetMember(ctx context.Context, tenant valdrix.TenantID, userID string) (Member, error)
	ListMembers(ctx context.Context, tenant valdrix.TenantID, page Page) ([]Member, string, error)
	DeleteMembership(ctx context.Context, tenant valdrix.TenantID, userID string) error
	CountOwners(ctx context.Context, tenant valdrix.TenantID) (int, error)
	MembershipsOfUser(ctx context.Context, userID string) ([]Membership, error)

	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKey(ctx context.Context, tenant valdrix.TenantID, id string) (APIKey, error)
	ListAPIKeys(ctx context.Context, tenant valdrix.TenantID, page Page) ([]APIKey, string, error)
	RevokeAPIKey(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) error
	TouchAPIKey(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) error
	LookupAPIKey(ctx context.Context, prefix string) (APIKey, error)

	CreateSession(ctx context.Context, s Session) error
	GetSessionByToken(ctx context.Context, tokenHash []byte) (Session, error)
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteTenantSessions(ctx context.Context, tenant valdrix.TenantID, userID string) error

	CreateInvitation(ctx context.Context, inv Invitation) error
	LookupInvitation(ctx context.Context, tokenHash []byte) (Invitation, error)
	AcceptInvitation(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) error

	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	ListAudit(ctx context.Context, tenant valdrix.TenantID, f AuditFilter, page Page) ([]AuditEvent, string, error)
	WalkAudit(ctx context.Context, fn func(e AuditEvent) error) error
	AuditHeads(ctx context.Context) (map[valdrix.TenantID]AuditEvent, error)

	PutSecret(ctx context.Context, s Secret) error
	GetSecret(ctx context.Context, tenant valdrix.TenantID, id string) (Secret, error)
	ListAllSecrets(ctx context.Context) ([]Secret, error)
	DeleteSecret(ctx context.Context, tenant valdrix.TenantID, id string) error
}

// Config configures the Service.
type Config struct {
	Store   Store
	Keyring *keyring.Keyring
	Clock   valdrix.Clock
	Logger  *slog.Logger

	SessionTTL       time.Duration // default 12h
	InvitationTTL    time.Duration // default 7 days
	APIKeyCacheTTL   time.Duration // default 10s; how long a verified key is trusted without a lookup
	PasswordParams   PasswordParams
	HashConcurrency  int // concurrent argon2id hashes; default 2
	touchGranularity time.Duration
}

// Service implements governance: tenants, users, members, keys, sessions,
// audit and secrets.
type Service struct {
	store  Store
	keys   *keyring.Keyring
	clock  valdrix.Clock
	log    *slog.Logger
	cfg    Config
	hasher *hasher
	dummy  string // a hash compared when the user does not exist, to equalise timing

	mu       sync.Mutex
	keyCache map[[32]byte]cachedKey
}

type cachedKey struct {
	key      APIKey
	verified time.Time
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("governance: Store is required")
	}
	if cfg.Keyring == nil {
		return nil, errors.New("governance: Keyring is required")
	}
	cfg.Clock = cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{})
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, 12*time.Hour)
	cfg.InvitationTTL = cmp.Or(cfg.InvitationTTL, 7*24*time.Hour)
	cfg.APIKeyCacheTTL = cmp.Or(cfg.APIKeyCacheTTL, 10*time.Second)
	cfg.touchGranularity = cmp.Or(cfg.touchGranularity, time.Minute)
	h := newHasher(cfg.PasswordParams, cmp.Or(cfg.HashConcurrency, 2))
	dummy, err := h.Hash(context.Background(), GeneratePassword())
	if err != nil {
		return nil, err
	}
	return &Service{
		store: cfg.Store, keys: cfg.Keyring, clock: cfg.Clock, log: cfg.Logger, cfg: cfg,
		hasher: h, dummy: dummy, keyCache: map[[32]byte]cachedKey{},
	}, nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// audit appends an event to the tenant's chain (SystemTenant for none).
func (s *Service) audit(ctx context.Context, tenant valdrix.TenantID, actor valdrix.Principal, ip, action, target string, meta map[string]any) error {
	md, err := CanonicalMetadata(meta)
	if err != nil {
		return err
	}
	_, err = s.store.AppendAudit(ctx, AuditEvent{
		TenantID: tenant, ID: valdrix.NewID(), At: s.now(), Actor: actor.Actor(),
		Action: action, Target: target, IP: ip, Metadata: md,
	})
	if err != nil {
		return fmt.Errorf("append audit %s: %w", action, err)
	}
	return nil
}

// Actor carries who acts and from where, for authorisation and audit.
type Actor struct {
	Principal valdrix.Principal
	IP        string
}

// SystemActor is the server or the admin CLI.
func SystemActor(subject string) Actor {
	return Actor{Principal: valdrix.Principal{Kind: valdrix.PrincipalSystem, Subject: subject}}
}

func (a Actor) isSystem() bool { return a.Principal.Kind == valdrix.PrincipalSystem }

// Require checks that the actor may act in tenant with at least role min:
// the system always may; a principal only in its own tenant and with the role.
func (a Actor) Require(tenant valdrix.TenantID, min valdrix.Role) error {
	if a.isSystem() {
		return nil
	}
	if a.Principal.TenantID != tenant {
		return valdrix.Errorf(valdrix.EFORBIDDEN, "You do not have access to this tenant.")
	}
	if !a.Principal.Role.AtLeast(min) {
		return valdrix.Errorf(valdrix.EFORBIDDEN, "This action needs the %s role or higher.", min)
	}
	return nil
}

// role is the actor's effective role (owner for the system).
func (a Actor) role() valdrix.Role {
	if a.isSystem() {
		return valdrix.RoleOwner
	}
	return a.Principal.Role
}

// ---- tenants

// CreateTenant creates a tenant. name must be 1–200 characters.
func (s *Service) CreateTenant(ctx context.Context, actor Actor, name string) (Tenant, error) {
	if !actor.isSystem() {
		return Tenant{}, valdrix.Errorf(valdrix.EFORBIDDEN, "Only an administrator of the installation can create tenants.")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return Tenant{}, valdrix.FieldError("name", "must be 1 to 200 characters")
	}
	t := Tenant{ID: valdrix.TenantID(valdrix.NewID()), Name: name, CreatedAt: s.now().Truncate(time.Microsecond)}
	err := s.store.System(ctx, func(ctx context.Context) error {
		if err := s.store.CreateTenant(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, t.ID, actor.Principal, actor.IP, "tenant.create", string(t.ID), map[string]any{"name": name})
	})
	return t, err
}

// GetTenant returns the actor's tenant.
func (s *Service) GetTenant(ctx context.Context, actor Actor, tenant valdrix.TenantID) (Tenant, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return Tenant{}, err
	}
	return s.store.GetTenant(ctx, tenant)
}

// ListTenants lists every tenant (installation administrators only).
func (s *Service) ListTenants(ctx context.Context, actor Actor, page Page) ([]Tenant, string, error) {
	if !actor.isSystem() {
		return nil, "", valdrix.Errorf(valdrix.EFORBIDDEN, "Only an administrator of the installation can list tenants.")
	}
	return s.store.ListTenants(ctx, page.Normalize())
}

// ---- users

func normalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || len(e) > 254 {
		return "", valdrix.FieldError("email", "%q is not an email address", email)
	}
	return e, nil
}

func validatePassword(pw string) error {
	if len(pw) < MinPasswordLength {
		return valdrix.FieldError("password", "must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > 1024 {
		return valdrix.FieldError("password", "must be at most 1024 characters")
	}
	return nil
}

// CreateUser creates a built-in account. An empty password creates an account
// that cannot log in with a password until one is set (by invitation).
func (s *Service) CreateUser(ctx context.Context, actor Actor, email, name, password string) (User, error) {
	if !actor.isSystem() {
		return User{}, valdrix.Errorf(valdrix.EFORBIDDEN, "Only an administrator of the installation can create users directly; invite members instead.")
	}
	u, err := s.newUser(ctx, email, name, password)
	if err != nil {
		return User{}, err
	}
	err = s.store.System(ctx, func(ctx context.Context) error {
		if err := s.store.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, SystemTenant, actor.Principal, actor.IP, "user.create", u.ID, map[string]any{"email": u.Email})
	})
	return u, err
}

func (s *Service) newUser(ctx context.Context, email, name, password string) (User, error) {
	e, err := normalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	name = strings.TrimSpace(name)
	if len(name) > 200 {
		return User{}, valdrix.FieldError("name", "must be at most 200 characters")
	}
	u := User{ID: valdrix.NewID(), Email: e, Name: name, CreatedAt: s.now().Truncate(time.Microsecond)}
	if password != "" {
		if err := validatePassword(password); err != nil {
			return User{}, err
		}
		if u.PasswordHash, err = s.hasher.Hash(ctx, password); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// ListUsers lists every user (installation administrators only).
func (s *Service) ListUsers(ctx context.Context, actor Actor, page Page) ([]User, string, error) {
	if !actor.isSystem() {
		return nil, "", valdrix.Errorf(valdrix.EFORBIDDEN, "Only an administrator of the installation can list users.")
	}
	return s.store.ListUsers(ctx, page.Normalize())
}

// ---- tokens

func newToken() (token string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
