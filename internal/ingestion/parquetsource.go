package ingestion

import (
	"cmp"
	"context"
	"encoding/binary"
	"io"
	"math"
	"math/bits"
	"slices"
	"sync"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// windowRows is the number of rows of a row group decoded and aggregated
// at a time [ReadOptions.BatchRows]: it bounds the per-worker buffers
// whatever the row group size.
const windowRows = 1 << 17

// parquetBlob is what the Parquet reader needs: random access (the footer is
// at the end) and the size.
type parquetBlob interface {
	io.ReaderAt
	io.Seeker
}

// pqDim is one dimension slot resolved against a Parquet schema.
type pqDim struct {
	field   *pqField   // nil when absent
	members []*pqField // composite: member fields
	keys    []string   // composite: member keys
}

// pqPlan is a spec resolved against a Parquet file's schema.
type pqPlan struct {
	schema   *pqSchema
	day      *pqField
	period   *pqField
	dims     []pqDim
	metrics  [][]*pqField // per metric: candidate fields
	products [][][2]*pqField
	leaves   []int // leaves to read
	// keyOf maps the value leaf of each map read to its key leaf, which
	// comes first in leaves: the value leaf is read along the key leaf's
	// levels (pqCursor.readValues).
	keyOf map[int]int
}

// planParquet resolves spec against the file's schema.
func (s *tableSpec) planParquet(name string, sc *pqSchema) (*pqPlan, error) {
	idx := map[string]int{}
	for i, f := range sc.fields {
		if _, dup := idx[normName(f.name)]; !dup {
			idx[normName(f.name)] = i
		}
	}
	var bad error
	fieldOf := func(ns []string, label string) *pqField {
		i := findCol(idx, ns)
		if i < 0 {
			return nil
		}
		f := &sc.fields[i]
		if f.nested && !f.isMap && bad == nil {
			bad = parseErr(name, 0, 0, label, errorf("nested column %q is not supported here", f.name))
		}
		return f
	}
	p := &pqPlan{schema: sc, day: fieldOf(s.day.names, s.day.label), period: fieldOf(s.period.names, s.period.label)}
	for _, alt := range s.dayAlt {
		if p.day == nil {
			p.day = fieldOf(alt.names, alt.label)
		}
	}
	if p.day == nil {
		return nil, parseErr(name, 0, 0, s.day.label, errorf("required column is missing from the schema"))
	}
	p.dims = make([]pqDim, len(s.dims))
	for d, ds := range s.dims {
		if ds.kind == slotComposite {
			for i := range sc.fields {
				f := &sc.fields[i]
				if key, ok := ds.match(f.name); ok && f.leaf >= 0 && !f.nested {
					p.dims[d].members = append(p.dims[d].members, f)
					p.dims[d].keys = append(p.dims[d].keys, key)
				}
			}
			continue
		}
		f := fieldOf(ds.names, ds.label)
		if f == nil && ds.required {
			return nil, parseErr(name, 0, 0, ds.label, errorf("required column is missing from the schema"))
		}
		p.dims[d].field = f
	}
	p.metrics = make([][]*pqField, len(s.metrics))
	p.products = make([][][2]*pqField, len(s.metrics))
	for m, ms := range s.metrics {
		for _, c := range ms.candidates {
			if f := fieldOf(c, ms.label); f != nil {
				p.metrics[m] = append(p.metrics[m], f)
			}
		}
		for _, pr := range ms.products {
			if a, b := fieldOf(pr[0], ms.label), fieldOf(pr[1], ms.label); a != nil && b != nil {
				p.products[m] = append(p.products[m], [2]*pqField{a, b})
			}
		}
	}
	if bad != nil {
		return nil, bad
	}
	// Dates and numbers come from plain columns only.
	flat := func(f *pqField, label string) error {
		if f != nil && f.isMap {
			return parseErr(name, 0, 0, label, errorf("column %q is a map; a plain column is needed", f.name))
		}
		return nil
	}
	errs := []error{flat(p.day, s.day.label), flat(p.period, s.period.label)}
	for m, fs := range p.metrics {
		for _, f := range fs {
			errs = append(errs, flat(f, s.metrics[m].label))
		}
		for _, pr := range p.products[m] {
			errs = append(errs, flat(pr[0], s.metrics[m].label), flat(pr[1], s.metrics[m].label))
		}
	}
	if err := cmp.Or(errs...); err != nil {
		return nil, err
	}
	want := func(f *pqField) {
		if f == nil {
			return
		}
		if f.isMap {
			p.leaves = append(p.leaves, f.key, f.value)
			if f.key < f.value {
				if p.keyOf == nil {
					p.keyOf = map[int]int{}
				}
				p.keyOf[f.value] = f.key
			}
		} else if f.leaf >= 0 {
			p.leaves = append(p.leaves, f.leaf)
		}
	}
	want(p.day)
	want(p.period)
	for _, d := range p.dims {
		want(d.field)
		for _, f := range d.members {
			want(f)
		}
	}
	for m, fs := range p.metrics {
		for _, f := range fs {
			want(f)
		}
		for _, pr := range p.products[m] {
			want(pr[0])
			want(pr[1])
		}
	}
	slices.Sort(p.leaves)
	p.leaves = slices.Compact(p.leaves)
	return p, nil
}

// openParquet opens a Parquet file and flattens its schema.
func openParquet(name string, blob parquetBlob) (*parquet.File, *pqSchema, error) {
	size, err := blob.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, nil, parseErr(name, 0, 0, "", errorf("cannot size the file: %w", err))
	}
	if err := checkFooterLength(blob, size); err != nil {
		return nil, nil, parseErr(name, 0, 0, "", err)
	}
	pf, err := parquet.OpenFile(blob, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(1<<16))
	if err != nil {
		return nil, nil, parseErr(name, 0, 0, "", errorf("not a Parquet file, or it is truncated or corrupt: %w", err))
	}
	sc, err := parseSchema(pf.Metadata().Schema)
	if err != nil {
		return nil, nil, parseErr(name, 0, 0, "", errorf("unsupported Parquet schema: %w", err))
	}
	return pf, sc, nil
}

