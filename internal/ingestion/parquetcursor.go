package ingestion

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"slices"
	"strconv"
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Parquet columns are read page by page with parquet-go, without
// materialising values: a dictionary-encoded page (what every billing
// export writer produces for text, and for numbers too) yields the
// dictionary indices of its rows, and each distinct dictionary entry is
// converted once per column chunk (interned, parsed, priced). Plain pages
// are read the same way, each value being its own entry.

// dictView is the dictionary a run of codes refers to: a column chunk's
// dictionary, or the values of one plain page. gen identifies it: it changes
// whenever the dictionary does, so translations can be cached by gen.
type dictView struct {
	gen  uint64
	vals encoding.Values
	leaf *pqLeaf
	n    int // boolean pages: the number of values
}

// len returns the number of entries.
func (v *dictView) len() int {
	switch v.leaf.typ {
	case format.ByteArray:
		_, off := v.vals.ByteArray()
		return max(0, len(off)-1)
	case format.FixedLenByteArray:
		data, size := v.vals.FixedLenByteArray()
		if size <= 0 {
			return 0
		}
		return len(data) / size
	case format.Int32:
		return len(v.vals.Int32())
	case format.Int64:
		return len(v.vals.Int64())
	case format.Int96:
		return len(v.vals.Int96())
	case format.Float:
		return len(v.vals.Float())
	case format.Double:
		return len(v.vals.Double())
	case format.Boolean:
		return v.n
	}
	return 0
}

// bytes returns entry i of a byte array or fixed-length column as a view
// into the page: it must be copied to be kept.
func (v *dictView) bytes(i int) []byte {
	if v.leaf.typ == format.FixedLenByteArray {
		data, size := v.vals.FixedLenByteArray()
		return data[i*size : (i+1)*size]
	}
	data, off := v.vals.ByteArray()
	return data[off[i]:off[i+1]]
}

// str returns entry i as text, a view valid while the page is held.
func (v *dictView) str(i int) string {
	switch l := v.leaf; l.typ {
	case format.Boolean:
		if v.vals.Boolean()[i/8]>>(i%8)&1 != 0 {
			return "true"
		}
		return "false"
	case format.Int32, format.Int64:
		var x int64
		if l.typ == format.Int32 {
			x = int64(v.vals.Int32()[i])
		} else {
			x = v.vals.Int64()[i]
		}
		switch {
		case l.perDay > 0:
			t := time.Unix(0, x) // nanoseconds
			switch l.perDay {
			case 86_400_000:
				t = time.UnixMilli(x)
			case 86_400_000_000:
				t = time.UnixMicro(x)
			}
			return t.UTC().Format("2006-01-02T15:04:05Z")
		case l.date:
			return valdrix.Date(x).String()
		case l.scale > 0:
			if e := v.decimal(i); e.valid {
				return e.val.String()
			}
		}
		return strconv.FormatInt(x, 10)
	case format.Float, format.Double:
		return strconv.FormatFloat(v.rawFloat(i), 'g', -1, 64)
	case format.Int96:
		b := v.vals.Int96()[i]
		nanos := int64(b[1])<<32 | int64(b[0])
		return time.Unix((int64(b[2])-2_440_588)*86_400, nanos).UTC().Format("2006-01-02T15:04:05Z")
	}
	b := v.bytes(i)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// leafWin is one window of rows of one leaf: for a flat leaf, codes[i] is
// the dictionary entry of row i (-1 null); for a map leaf, codes has one
// entry per map entry and rows[r]..rows[r+1] are row r's entries. segs split
// codes by dictionary.
type leafWin struct {
	codes  []int32 // read only: may be a view of the page's indices
	rows   []int32
	segs   []leafSeg
	null   bool    // the whole window is null (the chunk holds no values)
	nulls  bool    // flat leaves: some codes are -1
	own    []int32 // the window's own buffer for codes
	levels int     // map leaves: the levels the window spans
}

type leafSeg struct {
	end int // codes[start:end] use dv
	dv  dictView
}

// pqCursor reads one leaf column chunk of a row group.
type pqCursor struct {
	leaf    *pqLeaf
	pages   parquet.Pages
	page    parquet.Page
	held    []parquet.Page // pages whose values the current window refers to
	defs    []byte
	reps    []byte
	idx     []int32 // dictionary pages: indices of the non-null values
	isDict  bool
	nlev    int // levels (or values, without levels) in the page
	lev     int
	val     int
	dict    parquet.Dictionary
	view    dictView
	gens    *uint64
	allNull bool
	win     leafWin
}

var errColumnEnded = errors.New("the column ends before the row group does")

func (c *pqCursor) reset(leaf *pqLeaf, pages parquet.Pages, gens *uint64, allNull bool) {
	c.close()
	c.leaf, c.pages, c.gens, c.allNull = leaf, pages, gens, allNull
	c.page, c.dict, c.nlev, c.lev, c.val = nil, nil, 0, 0, 0
}

// close releases the cursor's pages.
func (c *pqCursor) close() {
	c.release()
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		_ = c.pages.Close()
		c.pages = nil
	}
}

