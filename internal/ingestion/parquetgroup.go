package ingestion

import (
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// grouper assigns the rows of a window dense group ids by their whole key
// without hashing wide keys: the key columns are folded into one integer
// per row (acc = acc·width + value, widths from each column's range), and
// when the next column would overflow 64 bits the accumulated values are
// renumbered densely first. Equal keys get equal ids exactly; no hash
// collision can merge two groups.
type grouper struct {
	acc   []uint64
	card  uint64 // every acc value is below card
	gids  []uint32
	reps  []int32   // per group: its first row
	cols  []foldCol // queued by fold
	first []int32   // direct renumbering when card is small
	tab   []denseSlot
	gen   uint32
	// expect is the most groups a renumbering has found: the next one's
	// table is sized for it.
	expect int
	byID   []uint64 // the key of each id, while renumbering with the table
	shift  uint
	scr    []uint32
	of     []int32  // uniform's scratch: per group, two columns' values
	keys   []uint32 // per dimension: each group's id
	// per-group sums of the window
	sums    []valdrix.Decimal
	present []uint16
	lines   []int64
	mvals   [maxMetrics][]valdrix.Decimal
	mvalid  [maxMetrics][]bool
}

type denseSlot struct {
	key uint64
	gen uint32
	val uint32
}

// scratch returns a reusable uint32 buffer of n elements.
func (g *grouper) scratch(n int) []uint32 {
	g.scr = grow(g.scr, n)
	return g.scr
}

func (g *grouper) start(n int) {
	g.acc = slices.Grow(g.acc[:0], n)[:n]
	clear(g.acc)
	g.card = 1
}

// foldCol is one key column of the window waiting to be folded: its values
// range over [lo, lo+width).
type foldCol struct {
	vals  []int32
	lo    int64
	width uint64
}

// fold queues one key column (dimension ids, or dictionary codes with -1
// for null); group folds the queued columns. Columns holding one value are
// dropped: they do not split any group. uint32 ids are read as int32, which
// maps distinct values to distinct values.
func fold[T ~int32 | ~uint32](g *grouper, col []T) {
	if len(col) == 0 {
		return
	}
	v := unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(col))), len(col))
	lo, hi := v[0], v[0]
	for _, x := range v {
		lo = min(lo, x)
		hi = max(hi, x)
	}
	foldRange(g, v, lo, hi)
}

// foldRange queues a key column whose values are known to lie in [lo, hi]
// (a dictionary's codes): no pass to find the range. The range may be wider
// than the values; grouping stays exact.
func foldRange(g *grouper, v []int32, lo, hi int32) {
	if lo >= hi {
		return
	}
	g.cols = append(g.cols, foldCol{vals: v, lo: int64(lo), width: uint64(int64(hi)-int64(lo)) + 1})
}