// checkFooterLength refuses a file whose footer length (the four bytes
// before the closing magic) is longer than the file: parquet-go allocates a
// buffer of that length before reading, so ten bytes claiming a 4 GB
// footer would cost 4 GB of memory (found by FuzzParquet).
func checkFooterLength(blob io.ReaderAt, size int64) error {
	const magic = 4
	if size < 2*magic+4 {
		return errorf("not a Parquet file: %d bytes is too short to hold one", size)
	}
	var tail [8]byte
	if _, err := blob.ReadAt(tail[:], size-8); err != nil {
		return errorf("cannot read the end of the file: %w", err)
	}
	if m := string(tail[4:]); m != "PAR1" && m != "PARE" {
		return nil // parquet-go says what is wrong
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-2*magic-4 {
		return errorf("not a Parquet file, or it is truncated or corrupt: its footer claims %d bytes, the file has %d", n, size)
	}
	return nil
}

// readParquetTable reads a Parquet file under spec into agg, with up to
// workers goroutines over its row groups.
func readParquetTable(ctx context.Context, name string, blob parquetBlob, st *tableState, agg *aggregator, opts ReadOptions, em *dayEmitter) (rows int64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = parseErr(name, 0, 0, "", errorf("corrupt Parquet file: %v", r))
		}
	}()
	pf, sc, err := openParquet(name, blob)
	if err != nil {
		return 0, err
	}
	if pf.NumRows() == 0 {
		return 0, parseErr(name, 0, 0, "", errorf("the file has a schema but no data rows"))
	}
	p, err := st.spec.planParquet(name, sc)
	if err != nil {
		return 0, err
	}
	rgs := pf.RowGroups()
	nrg := len(rgs)
	workers := max(1, min(opts.Workers, nrg))
	window := cmp.Or(opts.BatchRows, windowRows)
	if !st.prefaulted {
		st.prefaulted = true
		var most int64 // rows of the largest row group
		for _, g := range rgs {
			most = max(most, g.NumRows())
		}
		prefaultHeap(pf.NumRows(), min(most, int64(window)), workers)
	}
	var (
		mu       sync.Mutex
		total    int64
		bytesIn  int64
		firstErr error
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	report := func(n int64, b int64) {
		mu.Lock()
		defer mu.Unlock()
		total += n
		bytesIn += b
		if opts.Progress != nil {
			opts.Progress(name, total, bytesIn)
		}
	}
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	var cover *dayCover
	if em != nil && p.day != nil && p.day.leaf >= 0 {
		cover = coverOf(pf, &sc.leaves[p.day.leaf])
	}
	stopEmit := em.start(ctx, name, cover, agg, fail)
	if stopEmit == nil {
		em = nil
	}
	sched := newRGSched(nrg)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := newPQWorker(name, st, p, agg, window)
			pw.em = em
			defer pw.close()
			defer func() {
				if r := recover(); r != nil {
					fail(parseErr(name, pw.rg+1, 0, "", errorf("corrupt Parquet data: %v", r)))
				}
			}()
			for {
				rg, ok := sched.take()
				if !ok {
					return
				}
				if err := ctx.Err(); err != nil {
					return
				}
				n, err := pw.rowGroup(pf, rg)
				if err != nil {
					fail(err)
					return
				}
				em.rowGroupDone(rg)
				report(n, rowGroupBytes(pf, rg))
			}
		}()
	}
	wg.Wait()
	if stopEmit != nil {
		if err := stopEmit(); err != nil {
			return total, err
		}
	}
	if firstErr != nil {
		return total, firstErr
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	return total, nil
}