// release releases the pages the previous window referred to.
func (c *pqCursor) release() {
	for _, p := range c.held {
		parquet.Release(p)
	}
	clear(c.held)
	c.held = c.held[:0]
}

// next moves to the next page.
func (c *pqCursor) next() error {
	if c.page != nil {
		if c.isDict {
			// The window has copied this page's dictionary indices (a
			// window that views them lies in one page and never gets
			// here), and its values are the dictionary's, not the
			// page's: the page's buffers can serve the next page.
			parquet.Release(c.page)
		} else {
			c.held = append(c.held, c.page) // the window's values live in it
		}
		c.page = nil
	}
	p, err := c.pages.ReadPage()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return errColumnEnded
		}
		return err
	}
	c.page = p
	c.defs, c.reps = nil, nil
	if c.leaf.maxDef > 0 {
		c.defs = p.DefinitionLevels()
	}
	if c.leaf.maxRep > 0 {
		c.reps = p.RepetitionLevels()
	}
	c.nlev = int(p.NumValues())
	if c.defs != nil {
		c.nlev = len(c.defs)
	}
	if c.reps != nil && len(c.reps) != c.nlev {
		return errorf("corrupt page: %d repetition levels for %d values", len(c.reps), c.nlev)
	}
	if c.leaf.maxRep == 0 && c.defs != nil && p.NumNulls() == 0 {
		c.defs = nil
	}
	c.lev, c.val = 0, 0
	if d := p.Dictionary(); d != nil {
		c.isDict = true
		data := p.Data()
		c.idx = data.Int32()
		if d != c.dict {
			c.dict = d
			*c.gens++
			c.view = dictView{gen: *c.gens, vals: d.Page().Data(), leaf: c.leaf}
		}
		return nil
	}
	c.isDict, c.dict = false, nil
	*c.gens++
	c.view = dictView{gen: *c.gens, vals: p.Data(), leaf: c.leaf, n: int(p.NumValues() - p.NumNulls())}
	return nil
}

// seg closes the current segment of the window at end.
func (c *pqCursor) seg(end int) {
	w := &c.win
	if n := len(w.segs); n > 0 && w.segs[n-1].dv.gen == c.view.gen {
		w.segs[n-1].end = end
		return
	}
	start := 0
	if n := len(w.segs); n > 0 {
		start = w.segs[n-1].end
	}
	if end > start {
		w.segs = append(w.segs, leafSeg{end: end, dv: c.view})
	}
}

