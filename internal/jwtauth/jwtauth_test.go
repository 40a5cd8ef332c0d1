package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jwtauth"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const (
	issuer   = "https://example.supabase.co/auth/v1"
	audience = "authenticated"
	hsSecret = "a-shared-hs256-secret-of-at-least-32-chars"
	tenant   = "0192f0c1-7d4e-7a4b-9c1e-2b3c4d5e6f70"
)

var now = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// jwksServer serves a JWKS whose keys can change, counting fetches.
type jwksServer struct {
	mu      sync.Mutex
	keys    []map[string]string
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKS(t *testing.T) *jwksServer {
	j := &jwksServer{}
	j.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		j.fetches.Add(1)
		j.mu.Lock()
		defer j.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": j.keys})
	}))
	t.Cleanup(j.srv.Close)
	return j
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (j *jwksServer) addRSA(kid string, k *rsa.PublicKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.keys = append(j.keys, map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())})
}

func (j *jwksServer) addEC(kid string, k *ecdsa.PublicKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	pt, _ := k.Bytes() // uncompressed point: 0x04 || X || Y
	j.keys = append(j.keys, map[string]string{"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
		"x": b64(pt[1:33]), "y": b64(pt[33:])})
}

type keys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
}

func newKeys(t *testing.T) keys {
	r1, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	r2, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return keys{rsa: r1, rsa2: r2, ec: ec}
}

func claims(mut func(jwt.MapClaims)) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss": issuer, "aud": audience, "sub": "user-123", "email": "Ada@Example.com",
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"tenant_id": tenant, "valdrix_role": "admin",
	}
	if mut != nil {
		mut(c)
	}
	return c
}

func sign(t *testing.T, m jwt.SigningMethod, kid string, key any, c jwt.MapClaims) string {
	tok := jwt.NewWithClaims(m, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

func newVerifier(t *testing.T, j *jwksServer, mut func(*jwtauth.Config)) *jwtauth.Verifier {
	cfg := jwtauth.Config{Issuer: issuer, Audience: audience, JWKSURL: j.srv.URL, HS256Secret: hsSecret,
		Clock: valdrix.ClockFunc(func() time.Time { return now }), RefreshUnknownKIDEvery: time.Millisecond}
	if mut != nil {
		mut(&cfg)
	}
	v, err := jwtauth.New(t.Context(), cfg)
	require.NoError(t, err)
	return v
}

func TestVerify(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	j := newJWKS(t)
	j.addRSA("rsa-1", &k.rsa.PublicKey)
	j.addEC("ec-1", &k.ec.PublicKey)
	v := newVerifier(t, j, nil)

	rsaPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&k.rsa.PublicKey))})
	good := sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(nil))
	parts := strings.Split(good, ".")
	tamperedPayload := b64([]byte(strings.Replace(string(must(base64.RawURLEncoding.DecodeString(parts[1]))), `"admin"`, `"owner"`, 1)))

	tests := []struct {
		name  string
		token string
		want  *jwtauth.Claims
	}{
		{name: "RS256 from JWKS", token: good,
			want: &jwtauth.Claims{Subject: "user-123", Email: "ada@example.com", TenantID: tenant, Role: valdrix.RoleAdmin}},
		{name: "ES256 from JWKS", token: sign(t, jwt.SigningMethodES256, "ec-1", k.ec, claims(nil)),
			want: &jwtauth.Claims{Subject: "user-123", Email: "ada@example.com", TenantID: tenant, Role: valdrix.RoleAdmin}},
		{name: "HS256 with the shared secret", token: sign(t, jwt.SigningMethodHS256, "", []byte(hsSecret), claims(nil)),
			want: &jwtauth.Claims{Subject: "user-123", Email: "ada@example.com", TenantID: tenant, Role: valdrix.RoleAdmin}},
		{name: "alg none", token: sign(t, jwt.SigningMethodNone, "rsa-1", jwt.UnsafeAllowNoneSignatureType, claims(nil))},
		{name: "algorithm mismatch: ES256 header on an RSA key id", token: sign(t, jwt.SigningMethodES256, "rsa-1", k.ec, claims(nil))},
		{name: "algorithm confusion: HS256 signed with the RSA public key", token: sign(t, jwt.SigningMethodHS256, "rsa-1", rsaPEM, claims(nil))},
		{name: "HS384 is not accepted", token: sign(t, jwt.SigningMethodHS384, "", []byte(hsSecret), claims(nil))},
		{name: "bad signature", token: parts[0] + "." + tamperedPayload + "." + parts[2]},
		{name: "signed by an unknown key", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa2, claims(nil))},
		{name: "HS256 with a wrong secret", token: sign(t, jwt.SigningMethodHS256, "", []byte("another-secret-another-secret-another"), claims(nil))},
		{name: "expired", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Hour).Unix() }))},
		{name: "no expiry", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { delete(c, "exp") }))},
		{name: "not yet valid", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Hour).Unix() }))},
		{name: "wrong issuer", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { c["iss"] = "https://evil.example" }))},
		{name: "wrong audience", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { c["aud"] = "someone-else" }))},
		{name: "no tenant", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { delete(c, "tenant_id") }))},
		{name: "unknown role", token: sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) { c["valdrix_role"] = "authenticated" }))},
		{name: "garbage", token: "not.a.jwt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := v.Verify(context.Background(), tt.token)
			if tt.want == nil {
				require.Error(t, err)
				require.Equal(t, valdrix.EUNAUTHORIZED, valdrix.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, *tt.want, got)
		})
	}
}