// rgSched hands out a file's row groups to the workers in file order.
// Exports are written in time order, so the workers read neighbouring hours
// and a period's days are finished, and emitted, one after another while
// the rest of the file is read: the workers share one table (each adds a
// window's groups under its lock), which then holds only the days being
// read.
type rgSched struct {
	mu   sync.Mutex
	next int
	nrg  int
}

func newRGSched(nrg int) *rgSched { return &rgSched{nrg: nrg} }

// take returns the next row group, or false when none is left.
func (s *rgSched) take() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next >= s.nrg {
		return 0, false
	}
	s.next++
	return s.next - 1, true
}

func rowGroupBytes(pf *parquet.File, rg int) int64 {
	md := pf.Metadata()
	if rg >= len(md.RowGroups) {
		return 0
	}
	var n int64
	for _, c := range md.RowGroups[rg].Columns {
		n += c.MetaData.TotalCompressedSize
	}
	return n
}

// checkColumnChunks validates the metadata of the column chunks about to be
// read, so that impossible values are refused with a clear error.
func checkColumnChunks(pf *parquet.File, rg int, leaves []int, schema *pqSchema) error {
	md := pf.Metadata()
	if rg >= len(md.RowGroups) {
		return errorf("corrupt Parquet metadata: row group %d is missing", rg+1)
	}
	g := &md.RowGroups[rg]
	if g.NumRows < 0 {
		return errorf("corrupt Parquet metadata: negative row count")
	}
	size := pf.Size()
	for _, i := range leaves {
		if i >= len(g.Columns) {
			return errorf("corrupt Parquet metadata: row group has %d columns, want %d", len(g.Columns), i+1)
		}
		c := &g.Columns[i].MetaData
		if !slices.Equal(c.PathInSchema, schema.leaves[i].path) {
			return errorf("corrupt Parquet metadata: column chunk %d is %q, the schema says %q", i, c.PathInSchema, schema.leaves[i].path)
		}
		start := c.DataPageOffset
		if c.DictionaryPageOffset > 0 && c.DictionaryPageOffset < start {
			start = c.DictionaryPageOffset
		}
		n := c.TotalCompressedSize
		if start < 0 || n < 0 || start > size || n > size-start {
			return errorf("corrupt Parquet metadata: column chunk %d spans bytes %d+%d of a %d-byte file", i, start, n, size)
		}
	}
	return nil
}

// pqWorker reads row groups into the shared table, a window of rows at a time:
// each needed leaf is decoded to dictionary codes, each dimension turned
// into slot ids through per-dictionary translations, the window's rows
// grouped by their full key with integer arithmetic, and only then each
// distinct group of the window added to the aggregator.
type pqWorker struct {
	name    string
	st      *tableState
	p       *pqPlan
	agg     *aggregator
	window  int
	rg      int
	gens    uint64
	cursors map[int]*pqCursor // by leaf
	ids     [][]uint32        // per dimension: slot id of each row
	days    []valdrix.Date
	periods []valdrix.Date
	months  []valdrix.Month // the periods' months, set by aggregate
	dayText dayCache        // per worker: the shared caches are not locked
	perText dayCache
	trans   map[transKey]*pqTrans
	nums    map[int]*numCol // by leaf, for this window
	decs    map[int]*decTrans
	entries map[transKey]*entryIDs
	miss    []int32
	coded   []codedDim // per dimension
	lazy    map[int]*lazyTrans
	tries   []*pqTrie        // per dimension (maps and composites)
	maps    map[int]*grouper // per map dimension: its window's maps numbered (packedMaps)
	packs   map[int]*mapPacking
	grp     grouper
	numWin  int
	pairs   []tagPair // trieSlot's scratch
	text    []byte
	em      *dayEmitter // early emission, checking each window's days; nil when off
}

func newPQWorker(name string, st *tableState, p *pqPlan, agg *aggregator, window int) *pqWorker {
	return &pqWorker{name: name, st: st, p: p, agg: agg, window: window,
		cursors: map[int]*pqCursor{}, ids: make([][]uint32, len(p.dims)), coded: make([]codedDim, len(p.dims)), lazy: map[int]*lazyTrans{},
		trans: map[transKey]*pqTrans{}, nums: map[int]*numCol{}, maps: map[int]*grouper{}, packs: map[int]*mapPacking{}, decs: map[int]*decTrans{}, entries: map[transKey]*entryIDs{}, tries: make([]*pqTrie, len(p.dims))}
}

func (w *pqWorker) close() {
	for _, c := range w.cursors {
		c.close()
	}
}

func (w *pqWorker) errAt(row int, col string, err error) error {
	return parseErr(w.name, w.rg+1, int64(row)+1, col, err)
}

