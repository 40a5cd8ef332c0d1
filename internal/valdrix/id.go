package valdrix

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// ID is a UUID in its canonical text form. Identifiers are version 7 UUIDs, so
// they sort by creation time.
type ID = string

// TenantID identifies a tenant.
type TenantID string

// String returns the tenant id as text.
func (t TenantID) String() string { return string(t) }

// NewID returns a new version 7 UUID (RFC 9562) in canonical form. IDs from
// one process are strictly increasing: within a millisecond the 12-bit
// rand_a field counts up (RFC 9562 §6.2, method 1).
func NewID() string { return idGen.next(time.Now()) }

// idGen is process-wide, like crypto/rand: monotonic ids need one sequence.
var idGen = &idGenerator{}

type idGenerator struct {
	mu     sync.Mutex
	lastMs int64
	seq    uint16
}

func (g *idGenerator) next(now time.Time) string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	g.mu.Lock()
	ms := now.UnixMilli()
	if ms <= g.lastMs {
		ms = g.lastMs
		g.seq++
		if g.seq > 0xfff {
			ms++
			g.seq = uint16(b[6]&0x07)<<8 | uint16(b[7])
		}
	} else {
		g.seq = uint16(b[6]&0x07)<<8 | uint16(b[7]) // start low so the counter has room
	}
	g.lastMs = ms
	seq := g.seq
	g.mu.Unlock()
	u := uint64(ms) //nolint:gosec // milliseconds since 1970 are positive
	b[0], b[1], b[2] = byte(u>>40), byte(u>>32), byte(u>>24)
	b[3], b[4], b[5] = byte(u>>16), byte(u>>8), byte(u)
	b[6] = 0x70 | byte(seq>>8) // version 7 and the counter's high bits
	b[7] = byte(seq)
	b[8] = (b[8] & 0x3f) | 0x80 // RFC 9562 variant
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// ValidID reports whether s is a UUID in canonical lower-case text form.
func ValidID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// ParseTenantID validates s as a tenant id; field names the input for errors.
func ParseTenantID(field, s string) (TenantID, error) {
	if !ValidID(s) {
		return "", FieldError(field, "%q is not a tenant id (a UUID such as 0192f0c1-7d4e-7a4b-9c1e-2b3c4d5e6f70)", s)
	}
	return TenantID(s), nil
}
