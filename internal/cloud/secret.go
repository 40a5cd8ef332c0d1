package cloud

import "log/slog"

// redacted is what a secret prints as.
const redacted = "[redacted]"

// Secret is a credential held in plain text in memory only (the store encrypts
// it at rest). It prints, logs and marshals as "[redacted]"; Reveal returns the
// value for the one place that needs it (an SDK credential).
type Secret string

// Reveal returns the secret's plain text.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String returns "[redacted]".
func (s Secret) String() string { return redactedUnlessEmpty(len(s)) }

// GoString returns "[redacted]", so %#v does not leak the value.
func (s Secret) GoString() string { return redactedUnlessEmpty(len(s)) }

// LogValue makes slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redactedUnlessEmpty(len(s))) }

// MarshalText returns "[redacted]": a secret never leaves the process through
// an encoder. Persist it with Reveal.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redactedUnlessEmpty(len(s))), nil }

// SecretBytes is a binary or JSON credential (a GCP service-account key), with
// the same redaction as Secret.
type SecretBytes []byte

// Reveal returns the secret's bytes.
func (s SecretBytes) Reveal() []byte { return []byte(s) }

// String returns "[redacted]".
func (s SecretBytes) String() string { return redactedUnlessEmpty(len(s)) }

// GoString returns "[redacted]".
func (s SecretBytes) GoString() string { return redactedUnlessEmpty(len(s)) }

// LogValue makes slog print "[redacted]".
func (s SecretBytes) LogValue() slog.Value { return slog.StringValue(redactedUnlessEmpty(len(s))) }

// MarshalText returns "[redacted]".
func (s SecretBytes) MarshalText() ([]byte, error) { return []byte(redactedUnlessEmpty(len(s))), nil }

func redactedUnlessEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return redacted
}
