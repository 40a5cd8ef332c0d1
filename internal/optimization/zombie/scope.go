package zombie

import (
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Ref is the compact record of one subject of a Scope: an inventory
// resource, or a resource known only from the ledger (a reservation, a
// capacity reservation, a deleted resource still billed).
type Ref struct {
	Index     int32
	Provider  valdrix.Provider
	AccountID string
	Region    string
	Type      string // "" for a billing-only subject
	ID        string // the inventory id; the billing id for a billing-only subject
	BillingID string
	State     string
	CreatedAt time.Time
	// StateSince is when the resource entered its current state when the
	// inventory says (stopped_at, power_state_changed_at,
	// last_stop_timestamp); zero otherwise.
	StateSince  time.Time
	BillingOnly bool
}

// stateSinceAttrs are the attributes that say when a resource entered its
// state (docs/resources.md).
var stateSinceAttrs = []string{"stopped_at", "power_state_changed_at", "last_stop_timestamp"}

// Index is a relation index a rule looks up during evaluation: every
// inventory resource of one of Types ("azure.*" for every type of a
// provider) is recorded under the keys Keys returns (for example instances
// under the AMI they run, so an image rule can ask whether any instance
// uses an image).
type Index struct {
	Name  string
	Types []string
	Keys  func(r *cloud.Resource) []string
}

// ref is the stored form of a Ref. Account, region, type and state are
// indexes into the scope's string table, so a million refs hold two
// pointers each for the garbage collector to scan.
type ref struct {
	id        string
	billingID string
	created   int64 // Unix seconds; 0 unknown
	since     int64
	slot      int32 // the ledger slot, −1 for none (set by Finish)
	account   uint32
	region    uint32
	typ       uint32
	state     uint32
	provider  uint8
	billing   bool
	excluded  bool
}

// strTable interns the few distinct strings a scope repeats (accounts,
// regions, types, states, providers) as small indexes.
type strTable struct {
	list []string
	idx  map[string]uint32
}

func newStrTable() strTable {
	return strTable{list: []string{""}, idx: map[string]uint32{"": 0}}
}

func (t *strTable) index(v string) uint32 {
	if i, ok := t.idx[v]; ok {
		return i
	}
	i := uint32(len(t.list))
	t.list = append(t.list, v)
	t.idx[v] = i
	return i
}

func (t *strTable) provider(p valdrix.Provider) uint8 { return uint8(t.index(string(p))) }

// strCache remembers the last string interned through it: consecutive
// resources mostly share account, region, type and state.
type strCache struct {
	s string
	i uint32
}

func (c *strCache) index(t *strTable, v string) uint32 {
	if v != c.s || c.i == 0 && v != "" {
		c.s, c.i = v, t.index(v)
	}
	return c.i
}

func (t *strTable) get(i uint32) string { return t.list[i] }

// Scope is what detection knows about one connection: every inventory
// resource and billing-only resource (the subjects), relation indexes, and
// each subject's ledger lines over the window. The engine fills the
// inventory (AddResource) and the ledger (Ledger().AddRow) in two streaming
// passes — they may run at the same time — then calls Finish to join them
// by billing id, and evaluates rules against it; rule tests build small
// ones from fixtures. Reads after Finish are safe for concurrent use.
type Scope struct {
	now      time.Time
	ledger   *Ledger
	refs     chunked[ref]
	byID     idIndex
	specs    map[string][]Index // by type
	indexes  map[string]map[string][]int32
	strs     strTable
	bySlot   []int32     // subject of each ledger slot
	cache    [4]strCache // account, region, type, state
	finished bool
}

// NewScope returns an empty scope for window w at time now with the given
// relation indexes.
func NewScope(w Window, now time.Time, indexes []Index) *Scope {
	s := &Scope{
		now: now, ledger: NewLedger(w), byID: newIDIndex(),
		specs: map[string][]Index{}, indexes: map[string]map[string][]int32{}, strs: newStrTable(),
	}
	for _, ix := range indexes {
		if _, dup := s.indexes[ix.Name]; dup {
			continue // rules may share an index by name
		}
		s.indexes[ix.Name] = map[string][]int32{}
		for _, t := range ix.Types {
			s.specs[t] = append(s.specs[t], ix)
		}
	}
	return s
}

// billingKey normalises a billing id for joining: Azure ids are compared
// without regard to case.
func billingKey(p valdrix.Provider, id string) string {
	if p != valdrix.Azure {
		return id
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(id)
		}
	}
	return id
}

// AddResource records an inventory resource and returns its subject index
// and true, or the index of the resource with the same id added before and
// false (the first one is kept). excluded
// marks a resource that is indexed (other resources may refer to it) but
// never evaluated.
func (s *Scope) AddResource(r *cloud.Resource, excluded bool) (int32, bool) {
	if i, seen := s.byID.find(r.ID, s.refID); seen {
		return i, false
	}
	i := int32(s.refs.len())
	rf := ref{
		provider: s.strs.provider(r.Provider), account: s.cache[0].index(&s.strs, r.AccountID),
		region: s.cache[1].index(&s.strs, r.Region), typ: s.cache[2].index(&s.strs, r.Type), id: r.ID, billingID: r.BillingID,
		state: s.cache[3].index(&s.strs, r.State), excluded: excluded, slot: -1,
	}
	if !r.CreatedAt.IsZero() {
		rf.created = r.CreatedAt.Unix()
	}
	for _, a := range stateSinceAttrs {
		if t, ok := r.AttrTime(a); ok {
			rf.since = t.Unix()
			break
		}
	}
	s.refs.add(rf)
	s.byID.insert(r.ID, i)
	for _, ix := range slices.Concat(s.specs[r.Type], s.specs[string(r.Provider)+".*"]) {
		m := s.indexes[ix.Name]
		for _, k := range ix.Keys(r) {
			if k != "" {
				m[k] = append(m[k], i)
			}
		}
	}
	return i, true
}

