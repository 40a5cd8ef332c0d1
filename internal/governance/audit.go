package governance

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// SystemTenant holds the audit chain of events that belong to no tenant
// (creating users, rotating keys).
const SystemTenant valdrix.TenantID = "00000000-0000-0000-0000-000000000000"

// AuditEvent is one entry of the append-only audit log. Each tenant has its own
// hash chain: Hash covers every field and PrevHash, so an edited, inserted or
// deleted entry breaks the chain.
type AuditEvent struct {
	TenantID valdrix.TenantID `json:"tenant_id"`
	Seq      int64            `json:"seq"`
	ID       string           `json:"id"`
	At       time.Time        `json:"at"`
	Actor    string           `json:"actor"`
	Action   string           `json:"action"`
	Target   string           `json:"target"`
	IP       string           `json:"ip"`
	// Metadata is a canonical JSON object (keys sorted). It never holds secrets.
	Metadata string `json:"metadata"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// AuditFilter narrows an audit listing.
type AuditFilter struct {
	Action string
	Actor  string
	Since  *time.Time
	Until  *time.Time
}

// ComputeHash returns the event's chain hash: SHA-256 over its fields, each
// length-prefixed, and the previous entry's hash.
func (e AuditEvent) ComputeHash() string {
	h := sha256.New()
	var n [8]byte
	write := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	write("valdrix-audit-v1")
	write(string(e.TenantID))
	write(strconv.FormatInt(e.Seq, 10))
	write(e.ID)
	write(e.At.UTC().Format(time.RFC3339Nano))
	write(e.Actor)
	write(e.Action)
	write(e.Target)
	write(e.IP)
	write(e.Metadata)
	write(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// Chain sets the event's sequence number, previous hash and hash so that it
// follows an entry with sequence prevSeq and hash prevHash (0 and "" for the
// first entry of a chain).
func (e *AuditEvent) Chain(prevSeq int64, prevHash string) {
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.At = e.At.UTC().Truncate(time.Microsecond) // PostgreSQL keeps microseconds
	e.Hash = e.ComputeHash()
}

// CanonicalMetadata encodes metadata as a canonical JSON object.
func CanonicalMetadata(m map[string]any) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(m) // maps marshal with sorted keys
	if err != nil {
		return "", fmt.Errorf("encode audit metadata: %w", err)
	}
	return string(b), nil
}

// AuditProblem is one inconsistency found by VerifyAudit.
type AuditProblem struct {
	TenantID valdrix.TenantID `json:"tenant_id"`
	Seq      int64            `json:"seq"`
	Problem  string           `json:"problem"`
}

// AuditReport is the result of verifying every audit chain.
type AuditReport struct {
	Chains   int            `json:"chains"`
	Events   int64          `json:"events"`
	Problems []AuditProblem `json:"problems"`
}

// OK reports whether no problem was found.
func (r AuditReport) OK() bool { return len(r.Problems) == 0 }

// chainVerifier checks one chain's entries, fed in sequence order.
type chainVerifier struct {
	tenant   valdrix.TenantID
	lastSeq  int64
	lastHash string
	events   int64
	problems []AuditProblem
}

func (v *chainVerifier) add(e AuditEvent) {
	v.events++
	switch {
	case e.Seq != v.lastSeq+1:
		v.problem(e.Seq, fmt.Sprintf("entries %d to %d are missing (deleted)", v.lastSeq+1, e.Seq-1))
	case e.PrevHash != v.lastHash:
		v.problem(e.Seq, "previous-hash link does not match the entry before it")
	}
	if e.ComputeHash() != e.Hash {
		v.problem(e.Seq, "entry was modified: its hash does not match its contents")
	}
	v.lastSeq, v.lastHash = e.Seq, e.Hash
}

func (v *chainVerifier) finish(headSeq int64, headHash string, hasHead bool) {
	switch {
	case !hasHead:
		v.problem(v.lastSeq, "chain has entries but no head record")
	case headSeq != v.lastSeq:
		v.problem(headSeq, fmt.Sprintf("chain head says %d entries but %d remain (entries deleted at the end)", headSeq, v.lastSeq))
	case headHash != v.lastHash:
		v.problem(headSeq, "chain head hash does not match the last entry")
	}
}

func (v *chainVerifier) problem(seq int64, msg string) {
	v.problems = append(v.problems, AuditProblem{TenantID: v.tenant, Seq: seq, Problem: msg})
}