// rowGroup reads one row group.
func (w *pqWorker) rowGroup(pf *parquet.File, rg int) (int64, error) {
	w.rg = rg
	if err := checkColumnChunks(pf, rg, w.p.leaves, w.p.schema); err != nil {
		return 0, parseErr(w.name, rg+1, 0, "", err)
	}
	group := pf.RowGroups()[rg]
	nrows := group.NumRows()
	chunks := group.ColumnChunks()
	for _, l := range w.p.leaves {
		c := w.cursors[l]
		if c == nil {
			c = &pqCursor{}
			w.cursors[l] = c
		}
		leaf := &w.p.schema.leaves[l]
		cc := chunks[l]
		allNull := false
		if fc, ok := cc.(*parquet.FileColumnChunk); ok && leaf.maxRep == 0 {
			allNull = fc.NullCount() == nrows && fc.NumValues() == nrows
		}
		c.reset(leaf, cc.Pages(), &w.gens, allNull)
	}
	defer func() {
		for _, c := range w.cursors {
			c.close()
		}
	}()
	for off := int64(0); off < nrows; off += int64(w.window) {
		n := int(min(int64(w.window), nrows-off))
		if err := w.windowAt(int(off), n); err != nil {
			return off, err
		}
	}
	return nrows, nil
}

// leafName is a leaf's column name for errors.
func (w *pqWorker) leafName(l int) string {
	path := w.p.schema.leaves[l].path
	if len(path) == 0 {
		return ""
	}
	return path[0]
}

// windowAt reads rows [base, base+n) of the current row group.
func (w *pqWorker) windowAt(base, n int) error {
	for _, l := range w.p.leaves {
		c := w.cursors[l]
		var err error
		if k, ok := w.p.keyOf[l]; ok {
			err = c.readValues(w.cursors[k].win.levels)
		} else if c.leaf.maxRep > 0 {
			err = c.readMap(n)
		} else {
			err = c.readFlat(n)
		}
		if err != nil {
			return w.errAt(base, w.leafName(l), errorf("corrupt or truncated Parquet data: %w", err))
		}
	}
	w.days = slices.Grow(w.days[:0], n)[:n]
	w.periods = slices.Grow(w.periods[:0], n)[:n]
	if err := w.dates(w.p.day, w.days, &w.dayText, base, "charge date is empty"); err != nil {
		return err
	}
	if w.p.period != nil {
		if err := w.dates(w.p.period, w.periods, &w.perText, base, "billing period is empty"); err != nil {
			return err
		}
	} else {
		copy(w.periods, w.days)
	}
	if err := w.em.check(w.rg, w.days[:n]); err != nil {
		return w.errAt(base, w.p.day.name, err)
	}
	for d := range w.p.dims {
		if err := w.dimension(d, base, n); err != nil {
			return err
		}
	}
	w.numWin++
	return w.aggregate(base, n)
}

// dates fills out with the days of a date-like field.
func (w *pqWorker) dates(f *pqField, out []valdrix.Date, cache *dayCache, base int, emptyMsg string) error {
	win := &w.cursors[f.leaf].win
	name := f.name
	if win.null {
		return w.errAt(base, name, errorf("%s", emptyMsg))
	}
	start := 0
	for _, s := range win.segs {
		t := w.translation(transKey{kind: transDay, leaf: f.leaf}, &s.dv, func(i int) (uint32, error) {
			d, err := s.dv.day(i, cache)
			if err != nil {
				return 0, err
			}
			if d < -719162 || d > 2932896 { // outside years 1..9999
				return 0, errorf("charge date is out of range")
			}
			return uint32(int32(d)), nil
		})
		for j := start; j < s.end; j++ {
			c := win.codes[j]
			if c < 0 {
				return w.errAt(base+j, name, errorf("%s", emptyMsg))
			}
			if t.bad != nil && t.bad[c] != nil {
				return w.errAt(base+j, name, t.bad[c])
			}
			out[j] = valdrix.Date(int32(t.ids[c]))
		}
		start = s.end
	}
	return nil
}

// transKind says what a translation maps dictionary entries to.
type transKind uint8

const (
	transDay    transKind = iota // charge days
	transSlot                    // slot ids of a dimension
	transObject                  // slot ids of a JSON-text dimension
	transMapKey                  // map or composite key interner ids
	transMapVal                  // map or composite value interner ids
	transWanted                  // 1 when the map key is the wanted one
)

type transKey struct {
	kind transKind
	slot int
	leaf int
}

// pqTrans maps the entries of one dictionary (gen) to ids.
type pqTrans struct {
	gen uint64
	ids []uint32
	bad []error // nil when no entry failed
}

