package ingestion

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// progressEvery is how many rows pass between progress callbacks and
// cancellation checks.
const progressEvery = 8192

// Progress receives running counts while files are read: rows read so far
// and bytes read from the current file (compressed bytes for gzip files).
type Progress func(file string, rows, bytes int64)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// textReader returns a reader over the decompressed text of r: gzip is
// recognised by its magic bytes, and a UTF-8 byte order mark is dropped.
func textReader(r io.Reader) (io.Reader, func() error, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, _ := br.Peek(2)
	var rd io.Reader = br
	closeFn := func() error { return nil }
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, errorf("corrupt gzip stream: %w", err)
		}
		rd = bufio.NewReaderSize(zr, 256<<10)
		closeFn = zr.Close
	}
	bomr := bufio.NewReader(rd)
	if b, err := bomr.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = bomr.Discard(3)
	}
	return bomr, closeFn, nil
}

// csvHeader reads the header record of a CSV stream.
func csvHeader(file string, r io.Reader) (*csv.Reader, []string, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, parseErr(file, 0, 0, "", errorf("the file is empty"))
	}
	if err != nil {
		return nil, nil, parseErr(file, 0, 0, "", csvCause(err))
	}
	return cr, append([]string(nil), header...), nil
}

// csvCause strips csv's own line numbers (we report data rows instead).
func csvCause(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errorf("corrupt or truncated gzip stream: %w", err)
	}
	return err
}

// colPlan is a resolved spec: which CSV column feeds which slot.
type colPlan struct {
	day, period int
	dims        [][]int    // per slot: column(s); composite slots list every member
	members     [][]string // composite slots: member keys
	metrics     [][]int
	products    [][][2]int
}

// headerIndex maps normalised header names to their first column.
func headerIndex(header []string) map[string]int {
	idx := make(map[string]int, len(header))
	for i, h := range header {
		n := normName(h)
		if _, dup := idx[n]; !dup {
			idx[n] = i
		}
	}
	return idx
}

func findCol(idx map[string]int, ns []string) int {
	for _, n := range ns {
		if i, ok := idx[n]; ok {
			return i
		}
	}
	return -1
}

// plan resolves spec against a header.
func (s *tableSpec) plan(file string, header []string) (*colPlan, error) {
	idx := headerIndex(header)
	p := &colPlan{day: findCol(idx, s.day.names), period: -1}
	for _, alt := range s.dayAlt {
		if p.day >= 0 {
			break
		}
		p.day = findCol(idx, alt.names)
	}
	if p.day < 0 {
		return nil, parseErr(file, 0, 0, s.day.label, errorf("required column is missing from the header"))
	}
	p.period = findCol(idx, s.period.names)
	p.dims = make([][]int, len(s.dims))
	p.members = make([][]string, len(s.dims))
	for d, ds := range s.dims {
		if ds.kind == slotComposite {
			for i, h := range header {
				if key, ok := ds.match(h); ok {
					p.dims[d] = append(p.dims[d], i)
					p.members[d] = append(p.members[d], key)
				}
			}
			continue
		}
		c := findCol(idx, ds.names)
		if c < 0 && ds.required {
			return nil, parseErr(file, 0, 0, ds.label, errorf("required column is missing from the header"))
		}
		if c >= 0 {
			p.dims[d] = []int{c}
		}
	}
	p.metrics = make([][]int, len(s.metrics))
	p.products = make([][][2]int, len(s.metrics))
	for m, ms := range s.metrics {
		for _, cand := range ms.candidates {
			if c := findCol(idx, cand); c >= 0 {
				p.metrics[m] = append(p.metrics[m], c)
			}
		}
		for _, pr := range ms.products {
			a, b := findCol(idx, pr[0]), findCol(idx, pr[1])
			if a >= 0 && b >= 0 {
				p.products[m] = append(p.products[m], [2]int{a, b})
			}
		}
	}
	return p, nil
}

