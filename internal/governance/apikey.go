package governance

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// APIKeyPrefix starts every API key; secret scanners can look for it.
const APIKeyPrefix = "vdx_"

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newAPIKey returns a key "vdx_<lookup>_<secret>", its lookup prefix and the
// SHA-256 of the whole key. API keys have 256 bits of entropy, so a fast hash
// is enough.
func newAPIKey() (key, lookup string, hash []byte) {
	p := make([]byte, 10)
	_, _ = rand.Read(p)
	lookup = lowerBase32.EncodeToString(p) // 16 characters
	sec := make([]byte, 32)
	_, _ = rand.Read(sec)
	key = APIKeyPrefix + lookup + "_" + base64.RawURLEncoding.EncodeToString(sec)
	h := sha256.Sum256([]byte(key))
	return key, lookup, h[:]
}

// parseAPIKey returns the lookup prefix of a key, or false when it does not
// look like a Valdrix API key.
func parseAPIKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, APIKeyPrefix)
	if !ok {
		return "", false
	}
	lookup, secret, ok := strings.Cut(rest, "_")
	if !ok || len(lookup) != 16 || len(secret) != 43 {
		return "", false
	}
	return lookup, true
}

// CreateAPIKey creates a key for tenant with role (at most the actor's own).
// The plaintext key is returned once and never stored.
func (s *Service) CreateAPIKey(ctx context.Context, actor Actor, tenant valdrix.TenantID, name string, role valdrix.Role, expiresAt *time.Time) (APIKey, string, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return APIKey{}, "", err
	}
	if !role.Valid() {
		return APIKey{}, "", valdrix.FieldError("role", "unknown role %q", role)
	}
	if !actor.role().AtLeast(role) {
		return APIKey{}, "", valdrix.Errorf(valdrix.EFORBIDDEN, "You cannot create a key with the %s role.", role)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "api key"
	}
	if len(name) > 200 {
		return APIKey{}, "", valdrix.FieldError("name", "must be at most 200 characters")
	}
	now := s.now().Truncate(time.Microsecond)
	if expiresAt != nil && !expiresAt.After(now) {
		return APIKey{}, "", valdrix.FieldError("expires_at", "must be in the future")
	}
	plain, lookup, hash := newAPIKey()
	k := APIKey{
		ID: valdrix.NewID(), TenantID: tenant, Name: name, Prefix: lookup, SecretHash: hash, Role: role,
		CreatedBy: actor.Principal.Actor(), CreatedAt: now, ExpiresAt: expiresAt,
	}
	err := s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		if _, err := s.store.GetTenant(ctx, tenant); err != nil {
			return err
		}
		if err := s.store.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "api_key.create", k.ID, map[string]any{"name": name, "role": string(role), "prefix": lookup})
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, plain, nil
}

// ListAPIKeys lists a tenant's keys (never their secrets).
func (s *Service) ListAPIKeys(ctx context.Context, actor Actor, tenant valdrix.TenantID, page Page) ([]APIKey, string, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return nil, "", err
	}
	return s.store.ListAPIKeys(ctx, tenant, page.Normalize())
}

// RevokeAPIKey revokes a key. Revoking twice is not an error.
func (s *Service) RevokeAPIKey(ctx context.Context, actor Actor, tenant valdrix.TenantID, id string) (APIKey, error) {
	if err := actor.Require(tenant, valdrix.RoleAdmin); err != nil {
		return APIKey{}, err
	}
	var k APIKey
	err := s.store.Atomic(ctx, tenant, func(ctx context.Context) error {
		var err error
		if k, err = s.store.GetAPIKey(ctx, tenant, id); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return nil
		}
		now := s.now().Truncate(time.Microsecond)
		if err := s.store.RevokeAPIKey(ctx, tenant, id, now); err != nil {
			return err
		}
		k.RevokedAt = &now
		return s.audit(ctx, tenant, actor.Principal, actor.IP, "api_key.revoke", id, map[string]any{"prefix": k.Prefix})
	})
	if err != nil {
		return APIKey{}, err
	}
	s.forgetKey(k.Prefix)
	return k, nil
}

var errBadAPIKey = valdrix.Errorf(valdrix.EUNAUTHORIZED, "The API key is not valid.")

// AuthenticateAPIKey returns the principal of a valid, active key. A verified
// key is trusted for APIKeyCacheTTL; revocation on this node takes effect at
// once, on other nodes within that time.
func (s *Service) AuthenticateAPIKey(ctx context.Context, key string) (valdrix.Principal, error) {
	lookup, ok := parseAPIKey(key)
	if !ok {
		return valdrix.Principal{}, errBadAPIKey
	}
	sum := sha256.Sum256([]byte(key))
	now := s.now()

	s.mu.Lock()
	c, hit := s.keyCache[sum]
	s.mu.Unlock()
	if !hit || now.Sub(c.verified) > s.cfg.APIKeyCacheTTL {
		k, err := s.store.LookupAPIKey(ctx, lookup)
		if err != nil {
			if errNotFound(err) {
				return valdrix.Principal{}, errBadAPIKey
			}
			return valdrix.Principal{}, err
		}
		if subtle.ConstantTimeCompare(k.SecretHash, sum[:]) != 1 {
			return valdrix.Principal{}, errBadAPIKey
		}
		c = cachedKey{key: k, verified: now}
		s.mu.Lock()
		if len(s.keyCache) > 10000 {
			clear(s.keyCache)
		}
		s.keyCache[sum] = c
		s.mu.Unlock()
	}
	k := c.key
	if !k.Active(now) {
		return valdrix.Principal{}, valdrix.Errorf(valdrix.EUNAUTHORIZED, "The API key is revoked or expired.")
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= s.cfg.touchGranularity {
		if err := s.store.TouchAPIKey(ctx, k.TenantID, k.ID, now); err != nil {
			s.log.WarnContext(ctx, "record api key use", "api_key_id", k.ID, "error", err)
		} else {
			s.mu.Lock()
			if e, ok := s.keyCache[sum]; ok {
				e.key.LastUsedAt = &now
				s.keyCache[sum] = e
			}
			s.mu.Unlock()
		}
	}
	return valdrix.Principal{Kind: valdrix.PrincipalAPIKey, TenantID: k.TenantID, TenantName: k.TenantName, Role: k.Role, APIKeyID: k.ID}, nil
}

func (s *Service) forgetKey(lookup string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, c := range s.keyCache {
		if c.key.Prefix == lookup {
			delete(s.keyCache, h)
		}
	}
}
