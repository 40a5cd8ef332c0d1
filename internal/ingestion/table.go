package ingestion

import (
	"hash/maphash"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// The tabular readers (CSV and Parquet, every format but GCP's nested JSON)
// share one engine. A tableSpec names the source columns a format needs: the
// charge day, the billing period, string dimensions and decimal metrics. The
// engine interns every dimension value to a small integer per slot and sums
// the metrics per (day, period, dimension ids) in an aggregator keyed by a
// fixed-size integer struct. Only when the file is done is each distinct key
// turned back into strings and mapped to FOCUS by the format's finalize
// function, once per group instead of once per line. The mapping must be
// linear in the metrics (a sum of mapped lines equals the mapping of the
// summed lines), which holds because every metric rule of every format
// depends only on dimension values that are part of the key.

const (
	maxDims    = 32
	maxMetrics = 12
)

// slotKind says how a dimension slot gets its value.
type slotKind uint8

const (
	slotString    slotKind = iota // one column, its text
	slotObject                    // one column holding a JSON object or a map; value is canonical JSON
	slotComposite                 // many columns chosen by a matcher; value is canonical JSON of the non-empty ones
	slotMapValue                  // the value at key mapKey in a JSON object or map column
)

// dimSpec describes one dimension slot.
type dimSpec struct {
	label    string   // column name shown in errors
	names    []string // accepted header names, matched after normalising
	kind     slotKind
	required bool
	mapKey   string                                    // slotMapValue: the key to read
	match    func(header string) (key string, ok bool) // slotComposite: which columns, under which key
	check    func(string) error                        // validates each distinct value once
	// braceless accepts Azure's tags text without the surrounding braces.
	braceless bool
}

// metricSpec describes one metric slot: the first candidate column with a
// value on a row gives the row's value (COALESCE).
type metricSpec struct {
	label      string
	candidates [][]string
	// products are tried when no candidate has a value: the product of two
	// columns (Azure's PayGPrice × Quantity).
	products [][2][]string
}

// tableSpec is one format's view of a table.
type tableSpec struct {
	format   Format
	day      dimSpec // the charge period start
	dayAlt   []dimSpec
	period   dimSpec // the billing period start (optional)
	dims     []dimSpec
	metrics  []metricSpec
	finalize func(g *group, row *LedgerRow) error // sets every field of row
}

// rawKey identifies one group of lines: day, period and the interned id of
// every dimension slot.
type rawKey struct {
	day    valdrix.Date
	period valdrix.Month
	dims   [maxDims]uint32
}

// rawSums are the sums of one group.
type rawSums struct {
	sums    [maxMetrics]valdrix.Decimal
	present uint16 // bit i: some line carried metric i
	lines   int64
}

// aggregator sums metrics per rawKey. Entries live in fixed-size blocks in
// the order they were created; each charge day has its own open-addressing
// index over them (linear probing, load factor at most 1/2) with a hash that
// mixes only the dimension words a spec uses. Exports are written roughly
// in time order, so the index being probed is the current day's: small and
// in cache, where one index over a month of groups would miss on most lines.
type aggregator struct {
	// mu guards days and blocks while the workers add to it and an
	// early emitter (dayEmitter) reads the days that are finished.
	mu      sync.Mutex
	nd      int // dimension slots in use
	days    map[valdrix.Date]*dayIndex
	lastDay valdrix.Date
	last    *dayIndex
	size    int // slots of the newest day's index: the next day's start
	blocks  [][]aggEntry
	// gone counts, per block, the entries of released days; a block whose
	// entries are all gone is set to nil and its memory kept in free for
	// the next block, so that a read's finished days do not hold memory.
	gone  []int32
	free  [][]aggEntry
	n     int
	guess int // the entry add tries first: the one after the last added to
}

// dayIndex indexes the entries of one charge day.
type dayIndex struct {
	slots []int32 // index of the entry, -1 when empty
	// order lists the day's entries as they were created: reading them in
	// this order walks the entry blocks front to back (a day's entries are
	// mostly adjacent), where the slots' hash order jumps between blocks.
	order []int32
}

// aggBlock is the number of entries per block: entries live in fixed-size
// blocks so that growing never copies them or leaves half-empty capacity.
const aggBlock = 1 << 12

func (a *aggregator) entry(i int) *aggEntry { return &a.blocks[i/aggBlock][i%aggBlock] }

func (a *aggregator) push(k *rawKey) int {
	if a.n%aggBlock == 0 {
		var b []aggEntry
		if n := len(a.free); n > 0 {
			b, a.free[n-1] = a.free[n-1], nil
			a.free = a.free[:n-1]
		} else {
			b = make([]aggEntry, aggBlock)
		}
		a.blocks = append(a.blocks, b)
		a.gone = append(a.gone, 0)
	}
	i := a.n
	a.n++
	e := a.entry(i)
	e.key, e.sums = *k, rawSums{} // a reused block holds old sums
	return i
}

// release drops the entries of a day that has been emitted: no line of it
// is added any more. Blocks left without entries are reused by push.
func (a *aggregator) release(day valdrix.Date) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ix := a.days[day]
	if ix == nil {
		return
	}
	delete(a.days, day)
	if a.last == ix {
		a.last = nil
	}
	for _, i := range ix.order {
		b := int(i) / aggBlock
		if a.gone[b]++; a.gone[b] == aggBlock {
			a.free = append(a.free, a.blocks[b])
			a.blocks[b] = nil
		}
	}
}

