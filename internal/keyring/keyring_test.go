package keyring_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/keyring"
)

var now = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestEncryptDecrypt(t *testing.T) {
	t.Parallel()
	k := keyring.Generate(now)
	ct, id := k.Encrypt([]byte("client-secret-123"), []byte("tenantA|secret1"))
	require.Equal(t, k.Primary(), id)
	got, err := keyring.KeyIDOf(ct)
	require.NoError(t, err)
	require.Equal(t, id, got)
	require.NotContains(t, string(ct), "client-secret-123")

	pt, err := k.Decrypt(ct, []byte("tenantA|secret1"))
	require.NoError(t, err)
	require.Equal(t, "client-secret-123", string(pt))

	tests := []struct {
		name string
		ct   []byte
		aad  string
	}{
		{name: "other owner", ct: ct, aad: "tenantB|secret1"},
		{name: "tampered", ct: flipLast(ct), aad: "tenantA|secret1"},
		{name: "truncated", ct: ct[:5], aad: "tenantA|secret1"},
		{name: "empty", ct: nil, aad: "tenantA|secret1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := k.Decrypt(tt.ct, []byte(tt.aad))
			require.ErrorIs(t, err, keyring.ErrDecrypt)
		})
	}
}

func flipLast(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)-1] ^= 1
	return c
}

func TestRotationKeepsOldKeysForDecryption(t *testing.T) {
	t.Parallel()
	k := keyring.Generate(now)
	old := k.Primary()
	ct, _ := k.Encrypt([]byte("v1"), nil)
	require.NoError(t, k.AddNew(now.Add(time.Hour)))
	require.NotEqual(t, old, k.Primary())
	pt, err := k.Decrypt(ct, nil)
	require.NoError(t, err)
	require.Equal(t, "v1", string(pt))

	ct2, id2 := k.Encrypt([]byte("v2"), nil)
	require.Equal(t, k.Primary(), id2)
	k.Retain(map[string]bool{})
	require.Equal(t, []string{id2}, k.IDs())
	_, err = k.Decrypt(ct, nil)
	require.ErrorIs(t, err, keyring.ErrDecrypt, "a retired key no longer decrypts")
	pt, err = k.Decrypt(ct2, nil)
	require.NoError(t, err)
	require.Equal(t, "v2", string(pt))
}

func TestParse(t *testing.T) {
	t.Parallel()
	k := keyring.Generate(now)
	enc := k.Encode()
	back, err := keyring.Parse(enc)
	require.NoError(t, err)
	require.Equal(t, k.IDs(), back.IDs())

	tests := []struct{ name, in string }{
		{name: "empty", in: ""},
		{name: "no id", in: "AAAA"},
		{name: "short key", in: "k1:AAAA"},
		{name: "bad id", in: "k 1:" + strings.Repeat("A", 44)},
		{name: "duplicate", in: enc + "," + enc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := keyring.Parse(tt.in)
			require.Error(t, err)
			if tt.in != "" {
				require.NotContains(t, err.Error(), strings.SplitN(enc, ":", 2)[1], "errors never carry key material")
			}
		})
	}
	require.NotContains(t, k.String(), strings.SplitN(enc, ":", 2)[1])
}

func TestLoadOrCreateFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", keyring.KeyFileName)
	k, created, err := keyring.LoadOrCreateFile(path, now)
	require.NoError(t, err)
	require.True(t, created)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	again, created, err := keyring.LoadOrCreateFile(path, now)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, k.IDs(), again.IDs())

	require.NoError(t, os.WriteFile(path, []byte("garbage"), 0o600))
	_, _, err = keyring.LoadOrCreateFile(path, now)
	require.Error(t, err, "a corrupt key file is an error, never silently replaced")
}