// group folds the queued columns into acc, up to four per pass over it
// (acc = ((acc·w1 + v1)·w2 + v2)…), and numbers the rows' groups (gids,
// reps). It reports false when a value lies outside its column's stated
// range (a corrupt page's dictionary index past the dictionary's end),
// which would make the grouping inexact.
//
// When the next column would not fit in 64 bits, the groups so far are
// numbered first. A column that then holds one value within every group
// cannot split any and is dropped without folding — in billing data most
// columns are attributes of the account, resource or usage type folded
// before them — and only the others are folded on, from the groups' ids.
func (g *grouper) group() bool {
	cols := g.cols
	defer func() {
		clear(g.cols)
		g.cols = g.cols[:0]
	}()
	ok := true
	for len(cols) > 0 {
		k, w := 0, uint64(1)
		for k < len(cols) && k < 4 {
			c := cols[k].width
			if w > math.MaxUint64/c || g.card > math.MaxUint64/(w*c) {
				break
			}
			w *= c
			k++
		}
		if !ok {
			return false // acc may lie past card: not numbered
		}
		if k == 0 {
			// After numbering, card is at most the window's row count, so
			// any column (width ≤ 2³²) fits.
			g.renumber(true)
			split := cols[:0]
			for i := 0; i < len(cols); i += 2 {
				b := &cols[i] // checked with itself when it has no pair
				if i+1 < len(cols) {
					b = &cols[i+1]
				}
				ua, ub, inRange := g.uniform(&cols[i], b)
				ok = ok && inRange
				if !ua {
					split = append(split, cols[i])
				}
				if !ub && i+1 < len(cols) {
					split = append(split, cols[i+1])
				}
			}
			if cols = split; len(cols) == 0 {
				return ok
			}
			for i, x := range g.gids[:len(g.acc)] {
				g.acc[i] = uint64(x)
			}
			g.card = uint64(len(g.reps))
			continue
		}
		acc := g.acc
		switch k {
		case 1:
			ok = fold1(acc, &cols[0]) && ok
		case 2:
			ok = fold2(acc, &cols[0], &cols[1]) && ok
		case 3:
			ok = fold2(acc, &cols[0], &cols[1]) && ok
			ok = fold1(acc, &cols[2]) && ok
		default:
			ok = fold2(acc, &cols[0], &cols[1]) && ok
			ok = fold2(acc, &cols[2], &cols[3]) && ok
		}
		g.card *= w
		cols = cols[k:]
	}
	if !ok {
		return false
	}
	g.renumber(true)
	return true
}

// uniform reports whether columns a and b each hold one value within each
// group of the rows (gids), and whether the groups' values lie in their
// ranges (the other rows' equal them when a column is uniform). The two
// are checked in one pass over the rows.
func (g *grouper) uniform(a, b *foldCol) (ua, ub, inRange bool) {
	n := len(g.gids)
	av, bv := a.vals[:n], b.vals[:n]
	g.of = grow(g.of, 2*len(g.reps))
	of := g.of // per group: a's value, b's value
	for x, r := range g.reps {
		va, vb := av[r], bv[r]
		if uint64(int64(va)-a.lo) >= a.width || uint64(int64(vb)-b.lo) >= b.width {
			return false, false, false
		}
		of[2*x], of[2*x+1] = va, vb
	}
	var da, db int32
	for i, x := range g.gids {
		da |= av[i] ^ of[2*x]
		db |= bv[i] ^ of[2*x+1]
	}
	return da == 0, db == 0, true
}

// fold1 and fold2 fold one or two columns into acc and report whether every
// value was inside its column's range (the largest offset is tracked with
// the fold, not in a pass of its own).
func fold1(acc []uint64, a *foldCol) bool {
	av, al, aw := a.vals[:len(acc)], a.lo, a.width
	var am uint64
	for i := range acc {
		x := uint64(int64(av[i]) - al)
		am = max(am, x)
		acc[i] = acc[i]*aw + x
	}
	return am < aw
}

func fold2(acc []uint64, a, b *foldCol) bool {
	av, al, aw := a.vals[:len(acc)], a.lo, a.width
	bv, bl, bw := b.vals[:len(acc)], b.lo, b.width
	var am, bm uint64
	for i := range acc {
		x, y := uint64(int64(av[i])-al), uint64(int64(bv[i])-bl)
		am, bm = max(am, x), max(bm, y)
		acc[i] = (acc[i]*aw+x)*bw + y
	}
	return am < aw && bm < bw
}