// readFlat reads the next n rows of a flat leaf into c.win.
func (c *pqCursor) readFlat(n int) error {
	c.release()
	w := &c.win
	w.segs, w.null, w.nulls = w.segs[:0], c.allNull, false
	if c.allNull {
		return nil
	}
	w.codes = nil
	done := 0
	for done < n {
		if c.page == nil || c.lev >= c.nlev {
			if err := c.next(); err != nil {
				return err
			}
			continue
		}
		k := min(n-done, c.nlev-c.lev)
		if c.defs == nil && c.isDict && k == n {
			// The whole window is in this page, without nulls: its codes
			// are the page's indices, held until the next window.
			w.codes = c.idx[c.val : c.val+k : c.val+k]
			c.val += k
			c.lev += k
			done += k
			c.seg(done)
			continue
		}
		if w.codes == nil {
			// Only now is a buffer of the window's own needed (most
			// numeric columns never need one: a page holds the window).
			w.own = grow(w.own, n)
			w.codes = w.own
		}
		out := w.codes[done : done+k]
		switch {
		case c.defs == nil && c.isDict:
			copy(out, c.idx[c.val:c.val+k])
			c.val += k
		case c.defs == nil:
			for j := range out {
				out[j] = int32(c.val + j)
			}
			c.val += k
		default:
			maxDef, v := c.leaf.maxDef, c.val
			for j, d := range c.defs[c.lev : c.lev+k] {
				if d != maxDef {
					out[j] = -1
					w.nulls = true
					continue
				}
				if c.isDict {
					out[j] = c.idx[v]
				} else {
					out[j] = int32(v)
				}
				v++
			}
			c.val = v
		}
		c.lev += k
		done += k
		c.seg(done)
	}
	return nil
}

// readMap reads the next n rows of a map's key or value leaf into c.win:
// one code per entry (levels at or above the leaf's entryDef), -1 for a
// null value.
func (c *pqCursor) readMap(n int) error {
	c.release()
	w := &c.win
	w.segs, w.null, w.levels = w.segs[:0], false, 0
	// The previous window's sizes are a good guess for this one's: growing
	// by appending would copy the buffers several times over.
	codes := slices.Grow(w.codes[:0], len(w.codes))
	rows := append(slices.Grow(w.rows[:0], n+1), 0)
	w.codes, w.rows = codes, rows
	if c.allNull {
		for range n {
			w.rows = append(w.rows, 0)
		}
		return nil
	}
	sc := mapScan{codes: codes, rows: rows, row: -1, n: n, entryDef: c.leaf.entryDef, maxDef: c.leaf.maxDef}
	for sc.row < n {
		if c.page == nil || c.lev >= c.nlev {
			if err := c.next(); err != nil {
				if errors.Is(err, errColumnEnded) && sc.row == n-1 {
					break
				}
				w.codes, w.rows = sc.codes, sc.rows
				return err
			}
			if c.reps == nil || c.defs == nil {
				return errorf("corrupt map column: a page without levels")
			}
			continue
		}
		var idx []int32
		if c.isDict {
			idx = c.idx
		}
		sc.v = c.val
		k, err := sc.scan(c.reps[c.lev:c.nlev], c.defs[c.lev:c.nlev], idx)
		w.codes, w.rows, c.val = sc.codes, sc.rows, sc.v
		if err != nil {
			return err
		}
		c.lev += k
		w.levels += k
		c.seg(len(w.codes))
		if sc.row == n {
			break
		}
	}
	if sc.row == n-1 {
		w.rows = append(w.rows, int32(len(w.codes)))
	}
	if len(w.rows) != n+1 {
		return errColumnEnded
	}
	return nil
}