// aggEntry keeps a group's key and sums together: one line's update then
// touches adjacent memory.
type aggEntry struct {
	key  rawKey
	sums rawSums
}

func newAggregator(nd int) *aggregator {
	return &aggregator{nd: nd, days: map[valdrix.Date]*dayIndex{}}
}

// index returns the index of day, creating it.
func (a *aggregator) index(day valdrix.Date) *dayIndex {
	if a.last != nil && a.lastDay == day {
		return a.last
	}
	ix := a.days[day]
	if ix == nil {
		// Days of one export hold similar numbers of groups: a new day's
		// index starts at the size the previous one reached, instead of
		// doubling its way there (each doubling rehashes every entry).
		ix = &dayIndex{}
		a.resize(ix, max(1<<8, a.size))
		a.days[day] = ix
	}
	a.lastDay, a.last = day, ix
	return ix
}

func (a *aggregator) resize(ix *dayIndex, n int) {
	a.size = n
	ix.slots = make([]int32, n)
	for i := range ix.slots {
		ix.slots[i] = -1
	}
	mask := uint64(n - 1)
	for _, e := range ix.order {
		j := a.hash(&a.entry(int(e)).key) & mask
		for ix.slots[j] >= 0 {
			j = (j + 1) & mask
		}
		ix.slots[j] = e
	}
}

// hash hashes a key's period and dimension ids. Each pair of ids is
// multiplied by its own odd constant and the products summed, so the
// multiplications do not wait on each other; a final mix spreads the sum
// over the low bits the index uses.
func (a *aggregator) hash(k *rawKey) uint64 {
	h := uint64(uint32(k.period)) * 0x9E3779B97F4A7C15
	for i := 0; i < a.nd; i += 2 {
		h += (uint64(k.dims[i]) | uint64(k.dims[i+1])<<32) * hashMul[i/2]
	}
	h ^= h >> 32
	h *= 0xff51afd7ed558ccd
	return h ^ h>>29
}

// hashMul are odd 64-bit constants, one per pair of dimension slots: the
// first outputs of splitmix64 seeded with 0, made odd.
var hashMul = [maxDims / 2]uint64{
	0xe220a8397b1dcdaf, 0x6e789e6aa1b965f5, 0x06c45d188009454f, 0xf88bb8a8724c81ed,
	0x1b39896a51a8749b, 0x53cb9f0c747ea2eb, 0x2c829abe1f4532e1, 0xc584133ac916ab3d,
	0x3ee5789041c98ac3, 0xf3b8488c368cb0a7, 0x657eecdd3cb13d09, 0xc2d326e0055bdef7,
	0x8621a03fe0bbdb7b, 0x8e1f7555983aa92f, 0xb54e0f1600cc4d19, 0x84bb3f97971d80ab,
}

// add adds one line's metrics; it reports the metric slot that overflowed, or -1.
func (a *aggregator) add(k *rawKey, vals *[maxMetrics]valdrix.Decimal, present uint16, lines int64, n int) int {
	// The entry after the previous key's is tried first: windows list
	// their groups in row order, which repeats from window to window (the
	// same resources every hour), so runs of groups meet their entries in
	// the order they were created — adjacent memory, and no index probe.
	var i int32
	if g := a.guess; g < a.n && a.blocks[g/aggBlock] != nil && a.sameKey(a.entry(g), k) {
		i = int32(g)
	} else {
		i = a.find(k)
	}
	a.guess = int(i) + 1
	s := &a.entry(int(i)).sums
	for m := 0; m < n; m++ {
		v, ok := s.sums[m].Add(vals[m])
		if !ok {
			return m
		}
		s.sums[m] = v
	}
	s.present |= present
	s.lines += lines
	return -1
}