// renumber replaces acc by dense ids in order of first appearance; with
// final it also records the ids in gids and each group's first row.
func (g *grouper) renumber(final bool) {
	n := len(g.acc)
	if final {
		g.gids = grow(g.gids, n)
		g.reps = g.reps[:0]
	}
	next := uint32(0)
	if g.card <= uint64(4*n+64) {
		g.first = grow(g.first, int(g.card))
		for i := range g.first {
			g.first[i] = -1
		}
		for i, k := range g.acc {
			id := g.first[k]
			if id < 0 {
				id = int32(next)
				g.first[k] = id
				next++
				if final {
					g.reps = append(g.reps, int32(i))
				}
			}
			if final {
				g.gids[i] = uint32(id)
			} else {
				g.acc[i] = uint64(id)
			}
		}
		g.card = uint64(next)
		return
	}
	// The table is sized for the groups the previous window had, not for
	// one per row (windows hold a few rows per group), and doubles when it
	// fills: a small table stays in cache. Before probing, the id after the
	// previous row's is tried: rows repeat the order of earlier rows (the
	// same resources every hour), so runs of rows meet their groups in the
	// order the groups were numbered.
	g.resetTable(max(g.expect, 1024))
	mask := uint64(len(g.tab) - 1)
	g.byID = g.byID[:0]
	guess := uint32(0)
	for i, k := range g.acc {
		if guess < next && g.byID[guess] == k {
			if final {
				g.gids[i] = guess
			} else {
				g.acc[i] = uint64(guess)
			}
			guess++
			continue
		}
		h := (k * 0x9E3779B97F4A7C15) >> g.shift
		var id uint32
		for {
			s := &g.tab[h]
			if s.gen != g.gen {
				s.gen, s.key, s.val = g.gen, k, next
				g.byID = append(g.byID, k)
				id = next
				next++
				if final {
					g.reps = append(g.reps, int32(i))
				}
				if 2*int(next) > len(g.tab) {
					g.growTable()
					mask = uint64(len(g.tab) - 1)
				}
				break
			}
			if s.key == k {
				id = s.val
				break
			}
			h = (h + 1) & mask
		}
		if final {
			g.gids[i] = id
		} else {
			g.acc[i] = uint64(id)
		}
		guess = id + 1
	}
	g.card = uint64(next)
	g.expect = max(g.expect, int(next))
}

// growTable doubles the renumbering table, keeping its entries.
func (g *grouper) growTable() {
	old, gen := g.tab, g.gen
	g.tab = make([]denseSlot, 2*len(old))
	g.gen = 1
	g.shift = uint(64 - bits.Len(uint(len(g.tab)-1)))
	mask := uint64(len(g.tab) - 1)
	for _, s := range old {
		if s.gen != gen {
			continue
		}
		h := (s.key * 0x9E3779B97F4A7C15) >> g.shift
		for g.tab[h].gen == g.gen {
			h = (h + 1) & mask
		}
		g.tab[h] = denseSlot{key: s.key, gen: g.gen, val: s.val}
	}
}

func (g *grouper) resetTable(n int) {
	size := 1 << bits.Len(uint(2*n-1))
	size = max(size, 16)
	if len(g.tab) != size {
		g.tab = make([]denseSlot, size)
		g.gen = 0
	}
	g.gen++
	if g.gen == 0 {
		clear(g.tab)
		g.gen = 1
	}
	g.shift = uint(64 - bits.Len(uint(size-1)))
}