func TestVerifyRefreshesJWKSOnUnknownKid(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	j := newJWKS(t)
	j.addRSA("rsa-1", &k.rsa.PublicKey)
	v := newVerifier(t, j, nil)
	_, err := v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(nil)))
	require.NoError(t, err)
	before := j.fetches.Load()

	// The issuer rotates in a new key; a token signed with it names a kid the
	// cache has not seen, which must trigger a refresh.
	j.addRSA("rsa-2", &k.rsa2.PublicKey)
	_, err = v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "rsa-2", k.rsa2, claims(nil)))
	require.NoError(t, err)
	require.Greater(t, j.fetches.Load(), before, "an unknown kid refreshes the JWKS")

	// Known kids are served from the cache.
	after := j.fetches.Load()
	_, err = v.Verify(context.Background(), sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(nil)))
	require.NoError(t, err)
	require.Equal(t, after, j.fetches.Load())
}

func TestNestedClaimsAndConfig(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	j := newJWKS(t)
	j.addRSA("rsa-1", &k.rsa.PublicKey)
	v := newVerifier(t, j, func(c *jwtauth.Config) {
		c.TenantClaim, c.RoleClaim = "app_metadata.valdrix.tenant", "app_metadata.valdrix.role"
	})
	tok := sign(t, jwt.SigningMethodRS256, "rsa-1", k.rsa, claims(func(c jwt.MapClaims) {
		c["app_metadata"] = map[string]any{"valdrix": map[string]any{"tenant": tenant, "role": "viewer"}}
	}))
	got, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, valdrix.RoleViewer, got.Role)
	require.Equal(t, valdrix.TenantID(tenant), got.TenantID)

	for _, tt := range []struct {
		name string
		cfg  jwtauth.Config
	}{
		{name: "no issuer", cfg: jwtauth.Config{Audience: "a", HS256Secret: hsSecret}},
		{name: "no audience", cfg: jwtauth.Config{Issuer: "i", HS256Secret: hsSecret}},
		{name: "no keys", cfg: jwtauth.Config{Issuer: "i", Audience: "a"}},
		{name: "short secret", cfg: jwtauth.Config{Issuer: "i", Audience: "a", HS256Secret: "short"}},
	} {
		_, err := jwtauth.New(t.Context(), tt.cfg)
		require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), tt.name)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