// translation returns the translation of dv for key, building it with fn
// (under the table lock: fn may intern) when the dictionary changed.
func (w *pqWorker) translation(key transKey, dv *dictView, fn func(i int) (uint32, error)) *pqTrans {
	t := cached(w.trans, key)
	if t.gen == dv.gen {
		return t
	}
	n := dv.len()
	t.gen, t.ids, t.bad = dv.gen, grow(t.ids, n), nil
	set := func(i int, id uint32, err error) {
		if err != nil {
			if t.bad == nil {
				t.bad = make([]error, n)
			}
			t.bad[i] = err
		}
		t.ids[i] = id
	}
	if key.kind == transDay || key.kind == transWanted {
		for i := range n {
			id, err := fn(i)
			set(i, id, err)
		}
		return t
	}
	// Entries interned already (most of them, after the first row groups)
	// are looked up under the read lock, so workers do not queue; the rest
	// are added under the write lock.
	//
	// Before hashing an entry, the id after the previous entry's is tried:
	// a writer that emits rows in a stable order (resources listed in the
	// same order every hour) gives each row group's dictionary the order of
	// the first one, whose entries were interned in turn, so runs of entries
	// have consecutive ids. Checking one string costs far less than a lookup
	// in a map of hundreds of thousands of entries.
	miss := w.miss[:0]
	w.st.mu.RLock()
	var strs []string // the slot's interned strings, for the guess
	if key.kind == transSlot {
		strs = w.st.slots[key.slot].strs
	}
	next := uint32(0) // the guess for the next entry; 0 ("") is never one
	for i := range n {
		str := dv.str(i)
		if next != 0 && int(next) < len(strs) && strs[next] == str {
			t.ids[i] = next
			next++
			continue
		}
		if id, ok := w.peek(key, str); ok {
			t.ids[i] = id
			next = id + 1
		} else {
			miss = append(miss, int32(i))
			next = 0
		}
	}
	w.st.mu.RUnlock()
	w.miss = miss
	if len(miss) == 0 {
		return t
	}
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	for _, i := range miss {
		id, err := fn(int(i))
		set(int(i), id, err)
	}
	return t
}

// peek looks an entry up without interning it. The caller holds the read
// lock.
func (w *pqWorker) peek(key transKey, s string) (uint32, bool) {
	st := w.st
	var in *interner
	switch key.kind {
	case transSlot:
		if s == "" {
			return 0, false // checked by stringID
		}
		in = st.slots[key.slot]
	case transObject:
		id, ok := st.objects[key.slot][s]
		return id, ok
	case transMapKey:
		if st.mapKeys != nil {
			in = st.mapKeys[key.slot]
		}
	case transMapVal:
		if st.mapVals != nil {
			in = st.mapVals[key.slot]
		}
	}
	if in == nil {
		return 0, false
	}
	return in.get(s)
}

// dimension fills w.ids[d] for the window.
func (w *pqWorker) dimension(d, base, n int) error {
	pd := &w.p.dims[d]
	ds := &w.st.spec.dims[d]
	w.coded[d].on = false
	switch {
	case ds.kind == slotComposite:
		return w.composite(d, base, n)
	case pd.field == nil:
		clear(w.idsOf(d, n))
		return nil
	case pd.field.isMap:
		return w.mapColumn(d, base, n)
	}
	l := pd.field.leaf
	win := &w.cursors[l].win
	var nullID uint32
	var nullErr error
	if ds.check != nil {
		nullErr = ds.check("")
	}
	if win.null {
		if nullErr != nil {
			return w.errAt(base, ds.label, nullErr)
		}
		ids := w.idsOf(d, n)
		for i := range ids {
			ids[i] = nullID
		}
		return nil
	}
	var ids []uint32 // only when the dimension is not grouped by its codes
	kind := transSlot
	if ds.kind == slotObject || ds.kind == slotMapValue {
		kind = transObject
	}
	start := 0
	for _, s := range win.segs {
		t := w.translation(transKey{kind: kind, slot: d, leaf: l}, &s.dv, func(i int) (uint32, error) {
			if kind == transObject {
				return w.st.objectID(d, s.dv.str(i))
			}
			return w.st.stringID(d, s.dv.str(i))
		})
		codes, tids := win.codes[start:s.end], t.ids
		if len(win.segs) == 1 && nullErr == nil && t.bad == nil {
			// One dictionary and nothing to check: group by the codes and
			// translate only the groups' first rows.
			w.coded[d] = codedDim{on: true, codes: codes, trans: tids, nulls: win.nulls}
			return nil
		}
		if ids == nil {
			ids = w.idsOf(d, n)
		}
		out := ids[start:s.end]
		for j, c := range codes {
			if c < 0 {
				if nullErr != nil {
					return w.errAt(base+start+j, ds.label, nullErr)
				}
				out[j] = nullID
				continue
			}
			out[j] = tids[c]
		}
		if t.bad != nil {
			for j, c := range codes {
				if c >= 0 && t.bad[c] != nil {
					return w.errAt(base+start+j, ds.label, t.bad[c])
				}
			}
		}
		start = s.end
	}
	if ids == nil { // no values at all: not expected, but never stale ids
		clear(w.idsOf(d, n))
	}
	return nil
}

// idsOf returns the buffer of dimension d's slot ids for a window of n
// rows. It is made only for dimensions not grouped by their codes.
func (w *pqWorker) idsOf(d, n int) []uint32 {
	w.ids[d] = grow(w.ids[d], n)
	return w.ids[d]
}

