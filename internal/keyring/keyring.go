// Package keyring encrypts tenant secrets at rest with AES-256-GCM. Every
// ciphertext names the key that made it, so keys can be rotated: the primary
// key encrypts, every key in the ring decrypts.
//
// It is a leaf: standard library only. Key material never appears in its
// errors, logs or String output.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KeySize is the AES-256 key size in bytes.
const KeySize = 32

const format = 1 // ciphertext layout version

// Keyring is an ordered set of keys. The first key is the primary.
type Keyring struct {
	ids   []string
	aeads map[string]cipher.AEAD
	raw   map[string][]byte
}

// ErrDecrypt is returned when a ciphertext cannot be opened: a wrong key, a
// different binding (AAD) or tampering.
var ErrDecrypt = errors.New("secret cannot be decrypted (wrong key, wrong owner or tampered)")

// Parse reads a keyring from its text form: comma-separated "id:base64key"
// pairs, primary first. Errors never contain key material.
func Parse(s string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}, raw: map[string][]byte{}}
	for i, part := range strings.Split(strings.TrimSpace(s), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || !validID(id) {
			return nil, fmt.Errorf("key %d: want id:base64key with an id of letters, digits, '-' or '_'", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("key %q: want %d bytes, base64-encoded", id, KeySize)
		}
		if err := k.add(id, key, false); err != nil {
			return nil, err
		}
	}
	if len(k.ids) == 0 {
		return nil, errors.New("keyring is empty")
	}
	return k, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (k *Keyring) add(id string, key []byte, primary bool) error {
	if _, dup := k.aeads[id]; dup {
		return fmt.Errorf("key id %q appears twice", id)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("key %q: %w", id, err)
	}
	k.aeads[id] = aead
	k.raw[id] = append([]byte(nil), key...)
	if primary {
		k.ids = append([]string{id}, k.ids...)
	} else {
		k.ids = append(k.ids, id)
	}
	return nil
}

// Generate returns a keyring with one new random key.
func Generate(now time.Time) *Keyring {
	k := &Keyring{aeads: map[string]cipher.AEAD{}, raw: map[string][]byte{}}
	if err := k.AddNew(now); err != nil {
		panic(err) // a fresh ring cannot hold a duplicate id
	}
	return k
}

// AddNew generates a key, makes it the primary and returns nil, keeping the
// older keys for decryption.
func (k *Keyring) AddNew(now time.Time) error {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	var suffix [3]byte
	_, _ = rand.Read(suffix[:])
	id := "k" + now.UTC().Format("20060102T150405") + "-" + base64.RawURLEncoding.EncodeToString(suffix[:])
	return k.add(id, key, true)
}

// Primary returns the id of the key that encrypts.
func (k *Keyring) Primary() string { return k.ids[0] }

// IDs returns the key ids, primary first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Retain drops every key whose id is not in keep (the primary is always kept).
func (k *Keyring) Retain(keep map[string]bool) {
	ids := k.ids[:0]
	for i, id := range k.ids {
		if i == 0 || keep[id] {
			ids = append(ids, id)
			continue
		}
		delete(k.aeads, id)
		delete(k.raw, id)
	}
	k.ids = ids
}

// Encode returns the keyring's text form (it contains key material: write it
// only to the key file or show it once to an operator).
func (k *Keyring) Encode() string {
	parts := make([]string, len(k.ids))
	for i, id := range k.ids {
		parts[i] = id + ":" + base64.StdEncoding.EncodeToString(k.raw[id])
	}
	return strings.Join(parts, ",")
}

// String hides key material.
func (k *Keyring) String() string {
	return fmt.Sprintf("keyring(%d keys, primary %s)", len(k.ids), k.Primary())
}

// LogValue hides key material from slog.
func (k *Keyring) LogValue() slog.Value { return slog.StringValue(k.String()) }

// Encrypt seals plaintext with the primary key. aad binds the ciphertext to
// its owner (for example tenant id and secret id): decrypting with other aad
// fails. The result is: format byte, key-id length, key id, nonce, sealed data.
func (k *Keyring) Encrypt(plaintext, aad []byte) (ciphertext []byte, keyID string) {
	id := k.ids[0]
	aead := k.aeads[id]
	out := make([]byte, 0, 2+len(id)+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out = append(out, format, byte(len(id)))
	out = append(out, id...)
	nonce := make([]byte, aead.NonceSize())
	_, _ = rand.Read(nonce)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, aad), id
}

// KeyIDOf returns the id of the key that made ciphertext.
func KeyIDOf(ciphertext []byte) (string, error) {
	if len(ciphertext) < 2 || ciphertext[0] != format || len(ciphertext) < 2+int(ciphertext[1]) {
		return "", ErrDecrypt
	}
	return string(ciphertext[2 : 2+int(ciphertext[1])]), nil
}

// Decrypt opens a ciphertext made by Encrypt with any key of the ring.
func (k *Keyring) Decrypt(ciphertext, aad []byte) ([]byte, error) {
	id, err := KeyIDOf(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("key %q is not in the keyring: %w", id, ErrDecrypt)
	}
	rest := ciphertext[2+len(id):]
	if len(rest) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrDecrypt
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// KeyFileName is the key file's name inside the data directory.
const KeyFileName = "encryption-keys"

// LoadFile reads the keyring stored at path.
func LoadFile(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateFile reads the keyring at path, or creates it (mode 0600) with
// one new key. created reports whether it was created.
func LoadOrCreateFile(path string, now time.Time) (k *Keyring, created bool, err error) {
	k, err = LoadFile(path)
	if err == nil {
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	k = Generate(now)
	if err := WriteFile(path, k); err != nil {
		return nil, false, err
	}
	return k, true, nil
}

// WriteFile stores the keyring at path atomically with mode 0600.
func WriteFile(path string, k *Keyring) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".keys-*")
	if err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if _, err := f.WriteString(k.Encode() + "\n"); err != nil {
		_ = f.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write key file: %w", err)
	}
	return nil
}