// find returns the index of k's entry, creating it.
func (a *aggregator) find(k *rawKey) int32 {
	ix := a.index(k.day)
	mask := uint64(len(ix.slots) - 1)
	j := a.hash(k) & mask
	for {
		i := ix.slots[j]
		if i < 0 {
			i = int32(a.push(k))
			ix.slots[j] = i
			ix.order = append(ix.order, i)
			if 2*len(ix.order) > len(ix.slots) {
				a.resize(ix, 2*len(ix.slots))
			}
			return i
		}
		if a.sameKey(a.entry(int(i)), k) {
			return i
		}
		j = (j + 1) & mask
	}
}

func (a *aggregator) sameKey(e *aggEntry, k *rawKey) bool {
	return e.key.period == k.period && e.key.day == k.day && slices.Equal(e.key.dims[:a.nd], k.dims[:a.nd])
}

// interner maps the distinct values of one slot to ids; id 0 is "".
//
// Its index is an open-addressing table of 64-bit words, each the top 32
// bits of a string's hash and its id plus one (0: empty), placed by the top
// bits of the hash: doubling the table re-places the words without hashing
// any string again, where a map of strings would rehash every key as it
// grows (a slot of resource ids grows to hundreds of thousands). New
// strings are copied into shared chunks rather than allocated one by one.
type interner struct {
	strs  []string
	index []uint64
	shift uint // 64 - log2(len(index))
	seed  maphash.Seed
	chunk []byte // the chunk new strings are copied into
}

func newInterner() *interner {
	in := &interner{strs: []string{""}, seed: maphash.MakeSeed()}
	in.resize(64)
	in.place(in.hash(""), 0)
	return in
}

func (in *interner) hash(s string) uint64 { return maphash.String(in.seed, s) }

// get returns s's id.
func (in *interner) get(s string) (uint32, bool) {
	h := in.hash(s)
	tag, mask := h>>32, uint64(len(in.index)-1)
	for j := h >> in.shift; ; j = (j + 1) & mask {
		e := in.index[j]
		if e == 0 {
			return 0, false
		}
		if e>>32 == tag {
			if id := uint32(e) - 1; in.strs[id] == s {
				return id, true
			}
		}
	}
}

// add interns s, which is not interned yet, and returns its id.
func (in *interner) add(s string) uint32 {
	id := uint32(len(in.strs))
	in.strs = append(in.strs, in.copy(s))
	if 2*len(in.strs) > len(in.index) {
		in.resize(2 * len(in.index))
	}
	in.place(in.hash(s), id)
	return id
}

// lookup returns s's id, interning it, and whether it is new. New strings
// are copied, since callers pass views into reused buffers.
func (in *interner) lookup(s string) (uint32, bool) {
	if id, ok := in.get(s); ok {
		return id, false
	}
	return in.add(s), true
}

// place records id under hash h.
func (in *interner) place(h uint64, id uint32) {
	mask := uint64(len(in.index) - 1)
	j := h >> in.shift
	for in.index[j] != 0 {
		j = (j + 1) & mask
	}
	in.index[j] = h>>32<<32 | uint64(id+1)
}

// resize makes the index n words (a power of two) and re-places every
// word by its stored top bits of the hash.
func (in *interner) resize(n int) {
	old := in.index
	in.index = make([]uint64, n)
	in.shift = uint(64 - bits.Len(uint(n-1)))
	mask := uint64(n - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		j := e >> in.shift // the hash's top bits are the word's
		for in.index[j] != 0 {
			j = (j + 1) & mask
		}
		in.index[j] = e
	}
}

// copy returns a copy of s in the current chunk, starting a new one when it
// is full; chunks are never written again where strings point into them.
func (in *interner) copy(s string) string {
	const size = 64 << 10
	if len(s) == 0 || len(s) > size/8 {
		return strings.Clone(s)
	}
	if len(in.chunk)+len(s) > cap(in.chunk) {
		in.chunk = make([]byte, 0, size)
	}
	start := len(in.chunk)
	in.chunk = append(in.chunk, s...)
	return unsafe.String(&in.chunk[start], len(s))
}

// group is one rolled-up key as the finalize functions see it.
type group struct {
	spec   *tableSpec
	day    valdrix.Date
	period valdrix.Month
	dims   [maxDims]string
	sums   [maxMetrics]valdrix.Decimal
	has    uint16
	lines  int64
	svc    map[serviceKey]serviceHit // service lookups of the groups seen so far
}

func (g *group) dim(i int) string { return g.dims[i] }

type serviceKey struct {
	p   valdrix.Provider
	key string
}

type serviceHit struct {
	info  serviceInfo
	known bool
}

// service is lookupService, remembered for the rest of the groups: a day's
// thousands of rows name a few dozen services.
func (g *group) service(p valdrix.Provider, key string) (serviceInfo, bool) {
	k := serviceKey{p, key}
	if h, ok := g.svc[k]; ok {
		return h.info, h.known
	}
	info, known := lookupService(p, key)
	if g.svc == nil {
		g.svc = map[serviceKey]serviceHit{}
	}
	g.svc[k] = serviceHit{info, known}
	return info, known
}