// codedDim is a dimension whose window is one dictionary's codes: rows are
// grouped by code, and trans gives the slot id of a code.
type codedDim struct {
	on    bool
	codes []int32
	trans []uint32
	nulls bool // some codes are -1
}

// mapColumn handles a map<string,string> field: tags (canonical JSON of
// the whole map) or one key's value (product['vcpu']).
func (w *pqWorker) mapColumn(d, base, n int) error {
	ds := &w.st.spec.dims[d]
	f := w.p.dims[d].field
	keys, vals := &w.cursors[f.key].win, &w.cursors[f.value].win
	if len(keys.codes) != len(vals.codes) {
		return w.errAt(base, ds.label, errorf("corrupt map column: %d keys and %d values", len(keys.codes), len(vals.codes)))
	}
	if ds.kind == slotMapValue {
		ids := w.idsOf(d, n)
		// Only the wanted key's values are interned, and each once: a CUR
		// product map holds dozens of attributes per row.
		want := w.entryIDs(keys, transKey{kind: transWanted, slot: d, leaf: f.key}, func(dv *dictView, i int) uint32 {
			if dv.str(i) == ds.mapKey {
				return 1
			}
			return 0
		})
		si := 0
		for r := range n {
			ids[r] = 0
			for e := keys.rows[r]; e < keys.rows[r+1]; e++ {
				if want.ids[e] != 1 {
					continue
				}
				if c := vals.codes[e]; c >= 0 {
					for vals.segs[si].end <= int(e) {
						si++
					}
					id, err := w.lazyItem(d, &vals.segs[si].dv, c)
					if err != nil {
						return w.errAt(base+r, ds.label, err)
					}
					ids[r] = id
				}
				break
			}
		}
		return nil
	}
	w.st.mu.Lock()
	kin, vin := w.st.mapInterners(d)
	w.st.mu.Unlock()
	k := w.entryIDs(keys, transKey{kind: transMapKey, slot: d, leaf: f.key}, func(dv *dictView, i int) uint32 {
		id, _ := kin.lookup(dv.str(i))
		return id
	})
	v := w.entryIDs(vals, transKey{kind: transMapVal, slot: d, leaf: f.value}, func(dv *dictView, i int) uint32 {
		id, _ := vin.lookup(dv.str(i))
		return id
	})
	tr := w.trie(d)
	if ok, err := w.packedMaps(d, base, n, keys.rows, k.ids, v.ids, tr); ok || err != nil {
		return err
	}
	ids := w.idsOf(d, n)
	for r := range n {
		id, err := w.mapSlot(d, tr, keys.rows, k.ids, v.ids, r)
		if err != nil {
			return w.errAt(base+r, ds.label, err)
		}
		ids[r] = id
	}
	return nil
}

// mapSlot returns the slot id of row r's map: its entries' key and value
// ids walked down the trie.
func (w *pqWorker) mapSlot(d int, tr *pqTrie, rows []int32, kids, vids []uint32, r int) (uint32, error) {
	node := uint32(0)
	for e := rows[r]; e < rows[r+1]; e++ {
		node = tr.step(node, kids[e], vids[e])
	}
	return w.trieSlot(d, tr, node)
}

// packedMaps groups the window's rows by their maps when every row's
// entries fit in one 64-bit integer (each entry's key and value ids packed
// side by side, plus one so that no entry packs to zero): equal integers
// are equal maps. Only the first row of each distinct map is then looked up
// (in the worker's cache of packed maps, else walked down the trie), and
// the dimension is grouped by the maps' dense numbers (codedDim) — most rows
// repeat a map already seen in the window. It reports false, having done
// nothing, when the maps are too large to pack.
func (w *pqWorker) packedMaps(d, base, n int, rows []int32, kids, vids []uint32, tr *pqTrie) (bool, error) {
	ne := int(rows[n])
	var maxK, maxV uint32
	for e := range ne {
		maxK, maxV = max(maxK, kids[e]), max(maxV, vids[e])
	}
	// The widths only grow from window to window, so that a map packs to
	// the same integer in every window and the cache stays valid.
	mp := cached(w.packs, d)
	vb := max(mp.vb, uint(bits.Len32(maxV)))
	eb := max(mp.eb, uint(bits.Len64(uint64(maxK)<<vb|uint64(maxV)+1)))
	if vb != mp.vb || eb != mp.eb || mp.slots == nil {
		mp.vb, mp.eb, mp.slots = vb, eb, map[uint64]uint32{}
	}
	// run[e] holds entries up to e packed, the last ones in the low bits;
	// a row's map is the low bits of run at its end, one entry's width for
	// each of its entries. Neither loop branches on a row's length.
	mp.run = grow(mp.run, ne+1)
	run := mp.run
	run[0] = 0
	h := uint64(0)
	for e := range ne {
		h = h<<eb | (uint64(kids[e])<<vb | uint64(vids[e])) + 1
		run[e+1] = h
	}
	g := cached(w.maps, d)
	g.acc = grow(g.acc, n)
	var most uint
	for r := range n {
		k := uint(rows[r+1] - rows[r])
		most = max(most, k)
		g.acc[r] = run[rows[r+1]] & (^uint64(0) >> (64 - k*eb)) // 0 for no entries
	}
	if most*eb > 64 {
		return false, nil
	}
	g.card = math.MaxUint64 // numbered with the hash table
	g.renumber(true)
	g.keys = grow(g.keys, len(g.reps))
	for x, r := range g.reps {
		p := g.acc[r]
		id, ok := mp.slots[p]
		if !ok {
			var err error
			if id, err = w.mapSlot(d, tr, rows, kids, vids, int(r)); err != nil {
				return true, w.errAt(base+int(r), w.st.spec.dims[d].label, err)
			}
			mp.slots[p] = id
		}
		g.keys[x] = id
	}
	gids := g.gids[:n]
	w.coded[d] = codedDim{on: true, codes: unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(gids))), n), trans: g.keys}
	return true, nil
}