// tableState is the per-read state shared by CSV and Parquet sources of one
// spec: the slot interners and the raw-value caches of JSON slots.
type tableState struct {
	spec    *tableSpec
	slots   []*interner
	objects []map[string]uint32 // per slot: raw text or member tuple → slot id
	days    dayCache
	periods dayCache
	// mu guards everything above while Parquet workers run.
	mu      sync.RWMutex
	mapKeys []*interner // map and composite slots: key strings
	mapVals []*interner // map and composite slots: value strings
	// prefaulted is set once memory was populated for the period's first
	// Parquet file (prefault.go).
	prefaulted bool
}

func newTableState(spec *tableSpec) *tableState {
	st := &tableState{spec: spec, slots: make([]*interner, len(spec.dims)), objects: make([]map[string]uint32, len(spec.dims))}
	for i := range st.slots {
		st.slots[i] = newInterner()
		st.objects[i] = map[string]uint32{}
	}
	return st
}

// stringID interns a plain value of slot d, validating new values.
func (st *tableState) stringID(d int, v string) (uint32, error) {
	if v == "" {
		// "" is interned from the start, so it is never new: check it here.
		if check := st.spec.dims[d].check; check != nil {
			if err := check(""); err != nil {
				return 0, err
			}
		}
		return 0, nil
	}
	in := st.slots[d]
	if id, ok := in.get(v); ok {
		return id, nil
	}
	if check := st.spec.dims[d].check; check != nil {
		if err := check(v); err != nil {
			return 0, err
		}
	}
	return in.add(v), nil
}

// objectID maps raw JSON text of an object or map-value slot to its id.
func (st *tableState) objectID(d int, raw string) (uint32, error) {
	if id, ok := st.objects[d][raw]; ok {
		return id, nil
	}
	ds := &st.spec.dims[d]
	var v string
	var err error
	if ds.kind == slotMapValue {
		v, err = objectValue(raw, ds.mapKey, ds.braceless)
	} else {
		v, err = canonicalObject(raw, ds.braceless)
	}
	if err != nil {
		return 0, err
	}
	id, err := st.stringID(d, v)
	if err != nil {
		return 0, err
	}
	if len(st.objects[d]) < 1<<20 {
		st.objects[d][strings.Clone(raw)] = id
	}
	return id, nil
}

// compositeID maps the member values of a composite slot to its id. tuple is
// the members' values joined by NUL, used as the cache key.
func (st *tableState) compositeID(d int, tuple []byte, members []string, values func(i int) string) (uint32, error) {
	if id, ok := st.objects[d][string(tuple)]; ok {
		return id, nil
	}
	m := map[string]string{}
	for i, key := range members {
		if v := values(i); v != "" {
			m[key] = v
		}
	}
	id, err := st.stringID(d, canonicalStrings(m))
	if err != nil {
		return 0, err
	}
	if len(st.objects[d]) < 1<<20 {
		st.objects[d][string(tuple)] = id
	}
	return id, nil
}

// csvCell normalises a CSV cell: surrounding spaces trimmed, and the NULL
// markers SQL tools write become empty.
func csvCell(rec []string, c int) string {
	if c < 0 || c >= len(rec) {
		return ""
	}
	v := rec[c]
	if len(v) > 0 && (v[0] == ' ' || v[len(v)-1] == ' ') {
		v = strings.TrimSpace(v)
	}
	if len(v) == 4 && (v == "NULL" || v == "null") {
		return ""
	}
	return v
}

// readCSVTable reads one CSV (optionally gzip) stream under spec into agg.
func readCSVTable(ctx context.Context, file string, r io.Reader, st *tableState, agg *aggregator, progress Progress) (int64, error) {
	cnt := &countingReader{r: r}
	text, closeFn, err := textReader(cnt)
	if err != nil {
		return 0, parseErr(file, 0, 0, "", err)
	}
	defer func() { _ = closeFn() }()
	cr, header, err := csvHeader(file, text)
	if err != nil {
		return 0, err
	}
	return readCSVRecords(ctx, file, cr, header, cnt, st, agg, progress)
}

