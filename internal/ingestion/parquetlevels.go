package ingestion

import (
	"encoding/binary"
	"math/bits"
)

// mapScan turns the repetition and definition levels of a map leaf into one
// code per map entry and each row's range of entries, a page at a time.
//
// Most levels need no decision of their own: in a page without null values
// inside maps, the codes of a run of entries are the next run of the
// page's dictionary indices. So levels are taken eight at a time as two
// machine words: which bytes start a row (repetition level 0) and which
// hold an entry (definition level at least entryDef) are found with a few
// word operations, the entries' codes are copied as one run, and only the
// rows that start in the block are handled one by one. A block with a null
// value, or with the start of the row that ends the window, is handled a
// level at a time.
type mapScan struct {
	codes    []int32 // one per entry; -1 for a null value
	rows     []int32 // rows[r] is where row r's entries start (rows[0] = 0)
	row      int     // the row being read; -1 before the first
	n        int     // rows wanted
	v        int     // the next value of the page
	entryDef byte    // levels at or above this are map entries
	maxDef   byte    // an entry whose value is not null
}

const (
	lowBits  = 0x0101010101010101
	highBits = 0x8080808080808080
	low7Bits = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes has the high bit of each byte of x that is zero set, and no
// other bit (no false positives: no carry crosses bytes).
func zeroBytes(x uint64) uint64 {
	return ^((x&low7Bits + low7Bits) | x | low7Bits)
}

// scan reads levels until row n starts or the levels end, and reports how
// many it read. idx holds the page's dictionary indices of its non-null
// values; nil for a plain page, whose values are numbered in order.
func (s *mapScan) scan(reps, defs []byte, idx []int32) (int, error) {
	defs = defs[:len(reps)]
	codes, rows, v, row := s.codes, s.rows, s.v, s.row
	maxDef, entryDef := s.maxDef, s.entryDef
	full := lowBits * uint64(maxDef)
	// (d | 0x80) - entryDef keeps the high bit exactly where d ≥ entryDef,
	// since levels are below 128 and no borrow crosses the high bit.
	entry := lowBits * uint64(entryDef)
	pending := 0 // entries of fast blocks whose codes are not yet appended
	j := 0
	for j < len(reps) {
		if j+8 <= len(reps) && row >= 0 && idx != nil {
			r := binary.LittleEndian.Uint64(reps[j:])
			d := binary.LittleEndian.Uint64(defs[j:])
			starts := zeroBytes(r)
			ents := ((d | highBits) - entry) & highBits
			vals := zeroBytes(d ^ full)
			nstart := bits.OnesCount64(starts)
			if ents == vals && row+nstart < s.n {
				// Every entry has a value, and the window does not end here.
				base := len(codes) + pending
				for m := starts; m != 0; m &= m - 1 {
					p := bits.TrailingZeros64(m) // high bit of the starting byte
					before := ents & (1<<p - 1)
					rows = append(rows, int32(base+bits.OnesCount64(before)))
				}
				row += nstart
				pending += bits.OnesCount64(ents)
				j += 8
				continue
			}
		}
		if pending > 0 {
			codes = append(codes, idx[v:v+pending]...)
			v += pending
			pending = 0
		}
		if reps[j] == 0 {
			if row >= 0 {
				rows = append(rows, int32(len(codes)))
			}
			row++
			if row == s.n {
				break
			}
		} else if row < 0 {
			return j, errorf("corrupt map column: a row starts with a repeated value")
		}
		codes, v = appendEntry(codes, defs[j], entryDef, maxDef, idx, v)
		j++
	}
	if pending > 0 {
		codes = append(codes, idx[v:v+pending]...)
		v += pending
	}
	s.codes, s.rows, s.v, s.row = codes, rows, v, row
	return j, nil
}

// appendEntry appends the code of one map level with definition level d to
// codes — none when it is no entry, -1 for a null value, else the page's
// next value (its dictionary index, or its position in a plain page: idx
// nil) — and returns the page's next value position.
func appendEntry(codes []int32, d, entryDef, maxDef byte, idx []int32, v int) ([]int32, int) {
	switch {
	case d < entryDef:
	case d != maxDef:
		codes = append(codes, -1)
	case idx != nil:
		codes = append(codes, idx[v])
		v++
	default:
		codes = append(codes, int32(v))
		v++
	}
	return codes, v
}