// mapPacking is how a map dimension's entries are packed into integers,
// and the slot ids of the maps packed so far.
type mapPacking struct {
	vb, eb uint              // bits of a value id; of an entry
	slots  map[uint64]uint32 // packed map → slot id
	run    []uint64          // packedMaps' scratch
}

// lazyItem returns the slot id of dictionary entry c of a map's values,
// interning it the first time it is asked for.
func (w *pqWorker) lazyItem(d int, dv *dictView, c int32) (uint32, error) {
	t := cached(w.lazy, d)
	if t.gen != dv.gen {
		t.gen = dv.gen
		t.ids = slices.Grow(t.ids[:0], dv.len())[:dv.len()]
		for i := range t.ids {
			t.ids[i] = -1
		}
	}
	if id := t.ids[c]; id >= 0 {
		return uint32(id), nil
	}
	w.st.mu.Lock()
	id, err := w.st.stringID(d, dv.str(int(c)))
	w.st.mu.Unlock()
	if err != nil {
		return 0, err
	}
	t.ids[c] = int64(id)
	return id, nil
}

// lazyTrans is a translation filled on demand: -1 until asked for.
type lazyTrans struct {
	gen uint64
	ids []int64
}

// entryIDs translates the codes of a map leaf window, one id per entry
// (0 for a null value). Its translations cannot fail.
type entryIDs struct {
	ids []uint32
}

func (w *pqWorker) entryIDs(win *leafWin, key transKey, fn func(dv *dictView, i int) uint32) *entryIDs {
	out := cached(w.entries, key)
	out.ids = grow(out.ids, len(win.codes))
	start := 0
	for _, s := range win.segs {
		dv := s.dv
		t := w.translation(key, &dv, func(i int) (uint32, error) { return fn(&dv, i), nil })
		ids, tids := out.ids[start:s.end], t.ids
		for e, c := range win.codes[start:s.end] {
			if c >= 0 {
				ids[e] = tids[c]
			} else {
				ids[e] = 0
			}
		}
		start = s.end
	}
	return out
}

// composite handles a slot made of many columns (legacy CUR tag columns,
// FOCUS x_ columns).
func (w *pqWorker) composite(d, base, n int) error {
	pd := &w.p.dims[d]
	ids := w.idsOf(d, n)
	clear(ids)
	if len(pd.members) == 0 {
		return nil
	}
	w.st.mu.Lock()
	kin, vin := w.st.mapInterners(d)
	keyIDs := make([]uint32, len(pd.members))
	for k, key := range pd.keys {
		keyIDs[k], _ = kin.lookup(key)
	}
	w.st.mu.Unlock()
	tr := w.trie(d)
	nodes := w.grp.scratch(n)
	clear(nodes)
	for k, f := range pd.members {
		win := &w.cursors[f.leaf].win
		if win.null {
			continue
		}
		start := 0
		for _, s := range win.segs {
			t := w.translation(transKey{kind: transMapVal, slot: d, leaf: f.leaf}, &s.dv, func(i int) (uint32, error) {
				id, _ := vin.lookup(s.dv.str(i))
				return id, nil
			})
			for j := start; j < s.end; j++ {
				if c := win.codes[j]; c >= 0 && t.ids[c] != 0 {
					nodes[j] = tr.step(nodes[j], keyIDs[k], t.ids[c])
				}
			}
			start = s.end
		}
	}
	for r := range n {
		id, err := w.trieSlot(d, tr, nodes[r])
		if err != nil {
			return w.errAt(base+r, w.st.spec.dims[d].label, err)
		}
		ids[r] = id
	}
	return nil
}

func (w *pqWorker) trie(d int) *pqTrie {
	if w.tries[d] == nil {
		w.tries[d] = newPQTrie()
	}
	return w.tries[d]
}