func readCSVRecords(ctx context.Context, file string, cr *csv.Reader, header []string, cnt *countingReader, st *tableState, agg *aggregator, progress Progress) (int64, error) {
	spec := st.spec
	p, err := spec.plan(file, header)
	if err != nil {
		return 0, err
	}
	var (
		key   rawKey
		vals  [maxMetrics]valdrix.Decimal
		tuple []byte
		row   int64
	)
	nm := len(spec.metrics)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		row++
		if err != nil {
			return row, parseErr(file, 0, row, "", csvCause(err))
		}
		if row%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return row, err
			}
			if progress != nil {
				progress(file, row, cnt.n)
			}
		}
		if len(rec) == 1 && rec[0] == "" {
			row--
			continue // blank line
		}
		dayText := csvCell(rec, p.day)
		if dayText == "" {
			return row, parseErr(file, 0, row, header[p.day], errorf("charge date is empty"))
		}
		day, err := st.days.day(dayText)
		if err != nil {
			return row, parseErr(file, 0, row, header[p.day], err)
		}
		key.day = day
		key.period = day.Month()
		if p.period >= 0 {
			if pt := csvCell(rec, p.period); pt != "" {
				pd, err := st.periods.day(pt)
				if err != nil {
					return row, parseErr(file, 0, row, header[p.period], err)
				}
				key.period = pd.Month()
			}
		}
		for d, cols := range p.dims {
			ds := &spec.dims[d]
			var id uint32
			switch {
			case len(cols) == 0:
				id = 0
			case ds.kind == slotComposite:
				tuple = tuple[:0]
				for _, c := range cols {
					tuple = append(tuple, csvCell(rec, c)...)
					tuple = append(tuple, 0)
				}
				id, err = st.compositeID(d, tuple, p.members[d], func(i int) string { return csvCell(rec, cols[i]) })
			case ds.kind == slotObject || ds.kind == slotMapValue:
				id, err = st.objectID(d, csvCell(rec, cols[0]))
			default:
				id, err = st.stringID(d, csvCell(rec, cols[0]))
			}
			if err != nil {
				col := ds.label
				if len(cols) > 0 && ds.kind != slotComposite {
					col = header[cols[0]]
				}
				return row, parseErr(file, 0, row, col, err)
			}
			key.dims[d] = id
		}
		var present uint16
		for m, cols := range p.metrics {
			vals[m] = 0
			for _, c := range cols {
				v := csvCell(rec, c)
				if v == "" {
					continue
				}
				dv, err := valdrix.ParseDecimal(v)
				if err != nil {
					return row, parseErr(file, 0, row, header[c], errorf("%q is not a number: %w", v, err))
				}
				vals[m] = dv
				present |= 1 << m
				break
			}
			if present&(1<<m) != 0 {
				continue
			}
			for _, pr := range p.products[m] {
				va, vb := csvCell(rec, pr[0]), csvCell(rec, pr[1])
				if va == "" || vb == "" {
					continue
				}
				da, err := valdrix.ParseDecimal(va)
				if err != nil {
					return row, parseErr(file, 0, row, header[pr[0]], errorf("%q is not a number: %w", va, err))
				}
				db, err := valdrix.ParseDecimal(vb)
				if err != nil {
					return row, parseErr(file, 0, row, header[pr[1]], errorf("%q is not a number: %w", vb, err))
				}
				v, ok := da.Mul(db)
				if !ok {
					return row, parseErr(file, 0, row, header[pr[0]], errorf("%s × %s is out of range", va, vb))
				}
				vals[m] = v
				present |= 1 << m
				break
			}
		}
		if m := agg.add(&key, &vals, present, 1, nm); m >= 0 {
			return row, parseErr(file, 0, row, spec.metrics[m].label, errorf("the daily sum is out of range (more than 9.2 billion)"))
		}
	}
	if row == 0 {
		return 0, parseErr(file, 0, 0, "", errorf("the file has a header but no data rows"))
	}
	if progress != nil {
		progress(file, row, cnt.n)
	}
	return row, nil
}