// aggregate groups the window's rows by key, sums their metrics per group,
// then adds each group to the table the workers share.
func (w *pqWorker) aggregate(base, n int) error {
	g := &w.grp
	spec := w.st.spec
	g.start(n)
	fold(g, w.days[:n])
	// Billing periods change rarely: each distinct run is converted once.
	w.months = slices.Grow(w.months[:0], n)[:n]
	last, month := valdrix.Date(math.MinInt32), valdrix.Month(0)
	for i, d := range w.periods[:n] {
		if d != last {
			last, month = d, d.Month()
		}
		w.months[i] = month
	}
	fold(g, w.months)
	nd := len(w.p.dims)
	for d := range nd {
		// A column read from one dictionary is grouped by its codes: equal
		// codes are equal values. (Different codes may still be one slot id;
		// the table merges such groups by their ids.)
		if cd := &w.coded[d]; cd.on {
			// Codes index the dictionary (-1 for null): no need to scan.
			lo := int32(0)
			if cd.nulls {
				lo = -1
			}
			foldRange(g, cd.codes[:n], lo, int32(len(cd.trans))-1)
		} else {
			fold(g, w.ids[d][:n])
		}
	}
	if !g.group() {
		return w.errAt(base, "", errorf("corrupt Parquet data: a dictionary index is past the dictionary's end"))
	}
	groups := len(g.reps)
	nm := len(spec.metrics)
	g.sums = slices.Grow(g.sums[:0], groups*nm)[:groups*nm]
	clear(g.sums)
	g.present = slices.Grow(g.present[:0], groups)[:groups]
	clear(g.present)
	g.lines = slices.Grow(g.lines[:0], groups)[:groups]
	clear(g.lines)
	gids := g.gids[:n]
	for _, x := range gids {
		g.lines[x]++
	}
	var summed [maxMetrics]*valdrix.Decimal // per metric: its column's first value, once summed
	for m := range nm {
		vals, valid, all, err := w.metric(m, base, n)
		if err != nil {
			return err
		}
		if vals == nil {
			continue
		}
		bit := uint16(1) << m
		sums := g.sums
		// Two metrics read from one column (the billed and the contracted
		// cost from the unblended cost when there is no net column) have
		// the same sums: copy them per group instead of adding every row
		// again.
		summed[m] = &vals[0]
		if k := slices.Index(summed[:m], &vals[0]); k >= 0 {
			kbit := uint16(1) << k
			for x := range groups {
				sums[x*nm+m] = sums[x*nm+k]
				if g.present[x]&kbit != 0 {
					g.present[x] |= bit
				}
			}
			continue
		}
		if all {
			// Every row has a value: every group has the metric.
			for i, x := range gids {
				s := &sums[int(x)*nm+m]
				v, ok := s.Add(vals[i])
				if !ok {
					return w.errAt(base+i, spec.metrics[m].label, errorf("the daily sum is out of range (more than 9.2 billion)"))
				}
				*s = v
			}
			for x := range groups {
				g.present[x] |= bit
			}
			continue
		}
		for i, x := range gids {
			if !valid[i] {
				continue
			}
			s := &sums[int(x)*nm+m]
			v, ok := s.Add(vals[i])
			if !ok {
				return w.errAt(base+i, spec.metrics[m].label, errorf("the daily sum is out of range (more than 9.2 billion)"))
			}
			*s = v
			g.present[x] |= bit
		}
	}
	// Gather the groups' keys a column at a time, into one run of ids per
	// dimension: the first rows of the groups increase, so each column is
	// read front to back, and each run is written front to back.
	g.keys = grow(g.keys, groups*nd)
	for d := range nd {
		keys := g.keys[d*groups : (d+1)*groups]
		if cd := &w.coded[d]; cd.on {
			for x, r := range g.reps {
				var id uint32 // null
				if c := cd.codes[r]; c >= 0 {
					id = cd.trans[c]
				}
				keys[x] = id
			}
			continue
		}
		col := w.ids[d]
		for x, r := range g.reps {
			keys[x] = col[r]
		}
	}
	var (
		key  rawKey
		vals [maxMetrics]valdrix.Decimal
	)
	w.agg.mu.Lock()
	defer w.agg.mu.Unlock()
	for x, r := range g.reps {
		key.day = w.days[r]
		key.period = w.months[r]
		for d := range nd {
			key.dims[d] = g.keys[d*groups+x]
		}
		copy(vals[:nm], g.sums[x*nm:(x+1)*nm])
		if m := w.agg.add(&key, &vals, g.present[x], g.lines[x], nm); m >= 0 {
			return w.errAt(base+int(r), spec.metrics[m].label, errorf("the daily sum is out of range (more than 9.2 billion)"))
		}
	}
	return nil
}