// trieSlot returns the slot id of the key/value path ending at node,
// building its canonical JSON once.
func (w *pqWorker) trieSlot(d int, tr *pqTrie, node uint32) (uint32, error) {
	if s := tr.slot[node]; s != noSlot {
		return s, nil
	}
	w.st.mu.Lock()
	defer w.st.mu.Unlock()
	kin, vin := w.st.mapInterners(d)
	var path []uint32
	for x := node; x != 0; x = tr.nodes[x].parent {
		path = append(path, x)
	}
	pairs := w.pairs[:0]
	for i := len(path) - 1; i >= 0; i-- {
		nd := tr.nodes[path[i]]
		if k := kin.strs[nd.key]; k != "" {
			pairs = append(pairs, tagPair{k, vin.strs[nd.val]})
		}
	}
	w.pairs = pairs
	if len(pairs) == 0 {
		tr.slot[node] = 0
		return 0, nil
	}
	buf := appendCanonicalPairs(w.text[:0], pairs)
	w.text = buf
	// The other worker may have met this tag set already: look it up
	// before the text is copied.
	if id, found := w.st.slots[d].get(string(buf)); found {
		tr.slot[node] = id
		return id, nil
	}
	id, err := w.st.stringID(d, string(buf))
	if err != nil {
		return 0, err
	}
	tr.slot[node] = id
	return id, nil
}

// numCol is one window of a metric leaf as Decimals.
type numCol struct {
	win   int
	vals  []valdrix.Decimal
	valid []bool
	null  bool // no row has a value
	all   bool // every row has a value
}

// num converts a metric field's window to Decimals.
func (w *pqWorker) num(f *pqField, base, n int) (*numCol, error) {
	nc := cached(w.nums, f.leaf) // win 0: windows count from 1
	if nc.win == w.numWin {
		return nc, nil
	}
	nc.win = w.numWin
	win := &w.cursors[f.leaf].win
	nc.null, nc.all = win.null, !win.null
	if win.null {
		return nc, nil
	}
	nc.vals = slices.Grow(nc.vals[:0], n)[:n]
	nc.valid = slices.Grow(nc.valid[:0], n)[:n]
	start := 0
	for _, s := range win.segs {
		t := w.decimals(f.leaf, &s.dv)
		codes, vals, valid := win.codes[start:s.end], nc.vals[start:s.end], nc.valid[start:s.end]
		if t.all && !win.nulls {
			// Every entry is a number and every row has one.
			for j, c := range codes {
				vals[j] = t.vals[c]
			}
			for j := range valid {
				valid[j] = true
			}
			start = s.end
			continue
		}
		nc.all = false
		for j, c := range codes {
			if c < 0 {
				vals[j], valid[j] = 0, false
				continue
			}
			if t.bad && t.entries[c].err != nil {
				nc.win = -1
				e := &t.entries[c]
				return nil, w.errAt(base+start+j, f.name, errorf("%q is not a number: %w", e.text, e.err))
			}
			vals[j], valid[j] = t.vals[c], t.ok[c]
		}
		start = s.end
	}
	return nc, nil
}

// decTrans is a metric leaf's dictionary as Decimals.
type decTrans struct {
	gen     uint64
	entries []decimalEntry
	vals    []valdrix.Decimal // the entries' values, side by side
	ok      []bool            // the entries that are numbers
	all     bool              // every entry is a number
	bad     bool              // some entry is not a number nor null-like
}

func (w *pqWorker) decimals(leaf int, dv *dictView) *decTrans {
	t := cached(w.decs, leaf)
	if t.gen == dv.gen {
		return t
	}
	n := dv.len()
	t.gen, t.all, t.bad = dv.gen, true, false
	t.entries = slices.Grow(t.entries[:0], n)[:n]
	t.vals = slices.Grow(t.vals[:0], n)[:n]
	t.ok = slices.Grow(t.ok[:0], n)[:n]
	for i := range n {
		e := dv.decimal(i)
		t.entries[i] = e
		t.vals[i], t.ok[i] = e.val, e.valid && e.err == nil
		t.all = t.all && t.ok[i]
		t.bad = t.bad || e.err != nil
	}
	return t
}

// mapInterners returns the key and value interners of map or composite slot
// d, creating them. The caller holds st.mu.
func (st *tableState) mapInterners(d int) (*interner, *interner) {
	if st.mapKeys == nil {
		st.mapKeys = make([]*interner, len(st.slots))
		st.mapVals = make([]*interner, len(st.slots))
	}
	if st.mapKeys[d] == nil {
		st.mapKeys[d], st.mapVals[d] = newInterner(), newInterner()
	}
	return st.mapKeys[d], st.mapVals[d]
}

// cached returns m[k], creating it: the worker's per-column state.
func cached[K comparable, V any](m map[K]*V, k K) *V {
	v := m[k]
	if v == nil {
		v = new(V)
		m[k] = v
	}
	return v
}
