package ingestion

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// batchRows is the Arrow batch size. Smaller batches keep arrow-go's
// per-decoder scratch buffers (sized to the batch, allocated per column
// chunk) and the record buffers small; larger ones translate each
// dictionary fewer times.
const batchRows = 1 << 14

// parquetBlob is what the Parquet reader needs: random access (the footer is
// at the end) and the size.
type parquetBlob interface {
	io.ReaderAt
	io.Seeker
}

// pqDim is one dimension slot resolved against a Parquet schema.
type pqDim struct {
	field   string   // top-level field name, "" when absent
	isMap   bool     // the field is a map<string,string>
	members []string // composite: member field names
	keys    []string // composite: member keys
}

// pqPlan is a spec resolved against a Parquet file's Arrow schema.
type pqPlan struct {
	day, period string
	dims        []pqDim
	metrics     [][]string // per metric: candidate field names
	products    [][][2]string
	leaves      []int
	skippable   map[int]bool // top-level leaves other than the dates: skip when all null
	props       pqarrow.ArrowReadProperties
}

// planParquet resolves spec against the file's schema and chooses the leaf
// columns to read; string leaves are read as dictionaries.
func (s *tableSpec) planParquet(name string, rdr *file.Reader) (*pqPlan, error) {
	sc, err := pqarrow.FromParquet(rdr.MetaData().Schema, &pqarrow.ArrowReadProperties{}, rdr.MetaData().KeyValueMetadata())
	if err != nil {
		return nil, parseErr(name, 0, 0, "", errorf("unsupported Parquet schema: %w", err))
	}
	idx := map[string]int{}
	header := make([]string, sc.NumFields())
	for i, f := range sc.Fields() {
		header[i] = f.Name
		if _, dup := idx[normName(f.Name)]; !dup {
			idx[normName(f.Name)] = i
		}
	}
	fieldOf := func(ns []string) string {
		if i := findCol(idx, ns); i >= 0 {
			return header[i]
		}
		return ""
	}
	p := &pqPlan{day: fieldOf(s.day.names), period: fieldOf(s.period.names)}
	for _, alt := range s.dayAlt {
		if p.day == "" {
			p.day = fieldOf(alt.names)
		}
	}
	if p.day == "" {
		return nil, parseErr(name, 0, 0, s.day.label, errorf("required column is missing from the schema"))
	}
	p.dims = make([]pqDim, len(s.dims))
	for d, ds := range s.dims {
		if ds.kind == slotComposite {
			for _, h := range header {
				if key, ok := ds.match(h); ok {
					p.dims[d].members = append(p.dims[d].members, h)
					p.dims[d].keys = append(p.dims[d].keys, key)
				}
			}
			continue
		}
		f := fieldOf(ds.names)
		if f == "" && ds.required {
			return nil, parseErr(name, 0, 0, ds.label, errorf("required column is missing from the schema"))
		}
		p.dims[d].field = f
		if f != "" {
			fld, _ := sc.FieldsByName(f)
			p.dims[d].isMap = fld[0].Type.ID() == arrow.MAP
		}
	}
	p.metrics = make([][]string, len(s.metrics))
	p.products = make([][][2]string, len(s.metrics))
	for m, ms := range s.metrics {
		for _, c := range ms.candidates {
			if f := fieldOf(c); f != "" {
				p.metrics[m] = append(p.metrics[m], f)
			}
		}
		for _, pr := range ms.products {
			if a, b := fieldOf(pr[0]), fieldOf(pr[1]); a != "" && b != "" {
				p.products[m] = append(p.products[m], [2]string{a, b})
			}
		}
	}
	wanted := map[string]bool{p.day: true}
	if p.period != "" {
		wanted[p.period] = true
	}
	for _, d := range p.dims {
		if d.field != "" {
			wanted[d.field] = true
		}
		for _, m := range d.members {
			wanted[m] = true
		}
	}
	for m, ms := range p.metrics {
		for _, f := range ms {
			wanted[f] = true
		}
		for _, pr := range p.products[m] {
			wanted[pr[0]], wanted[pr[1]] = true, true
		}
	}
	schema := rdr.MetaData().Schema
	for i := 0; i < schema.NumColumns(); i++ {
		col := schema.Column(i)
		root := col.ColumnPath()[0]
		if !wanted[root] {
			continue
		}
		p.leaves = append(p.leaves, i)
		if len(col.ColumnPath()) == 1 && root != p.day && root != p.period {
			if p.skippable == nil {
				p.skippable = map[int]bool{}
			}
			p.skippable[i] = true
		}
		if col.PhysicalType() == parquet.Types.ByteArray {
			p.props.SetReadDict(i, true)
		}
	}
	return p, nil
}