// metric resolves metric m for the window: the first candidate column with
// a value on a row, else the first product of two columns with values.
// vals is nil when no column of the metric has a value in the window.
func (w *pqWorker) metric(m, base, n int) (vals []valdrix.Decimal, valid []bool, all bool, err error) {
	var cols []*numCol
	for _, f := range w.p.metrics[m] {
		nc, err := w.num(f, base, n)
		if err != nil {
			return nil, nil, false, err
		}
		if !nc.null {
			cols = append(cols, nc)
		}
	}
	if len(cols) > 0 && cols[0].all {
		// Every row has the first column's value: the others, and the
		// products, are not needed (nor read).
		return cols[0].vals[:n], cols[0].valid[:n], true, nil
	}
	var prods [][2]*numCol
	for _, pr := range w.p.products[m] {
		a, err := w.num(pr[0], base, n)
		if err != nil {
			return nil, nil, false, err
		}
		b, err := w.num(pr[1], base, n)
		if err != nil {
			return nil, nil, false, err
		}
		if !a.null && !b.null {
			prods = append(prods, [2]*numCol{a, b})
		}
	}
	switch {
	case len(cols) == 0 && len(prods) == 0:
		return nil, nil, false, nil
	case len(cols) == 1 && len(prods) == 0:
		return cols[0].vals[:n], cols[0].valid[:n], false, nil
	}
	g := &w.grp
	out := slices.Grow(g.mvals[m][:0], n)[:n]
	valid = slices.Grow(g.mvalid[m][:0], n)[:n]
	g.mvals[m], g.mvalid[m] = out, valid
rows:
	for i := range n {
		for _, c := range cols {
			if c.valid[i] {
				out[i], valid[i] = c.vals[i], true
				continue rows
			}
		}
		out[i], valid[i] = 0, false
		for _, pr := range prods {
			if pr[0].valid[i] && pr[1].valid[i] {
				v, ok := pr[0].vals[i].Mul(pr[1].vals[i])
				if !ok {
					return nil, nil, false, w.errAt(base+i, w.st.spec.metrics[m].label, errorf("the product is out of range"))
				}
				out[i], valid[i] = v, true
				break
			}
		}
	}
	return out, valid, false, nil
}

// noSlot marks a trie node whose slot id is not known yet.
const noSlot = ^uint32(0)

// pqTrie numbers the sequences of (key, value) pairs of map and composite
// slots: a row's tags are a path from the root, and each node is turned into
// canonical JSON (and a slot id) once, however many rows end there.
type pqTrie struct {
	nodes []trieNode
	slot  []uint32
	tab   []trieEdge
}

type trieNode struct{ parent, key, val uint32 }

type trieEdge struct{ parent, key, val, child uint32 }

func newPQTrie() *pqTrie {
	return &pqTrie{nodes: []trieNode{{}}, slot: []uint32{0}, tab: make([]trieEdge, 1024)}
}

func edgeHash(parent, key, val uint32) uint64 {
	h := (uint64(parent)<<32 | uint64(key)) * 0x9E3779B97F4A7C15
	h ^= uint64(val) * 0xff51afd7ed558ccd
	return h ^ h>>29
}

// step returns the child of parent by (key, val), creating it.
func (t *pqTrie) step(parent, key, val uint32) uint32 {
	mask := uint64(len(t.tab) - 1)
	h := edgeHash(parent, key, val) & mask
	for {
		e := &t.tab[h]
		if e.child == 0 {
			child := uint32(len(t.nodes))
			*e = trieEdge{parent, key, val, child}
			t.nodes = append(t.nodes, trieNode{parent, key, val})
			t.slot = append(t.slot, noSlot)
			if 2*len(t.nodes) > len(t.tab) {
				t.grow()
			}
			return child
		}
		if e.parent == parent && e.key == key && e.val == val {
			return e.child
		}
		h = (h + 1) & mask
	}
}

func (t *pqTrie) grow() {
	t.tab = make([]trieEdge, 2*len(t.tab))
	mask := uint64(len(t.tab) - 1)
	for child := 1; child < len(t.nodes); child++ {
		nd := t.nodes[child]
		h := edgeHash(nd.parent, nd.key, nd.val) & mask
		for t.tab[h].child != 0 {
			h = (h + 1) & mask
		}
		t.tab[h] = trieEdge{nd.parent, nd.key, nd.val, uint32(child)}
	}
}