// readValues reads the next levels levels of a map's value leaf into c.win
// (codes only), the levels its key leaf's window spans. A map's key and
// value leaves have the same repetition levels, and the same definition
// levels but where a value is null, so the rows are the key leaf's and the
// value leaf's need not be scanned: a run of levels without null values
// has the next run of the page's dictionary indices as its codes.
func (c *pqCursor) readValues(levels int) error {
	c.release()
	w := &c.win
	w.segs, w.null, w.levels = w.segs[:0], false, levels
	codes := slices.Grow(w.codes[:0], len(w.codes))
	entryDef, maxDef := c.leaf.entryDef, c.leaf.maxDef
	for left := levels; left > 0; {
		if c.page == nil || c.lev >= c.nlev {
			if err := c.next(); err != nil {
				w.codes = codes
				return err
			}
			if c.defs == nil {
				w.codes = codes
				return errorf("corrupt map column: a page without levels")
			}
			continue
		}
		k := min(left, c.nlev-c.lev)
		defs := c.defs[c.lev : c.lev+k]
		if ents, vals := countLevels(defs, entryDef, maxDef); ents == vals && c.isDict {
			codes = append(codes, c.idx[c.val:c.val+vals]...)
			c.val += vals
		} else {
			var idx []int32 // nil for a plain page: values numbered in order
			if c.isDict {
				idx = c.idx
			}
			for _, d := range defs {
				codes, c.val = appendEntry(codes, d, entryDef, maxDef, idx, c.val)
			}
		}
		c.lev += k
		left -= k
		w.codes = codes
		c.seg(len(codes))
	}
	w.codes = codes
	return nil
}

// countLevels counts the definition levels at or above entryDef (map
// entries) and those equal to maxDef (entries with a value), eight at a
// time.
func countLevels(defs []byte, entryDef, maxDef byte) (ents, vals int) {
	entry, full := lowBits*uint64(entryDef), lowBits*uint64(maxDef)
	j := 0
	for ; j+8 <= len(defs); j += 8 {
		d := binary.LittleEndian.Uint64(defs[j:])
		ents += bits.OnesCount64(((d | highBits) - entry) & highBits)
		vals += bits.OnesCount64(zeroBytes(d ^ full))
	}
	for _, d := range defs[j:] {
		if d >= entryDef {
			ents++
		}
		if d == maxDef {
			vals++
		}
	}
	return ents, vals
}

func (v *dictView) rawFloat(i int) float64 {
	if v.leaf.typ == format.Float {
		return float64(v.vals.Float()[i])
	}
	return v.vals.Double()[i]
}

// numeric converts entry i of a numeric or text dictionary to a Decimal.
// ok is false for a null-like text value ("", NULL).
func (v *dictView) decimal(i int) (d decimalEntry) {
	l := v.leaf
	switch l.typ {
	case format.Double:
		return floatEntry(v.vals.Double()[i])
	case format.Float:
		return floatEntry(float64(v.vals.Float()[i]))
	case format.Int32:
		return scaledEntry(int64(v.vals.Int32()[i]), l.scale)
	case format.Int64:
		return scaledEntry(v.vals.Int64()[i], l.scale)
	case format.Boolean:
		return textEntry(v.str(i))
	case format.ByteArray, format.FixedLenByteArray:
		if l.scale >= 0 {
			x, ok := decimalFromBig(bigFromTwos(v.bytes(i)), l.scale)
			if !ok {
				return decimalEntry{text: bigFromTwos(v.bytes(i)).String(), err: errDecimalRange}
			}
			return decimalEntry{val: x, valid: true}
		}
		return textEntry(v.str(i))
	}
	return decimalEntry{err: errorf("a %s column cannot hold numbers", l.typ)}
}

// day converts entry i to a charge day.
func (v *dictView) day(i int, cache *dayCache) (int64, error) {
	l := v.leaf
	switch {
	case l.typ == format.Int64 && l.perDay > 0:
		return floorDiv(v.vals.Int64()[i], l.perDay), nil
	case l.typ == format.Int32 && l.date:
		return int64(v.vals.Int32()[i]), nil
	case l.typ == format.Int96:
		julian := int64(v.vals.Int96()[i][2]) // nanoseconds of the day, then the Julian day
		return julian - 2_440_588, nil
	case l.typ == format.ByteArray:
		d, err := cache.day(v.str(i))
		return int64(d), err
	}
	return 0, errorf("a %s column cannot hold dates", l.typ)
}