// readParquetTable reads a Parquet file under spec into agg, with up to
// workers goroutines over its row groups.
func readParquetTable(ctx context.Context, name string, blob parquetBlob, st *tableState, agg *aggregator, opts ReadOptions) (rows int64, err error) {
	workers, progress := opts.Workers, opts.Progress
	batch := int64(cmp.Or(opts.BatchRows, batchRows))
	defer func() {
		if r := recover(); r != nil {
			err = parseErr(name, 0, 0, "", errorf("corrupt Parquet file: %v", r))
		}
	}()
	rdr, err := file.NewParquetReader(blob)
	if err != nil {
		return 0, parseErr(name, 0, 0, "", errorf("not a Parquet file, or it is truncated or corrupt: %w", err))
	}
	defer func() { _ = rdr.Close() }()
	if rdr.NumRows() == 0 {
		return 0, parseErr(name, 0, 0, "", errorf("the file has a schema but no data rows"))
	}
	p, err := st.spec.planParquet(name, rdr)
	if err != nil {
		return 0, err
	}
	nrg := rdr.NumRowGroups()
	workers = max(1, min(workers, nrg))
	// Each worker gets a contiguous range of row groups (exports are
	// written in time order, so the workers' groups overlap little) and
	// its own file reader.
	readers := []*file.Reader{rdr}
	for w := 1; w < workers; w++ {
		r2, err := file.NewParquetReader(blob)
		if err != nil {
			return 0, parseErr(name, 0, 0, "", errorf("not a Parquet file, or it is truncated or corrupt: %w", err))
		}
		defer func() { _ = r2.Close() }()
		readers = append(readers, r2)
	}
	var (
		mu       sync.Mutex
		total    int64
		bytesIn  int64
		firstErr error
		aggs     = make([]*aggregator, workers)
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	report := func(n int64, b int64) {
		mu.Lock()
		defer mu.Unlock()
		total += n
		bytesIn += b
		if progress != nil {
			progress(name, total, bytesIn)
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
	for w := 0; w < workers; w++ {
		lo, hi := w*nrg/workers, (w+1)*nrg/workers
		wa := agg
		if w > 0 {
			wa = newAggregator(len(st.spec.dims))
		}
		aggs[w] = wa
		wg.Add(1)
		go func() {
			defer wg.Done()
			pw := newPQWorker(name, st, p, wa)
			pw.batchRows = batch
			defer func() {
				if r := recover(); r != nil {
					fail(parseErr(name, pw.rg+1, 0, "", errorf("corrupt Parquet data: %v", r)))
				}
			}()
			for rg := lo; rg < hi; rg++ {
				if err := ctx.Err(); err != nil {
					return
				}
				n, err := pw.rowGroup(ctx, readers[w], rg)
				if err != nil {
					fail(err)
					return
				}
				report(n, readers[w].MetaData().RowGroup(rg).TotalCompressedSize())
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return total, firstErr
	}
	if err := ctx.Err(); err != nil {
		return total, err
	}
	// The other workers' groups are emitted separately (the roll-up merges
	// groups that several workers saw), so no table has to hold them all.
	st.extra = append(st.extra, aggs[1:]...)
	return total, nil
}

// pqWorker reads row groups into its aggregator.
type pqWorker struct {
	name      string
	batchRows int64
	st        *tableState
	p         *pqPlan
	agg       *aggregator
	rg        int
	ids       [][]uint32
	dcols     map[dcolKey]*dictCol // this row group's string columns
	nums      map[string]*numColumn
	days      []valdrix.Date
	periods   []valdrix.Date
	dayText   dayCache // per worker: the shared caches are not locked
	perText   dayCache
	scratch   strColumn
	tuples    []map[string]uint32 // per slot: tuple bytes → slot id
	tuple     []byte
}

func newPQWorker(name string, st *tableState, p *pqPlan, agg *aggregator) *pqWorker {
	w := &pqWorker{name: name, st: st, p: p, agg: agg,
		ids: make([][]uint32, len(p.dims)), nums: map[string]*numColumn{}, tuples: make([]map[string]uint32, len(p.dims))}
	for d := range w.tuples {
		w.tuples[d] = map[string]uint32{}
	}
	return w
}

func (w *pqWorker) errAt(row int, col string, err error) error {
	return parseErr(w.name, w.rg+1, int64(row)+1, col, err)
}

// rowGroup reads one row group.
func (w *pqWorker) rowGroup(ctx context.Context, rdr *file.Reader, rg int) (int64, error) {
	w.rg = rg
	w.dcols = map[dcolKey]*dictCol{}
	if err := checkColumnChunks(rdr, rg, w.p.leaves); err != nil {
		return 0, parseErr(w.name, rg+1, 0, "", err)
	}
	props := w.p.props
	nrows := rdr.MetaData().RowGroup(rg).NumRows()
	props.BatchSize = max(1, min(nrows, w.batchRows))
	fr, err := pqarrow.NewFileReader(rdr, props, memory.DefaultAllocator)
	if err != nil {
		return 0, parseErr(w.name, rg+1, 0, "", errorf("unreadable Parquet schema: %w", err))
	}
	rr, err := fr.GetRecordReader(ctx, w.leavesToRead(rdr, rg), []int{rg})
	if err != nil {
		return 0, parseErr(w.name, rg+1, 0, "", errorf("unreadable row group: %w", err))
	}
	defer rr.Release()
	var done int64
	for rr.Next() {
		rec := rr.RecordBatch()
		if err := w.batch(rec, int(done)); err != nil {
			return done, err
		}
		done += rec.NumRows()
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return done, parseErr(w.name, rg+1, 0, "", errorf("corrupt or truncated Parquet data: %w", err))
	}
	return done, nil
}

// leavesToRead returns the leaves to decode in row group rg: the plan's,
// less the top-level ones whose statistics say every value is null (CUR's
// reservation and savings plan columns in accounts without commitments,
// net costs without discounts). column stands in an all-null array.
func (w *pqWorker) leavesToRead(rdr *file.Reader, rg int) []int {
	if len(w.p.skippable) == 0 {
		return w.p.leaves
	}
	rgm := rdr.MetaData().RowGroup(rg)
	out := make([]int, 0, len(w.p.leaves))
	for _, i := range w.p.leaves {
		if w.p.skippable[i] {
			if col, err := rgm.ColumnChunk(i); err == nil {
				if st, err := col.Statistics(); err == nil && st != nil && st.HasNullCount() && st.NullCount() == rgm.NumRows() && col.NumValues() == rgm.NumRows() {
					continue
				}
			}
		}
		out = append(out, i)
	}
	if len(out) == 0 {
		return w.p.leaves
	}
	return out
}

// column returns the named column of rec: nil for no name, an all-null
// string array when the column was skipped as all null.
func column(rec arrow.RecordBatch, name string) arrow.Array {
	if name == "" {
		return nil
	}
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return array.MakeArrayOfNull(memory.DefaultAllocator, arrow.BinaryTypes.String, int(rec.NumRows()))
	}
	return rec.Column(idx[0])
}

// batch aggregates one record batch; base is its first row within the row group.
func (w *pqWorker) batch(rec arrow.RecordBatch, base int) error {
	n := int(rec.NumRows())
	spec := w.st.spec
	if cap(w.days) < n {
		w.days, w.periods = make([]valdrix.Date, n), make([]valdrix.Date, n)
	}
	w.days, w.periods = w.days[:n], w.periods[:n]
	if bad, text, err := dayColumn(column(rec, w.p.day), w.days, &w.dayText, &w.scratch); err != nil {
		_ = text
		return w.errAt(base+bad, w.p.day, err)
	}
	if pc := column(rec, w.p.period); pc != nil {
		for i := 0; i < n; i++ {
			if pc.IsNull(i) {
				return w.errAt(base+i, w.p.period, errorf("billing period is empty"))
			}
		}
		if bad, _, err := dayColumn(pc, w.periods, &w.perText, &w.scratch); err != nil {
			return w.errAt(base+bad, w.p.period, err)
		}
	} else {
		copy(w.periods, w.days)
	}
	for d := range w.p.dims {
		if err := w.dimension(rec, d, n, base); err != nil {
			return err
		}
	}
	// Metrics.
	for m, cands := range w.p.metrics {
		for _, pr := range w.p.products[m] {
			cands = append(cands, pr[0], pr[1])
		}
		for _, f := range cands {
			nc := w.nums[f]
			if nc == nil {
				nc = &numColumn{}
				w.nums[f] = nc
			}
			if bad := nc.load(column(rec, f), &w.scratch); bad != nil {
				return w.errAt(base+bad.row, f, errorf("%q is not a number: %w", bad.text, bad.err))
			}
		}
	}
	nm := len(spec.metrics)
	cols := make([][]*numColumn, nm)
	prods := make([][][2]*numColumn, nm)
	for m, cands := range w.p.metrics {
		for _, f := range cands {
			cols[m] = append(cols[m], w.nums[f])
		}
		for _, pr := range w.p.products[m] {
			prods[m] = append(prods[m], [2]*numColumn{w.nums[pr[0]], w.nums[pr[1]]})
		}
	}
	nd := len(w.p.dims)
	var (
		key  rawKey
		vals [maxMetrics]valdrix.Decimal
	)
	for i := 0; i < n; i++ {
		key.day = w.days[i]
		key.period = w.periods[i].Month()
		for d := 0; d < nd; d++ {
			key.dims[d] = w.ids[d][i]
		}
		var present uint16
		for m := 0; m < nm; m++ {
			vals[m] = 0
			for _, c := range cols[m] {
				if c.valid[i] {
					vals[m] = c.vals[i]
					present |= 1 << m
					break
				}
			}
			if present&(1<<m) != 0 {
				continue
			}
			for _, pr := range prods[m] {
				if pr[0].valid[i] && pr[1].valid[i] {
					v, ok := pr[0].vals[i].Mul(pr[1].vals[i])
					if !ok {
						return w.errAt(base+i, spec.metrics[m].label, errorf("the product is out of range"))
					}
					vals[m] = v
					present |= 1 << m
					break
				}
			}
		}
		if m := w.agg.add(&key, &vals, present, 1, nm); m >= 0 {
			return w.errAt(base+i, spec.metrics[m].label, errorf("the daily sum is out of range (more than 9.2 billion)"))
		}
	}
	return nil
}

// dimension fills w.ids[d] for the batch.
func (w *pqWorker) dimension(rec arrow.RecordBatch, d, n, base int) error {
	pd := &w.p.dims[d]
	ds := &w.st.spec.dims[d]
	w.ids[d] = growU32(w.ids[d], n)
	ids := w.ids[d]
	switch {
	case ds.kind == slotComposite:
		return w.composite(rec, d, n, base)
	case pd.field == "":
		clear(ids)
		return nil
	case pd.isMap:
		return w.mapColumn(column(rec, pd.field).(*array.Map), d, n, base)
	}
	col := w.dcol(d, pd.field, 0)
	fresh := col.loadKeep(column(rec, pd.field))
	col.trans = col.trans[:fresh]
	if fresh < len(col.dict) {
		w.st.mu.Lock()
		for j := fresh; j < len(col.dict); j++ {
			var id uint32
			var err error
			if ds.kind == slotObject || ds.kind == slotMapValue {
				id, err = w.st.objectID(d, col.dict[j])
			} else {
				id, err = w.st.stringID(d, col.dict[j])
			}
			if err != nil {
				w.st.mu.Unlock()
				return w.errAt(base+firstRow(col.codes, j), pd.field, err)
			}
			col.trans = append(col.trans, id)
		}
		w.st.mu.Unlock()
	}
	for i, c := range col.codes {
		if c >= 0 {
			ids[i] = col.trans[c]
			continue
		}
		if ds.check != nil {
			if err := ds.check(""); err != nil {
				return w.errAt(base+i, pd.field, err)
			}
		}
		ids[i] = 0
	}
	return nil
}

func firstRow(codes []int32, j int) int {
	for i, c := range codes {
		if c == int32(j) {
			return i
		}
	}
	return 0
}

// mapColumn handles a map<string,string> column: tags (canonical JSON of
// the whole map) or one key's value (product['vcpu']).
func (w *pqWorker) mapColumn(m *array.Map, d, n, base int) error {
	ds := &w.st.spec.dims[d]
	ids := w.ids[d]
	field := w.p.dims[d].field
	keys, vals := w.dcol(d, field, 1), w.dcol(d, field, 2)
	fk, fv := keys.loadKeep(m.Keys()), vals.loadKeep(m.Items())
	if ds.kind == slotMapValue {
		keys.want = keys.want[:fk]
		for j := fk; j < len(keys.dict); j++ {
			keys.want = append(keys.want, keys.dict[j] == ds.mapKey)
		}
		vals.lazy = vals.lazy[:fv]
		for j := fv; j < len(vals.dict); j++ {
			vals.lazy = append(vals.lazy, -1)
		}
		for i := 0; i < n; i++ {
			ids[i] = 0
			if m.IsNull(i) {
				continue
			}
			start, end := m.ValueOffsets(i)
			for e := start; e < end; e++ {
				kc := keys.codes[e]
				if kc < 0 || !keys.want[kc] {
					continue
				}
				vc := vals.codes[e]
				if vc < 0 {
					break
				}
				if vals.lazy[vc] < 0 {
					w.st.mu.Lock()
					id, err := w.st.stringID(d, vals.dict[vc])
					w.st.mu.Unlock()
					if err != nil {
						return w.errAt(base+i, ds.label, err)
					}
					vals.lazy[vc] = int64(id)
				}
				ids[i] = uint32(vals.lazy[vc])
				break
			}
		}
		return nil
	}
	// Tags: intern key and value strings, then the (key, value) id tuple.
	w.st.mu.Lock()
	kin, vin := w.st.mapInterners(d)
	keys.trans = keys.trans[:fk]
	for j := fk; j < len(keys.dict); j++ {
		id, _ := kin.lookup(keys.dict[j])
		keys.trans = append(keys.trans, id)
	}
	vals.trans = vals.trans[:fv]
	for j := fv; j < len(vals.dict); j++ {
		id, _ := vin.lookup(vals.dict[j])
		vals.trans = append(vals.trans, id)
	}
	w.st.mu.Unlock()
	ktrans, vtrans := keys.trans, vals.trans
	kcodes, vcodes := keys.codes, vals.codes
	for i := 0; i < n; i++ {
		if m.IsNull(i) {
			ids[i] = 0
			continue
		}
		start, end := m.ValueOffsets(i)
		if start == end {
			ids[i] = 0
			continue
		}
		t := w.tuple[:0]
		for e := start; e < end; e++ {
			kc, vc := kcodes[e], vcodes[e]
			var k, v uint32
			if kc >= 0 {
				k = ktrans[kc]
			}
			if vc >= 0 {
				v = vtrans[vc]
			}
			t = binary.LittleEndian.AppendUint32(t, k)
			t = binary.LittleEndian.AppendUint32(t, v)
		}
		w.tuple = t
		id, err := w.tupleID(d, t, func() map[string]string {
			tags := map[string]string{}
			for x := 0; x+8 <= len(t); x += 8 {
				if k := kin.strs[binary.LittleEndian.Uint32(t[x:])]; k != "" {
					tags[k] = vin.strs[binary.LittleEndian.Uint32(t[x+4:])]
				}
			}
			return tags
		})
		if err != nil {
			return w.errAt(base+i, ds.label, err)
		}
		ids[i] = id
	}
	return nil
}

// tupleID maps the id tuple of a map or composite value to the slot id of
// its canonical JSON, building the JSON (under the lock) only for tuples
// this worker has not seen.
func (w *pqWorker) tupleID(d int, t []byte, build func() map[string]string) (uint32, error) {
	if id, ok := w.tuples[d][string(t)]; ok {
		return id, nil
	}
	w.st.mu.Lock()
	id, err := w.st.stringID(d, canonicalStrings(build()))
	w.st.mu.Unlock()
	if err == nil {
		w.tuples[d][string(t)] = id
	}
	return id, err
}

// composite handles a slot made of many columns (legacy CUR tag columns,
// FOCUS x_ columns).
func (w *pqWorker) composite(rec arrow.RecordBatch, d, n, base int) error {
	pd := &w.p.dims[d]
	ids := w.ids[d]
	if len(pd.members) == 0 {
		clear(ids)
		return nil
	}
	w.st.mu.Lock()
	_, vin := w.st.mapInterners(d)
	members := make([]*dictCol, len(pd.members))
	for k, f := range pd.members {
		mc := w.dcol(d, f, 0)
		fresh := mc.loadKeep(column(rec, f))
		mc.trans = mc.trans[:fresh]
		for j := fresh; j < len(mc.dict); j++ {
			id, _ := vin.lookup(mc.dict[j])
			mc.trans = append(mc.trans, id)
		}
		members[k] = mc
	}
	w.st.mu.Unlock()
	for i := 0; i < n; i++ {
		t := w.tuple[:0]
		for k := range pd.members {
			var v uint32
			if c := members[k].codes[i]; c >= 0 {
				v = members[k].trans[c]
			}
			t = binary.LittleEndian.AppendUint32(t, v)
		}
		w.tuple = t
		id, err := w.tupleID(d, t, func() map[string]string {
			vals := map[string]string{}
			for k, key := range pd.keys {
				if v := vin.strs[binary.LittleEndian.Uint32(t[4*k:])]; v != "" {
					vals[key] = v
				}
			}
			return vals
		})
		if err != nil {
			return w.errAt(base+i, w.st.spec.dims[d].label, err)
		}
		ids[i] = id
	}
	return nil
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

// checkColumnChunks validates the byte ranges of the column chunks about to
// be read. arrow-go opens column readers on goroutines of its own, where a
// panic on impossible metadata (a negative length) could not be recovered,
// so such files are refused here first.
func checkColumnChunks(rdr *file.Reader, rg int, leaves []int) error {
	md := rdr.MetaData()
	size := md.GetSourceFileSize()
	rgm := md.RowGroup(rg)
	if rgm.NumRows() < 0 {
		return errorf("corrupt Parquet metadata: negative row count")
	}
	for _, i := range leaves {
		if i >= rgm.NumColumns() {
			return errorf("corrupt Parquet metadata: row group has %d columns, want %d", rgm.NumColumns(), i+1)
		}
		col, err := rgm.ColumnChunk(i)
		if err != nil {
			return errorf("corrupt Parquet metadata: %w", err)
		}
		start := col.DataPageOffset()
		if col.HasDictionaryPage() && col.DictionaryPageOffset() > 0 && start > col.DictionaryPageOffset() {
			start = col.DictionaryPageOffset()
		}
		n := col.TotalCompressedSize()
		if start < 0 || n < 0 || start > size || n > size-start {
			return errorf("corrupt Parquet metadata: column chunk %d spans bytes %d+%d of a %d-byte file", i, start, n, size)
		}
	}
	return nil
}

// dcolKey names one string column's state: the slot, the field and the
// part (0 the column itself, 1 a map's keys, 2 its values).
type dcolKey struct {
	slot  int
	field string
	part  uint8
}

// dictCol is a string column's dictionary and its translations, kept across
// the batches of one row group.
type dictCol struct {
	strColumn
	trans []uint32 // slot (or interner) ids of dict entries
	want  []bool   // map keys: the entry is the wanted key
	lazy  []int64  // map values: slot id, or -1 when not yet translated
}

func (w *pqWorker) dcol(d int, field string, part uint8) *dictCol {
	k := dcolKey{d, field, part}
	c := w.dcols[k]
	if c == nil {
		c = &dictCol{}
		w.dcols[k] = c
	}
	return c
}