// metric returns metric i's sum and whether any line carried it.
func (g *group) metric(i int) (valdrix.Decimal, bool) { return g.sums[i], g.has&(1<<i) != 0 }

// emitDays turns the table's groups on charge days from from on into
// ledger rows one charge day at a time, two days in parallel: each day's
// groups are mapped to FOCUS, sorted, and rows of equal keys merged (source
// values that map to the same FOCUS row), then handed to out in day order.
// Only two days of rows exist at once.
func emitDays(spec *tableSpec, agg *aggregator, strs [][]string, from valdrix.Date, r *Rollup, out func([]LedgerRow) error) error {
	var days []valdrix.Date
	for d := range agg.days {
		if d >= from {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	var bufs [2][]LedgerRow
	var errs [2]error
	for i := 0; i < len(days); i += 2 {
		var wg sync.WaitGroup
		for k := range min(2, len(days)-i) {
			wg.Go(func() { bufs[k], errs[k] = emitDay(spec, agg, strs, days[i+k], bufs[k][:0]) })
		}
		wg.Wait()
		for k := range min(2, len(days)-i) {
			if errs[k] != nil {
				return errs[k]
			}
			if err := emitRows(r, bufs[k], out); err != nil {
				return err
			}
		}
	}
	return nil
}

// emitRows merges a day's ordered rows into the roll-up's totals and hands
// them to out, then drops the buffer's string references.
func emitRows(r *Rollup, buf []LedgerRow, out func([]LedgerRow) error) error {
	defer clear(buf)
	rows, err := r.mergeSorted(buf)
	if err != nil {
		return err
	}
	return out(rows)
}

// slotStrings returns the strings of every slot's interner as they are now.
// Ids handed out so far stay valid in the returned slices while workers go
// on interning (appends do not move what the slices see).
func (st *tableState) slotStrings() [][]string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	strs := make([][]string, len(st.slots))
	for d, in := range st.slots {
		strs[d] = in.strs
	}
	return strs
}

// emitDay appends the rows of one charge day to buf, ordered so that rows
// of one key are adjacent.
func emitDay(spec *tableSpec, agg *aggregator, strs [][]string, day valdrix.Date, buf []LedgerRow) ([]LedgerRow, error) {
	entries := agg.dayEntries(day)
	buf = slices.Grow(buf, len(entries))
	g := group{spec: spec}
	for _, e := range entries {
		g.day, g.period = e.key.day, e.key.period
		for d := range spec.dims {
			g.dims[d] = strs[d][e.key.dims[d]]
		}
		g.sums, g.has, g.lines = e.sums.sums, e.sums.present, e.sums.lines
		buf = buf[:len(buf)+1] // grown above; finalize sets the whole row
		row := &buf[len(buf)-1]
		if err := spec.finalize(&g, row); err != nil {
			return buf, err
		}
		row.ChargeDay, row.BillingPeriod, row.LineCount = g.day, g.period, g.lines
	}
	orderDay(buf)
	return buf, nil
}

// dayEntries returns the table's entries of one charge day, in creation
// order. They are found under the table's lock (workers may still be
// adding other days); the entries themselves are not written any more.
func (a *aggregator) dayEntries(day valdrix.Date) []*aggEntry {
	a.mu.Lock()
	defer a.mu.Unlock()
	ix := a.days[day]
	if ix == nil {
		return nil
	}
	out := make([]*aggEntry, len(ix.order))
	for k, i := range ix.order {
		out[k] = a.entry(int(i))
	}
	return out
}

// normName normalises a header for matching: lower case letters and digits
// only, so "lineItem/UsageType", "line_item_usage_type" and "LineItemUsageType"
// are the same column.
func normName(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		}
	}
	return b.String()
}

// names normalises a list of header names.
func names(ns ...string) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = normName(n)
	}
	return out
}

// setMissing turns "no line carried it" into Missing bits and zero values.
func setMissing(row *LedgerRow, bit Missing, has bool) {
	if !has {
		row.Missing |= bit
	}
}

// optional sets an optional metric of row from metric slot m of the group,
// with its Missing bit when no line carried it.
func (g *group) optional(row *LedgerRow, dst *valdrix.Decimal, bit Missing, m int) bool {
	v, has := g.metric(m)
	*dst = v
	setMissing(row, bit, has)
	return has
}

// setVCPUs sets row.VCPUs from text, or MissingVCPUs when it is empty or
// not a number.
func setVCPUs(row *LedgerRow, text string) {
	if n, err := valdrix.ParseDecimal(text); text != "" && err == nil {
		row.VCPUs = n
		return
	}
	row.Missing |= MissingVCPUs
}