// AddRow adds a ledger row (Ledger().AddRow).
func (s *Scope) AddRow(row *ingestion.LedgerRow) { s.ledger.AddRow(row) }

// Finish joins the ledger to the inventory by billing id: each inventory
// resource gets the lines billed to its BillingID, and every other billed
// resource becomes a billing-only subject. It is idempotent; no resource
// or row may be added afterwards.
func (s *Scope) Finish() {
	if s.finished {
		return
	}
	s.finished = true
	l := s.ledger
	s.bySlot = make([]int32, l.slots.len())
	for k := range s.bySlot {
		s.bySlot[k] = -1
	}
	for i := range s.refs.len() {
		rf := s.refs.at(i)
		if rf.billingID == "" {
			continue
		}
		if k, ok := l.slotOf(valdrix.Provider(s.strs.get(uint32(rf.provider))), rf.billingID); ok && s.bySlot[k] < 0 {
			rf.slot, s.bySlot[k] = k, int32(i)
		}
	}
	for k := range l.slots.len() {
		if s.bySlot[k] >= 0 {
			continue
		}
		sl := l.slots.at(k)
		s.bySlot[k] = int32(s.refs.add(ref{provider: s.strs.provider(valdrix.Provider(l.strs.get(uint32(sl.provider)))),
			account: s.strs.index(l.strs.get(sl.account)), region: s.strs.index(l.strs.get(sl.region)),
			id: sl.id, billingID: sl.id, billing: true, slot: int32(k)}))
	}
}

// CommitmentUsed returns the effective cost of the usage a commitment
// covered in the window, and whether any was seen.
func (s *Scope) CommitmentUsed(p valdrix.Provider, id string) (valdrix.Decimal, bool) {
	v, ok := s.ledger.used[billingKey(p, id)]
	return v, ok
}

// Ledger returns the scope's ledger.
func (s *Scope) Ledger() *Ledger { return s.ledger }

// Now returns the scope's time.
func (s *Scope) Now() time.Time { return s.now }

// Len returns the number of subjects.
func (s *Scope) Len() int { return s.refs.len() }

// Ref returns subject i.
func (s *Scope) Ref(i int32) Ref {
	r := s.refs.at(int(i))
	out := Ref{Index: i, Provider: valdrix.Provider(s.strs.get(uint32(r.provider))), AccountID: s.strs.get(r.account),
		Region: s.strs.get(r.region), Type: s.strs.get(r.typ), ID: r.id, BillingID: r.billingID, State: s.strs.get(r.state),
		BillingOnly: r.billing}
	if r.created != 0 {
		out.CreatedAt = time.Unix(r.created, 0).UTC()
	}
	if r.since != 0 {
		out.StateSince = time.Unix(r.since, 0).UTC()
	}
	return out
}

// Excluded reports whether subject i was added as excluded.
func (s *Scope) Excluded(i int32) bool { return s.refs.at(int(i)).excluded }

// BillingTags returns the ledger tags (canonical JSON) of a billing-only
// subject's first row, "" when none.
func (s *Scope) BillingTags(i int32) string {
	if rf := s.refs.at(int(i)); rf.billing {
		return s.ledger.slots.at(int(rf.slot)).tags
	}
	return ""
}

// Lookup returns the subject index of an inventory id.
func (s *Scope) Lookup(id string) (int32, bool) { return s.byID.find(id, s.refID) }

func (s *Scope) refID(i int32) string { return s.refs.at(int(i)).id }

// LookupBilling returns the subject index of a billing id.
func (s *Scope) LookupBilling(p valdrix.Provider, billingID string) (int32, bool) {
	k, ok := s.ledger.slotOf(p, billingID)
	if !ok || !s.finished {
		return 0, false
	}
	return s.bySlot[k], true
}

// LookupAfter is Lookup for a caller reading the inventory in the order it
// was added: the subject after prev is tried before the map.
func (s *Scope) LookupAfter(prev int32, id string) (int32, bool) {
	if n := prev + 1; n >= 0 && int(n) < s.refs.len() {
		if rf := s.refs.at(int(n)); rf.id == id && !rf.billing {
			return n, true
		}
	}
	return s.Lookup(id)
}

// Get returns the inventory resource with id.
func (s *Scope) Get(id string) (Ref, bool) {
	i, ok := s.byID.find(id, s.refID)
	if !ok || s.refs.at(int(i)).billing {
		return Ref{}, false
	}
	return s.Ref(i), true
}

// Find returns the resources recorded under key in the named index.
func (s *Scope) Find(index, key string) []Ref {
	m, ok := s.indexes[index]
	if !ok {
		panic("zombie: index " + index + " is not declared by an enabled rule")
	}
	idx := m[key]
	out := make([]Ref, len(idx))
	for j, i := range idx {
		out[j] = s.Ref(i)
	}
	return out
}

// Usage returns subject i's ledger lines.
func (s *Scope) Usage(i int32) Usage {
	rf := s.refs.at(int(i))
	return s.ledger.usage(rf.slot, s.strs.get(rf.account))
}

// Cost returns subject i's monthly cost: billed from its own ledger lines,
// billed zero when its account has ledger data but the resource has no
// charges, unpriced otherwise.
func (s *Scope) Cost(i int32) Money { return costOf(s.Usage(i)) }

// Subject returns subject i for evaluation, with r its inventory record
// (nil for a billing-only subject) and p the rule's parameters.
func (s *Scope) Subject(i int32, r *cloud.Resource, p Params) *Subject {
	return &Subject{Ref: s.Ref(i), Resource: r, Usage: s.Usage(i), Now: s.now, Params: p, scope: s}
}
