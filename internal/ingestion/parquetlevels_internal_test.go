package ingestion

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// refMapScan is the plain reading of map levels that mapScan must match: a
// level at a time.
func refMapScan(codes, rows []int32, reps, defs []byte, idx []int32, entryDef, maxDef byte, row, n, v int) (_, _ []int32, used, outRow, outV int) {
	j := 0
	for ; j < len(reps); j++ {
		if reps[j] == 0 {
			if row >= 0 {
				rows = append(rows, int32(len(codes)))
			}
			row++
			if row == n {
				break
			}
		}
		switch d := defs[j]; {
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
	}
	return codes, rows, j, row, v
}

// TestMapScanMatchesLevelByLevel reads random map levels — rows of 0 to 9
// entries, null maps, null values, dictionary and plain pages — split into
// pages of random sizes and windows of random row counts, with the word-wise
// scanner and with the level-by-level reference, and wants the same codes,
// row boundaries and positions everywhere.
func TestMapScanMatchesLevelByLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		entryDef, maxDef byte
		pNullMap, pEmpty float64 // per row
		pNullVal         float64 // per entry
		maxEntries       int
		plain            bool
	}{
		{name: "required map, required values", entryDef: 1, maxDef: 1, maxEntries: 9},
		{name: "keys of an optional map", entryDef: 2, maxDef: 2, pNullMap: 0.1, pEmpty: 0.15, maxEntries: 5},
		{name: "values of an optional map, some null", entryDef: 2, maxDef: 3, pNullMap: 0.1, pEmpty: 0.1, pNullVal: 0.05, maxEntries: 5},
		{name: "dense values, long rows", entryDef: 2, maxDef: 3, maxEntries: 40},
		{name: "mostly empty (a product map on other services)", entryDef: 2, maxDef: 3, pEmpty: 0.8, maxEntries: 2},
		{name: "one entry per row", entryDef: 2, maxDef: 2, maxEntries: 1},
		{name: "plain pages", entryDef: 2, maxDef: 3, pEmpty: 0.2, pNullVal: 0.05, maxEntries: 6, plain: true},
	}
	for ti, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(ti), 7))
			const nrows = 3000
			var reps, defs []byte
			var idx []int32
			for range nrows {
				switch p := rng.Float64(); {
				case p < tc.pNullMap:
					reps, defs = append(reps, 0), append(defs, tc.entryDef-1-min(tc.entryDef-1, 1))
					continue
				case p < tc.pNullMap+tc.pEmpty:
					reps, defs = append(reps, 0), append(defs, tc.entryDef-1)
					continue
				}
				k := 1 + rng.IntN(tc.maxEntries)
				for e := range k {
					rep := byte(1)
					if e == 0 {
						rep = 0
					}
					def := tc.maxDef
					if rng.Float64() < tc.pNullVal {
						def = tc.maxDef - 1
					} else {
						idx = append(idx, rng.Int32N(1000))
					}
					reps, defs = append(reps, rep), append(defs, def)
				}
			}
			if tc.plain {
				idx = nil
			}
			// Pages of random sizes, each starting with a row.
			var pages [][2]int
			for start := 0; start < len(reps); {
				end := min(len(reps), start+1+rng.IntN(300))
				for end < len(reps) && reps[end] != 0 {
					end++
				}
				pages = append(pages, [2]int{start, end})
				start = end
			}
			type state struct{ page, lev, v int }
			read := func(st *state, n int, fast bool) (codes, rows []int32) {
				rows = []int32{0}
				sc := mapScan{rows: rows, row: -1, n: n, entryDef: tc.entryDef, maxDef: tc.maxDef}
				row := -1
				for row < n && st.page < len(pages) {
					pg := pages[st.page]
					r, d := reps[st.lev:pg[1]], defs[st.lev:pg[1]]
					if len(r) == 0 {
						st.page++
						if st.page < len(pages) {
							st.lev = pages[st.page][0]
						}
						continue
					}
					var used int
					if fast {
						sc.v = st.v
						var err error
						used, err = sc.scan(r, d, idx)
						require.NoError(t, err)
						codes, rows, st.v, row = sc.codes, sc.rows, sc.v, sc.row
					} else {
						codes, rows, used, row, st.v = refMapScan(codes, rows, r, d, idx, tc.entryDef, tc.maxDef, row, n, st.v)
					}
					st.lev += used
				}
				if row == n-1 {
					rows = append(rows, int32(len(codes)))
				}
				return codes, rows
			}
			var fs, rs state
			for fs.page < len(pages) {
				n := 1 + rng.IntN(700)
				fc, fr := read(&fs, n, true)
				rc, rr := read(&rs, n, false)
				require.Equal(t, rc, fc, "codes")
				require.Equal(t, rr, fr, "row starts")
				require.Equal(t, rs, fs, "position")
			}
			require.Equal(t, len(reps), fs.lev, "every level read")
		})
	}
}

func TestMapScanRefusesARowStartingWithARepeat(t *testing.T) {
	t.Parallel()
	sc := mapScan{rows: []int32{0}, row: -1, n: 4, entryDef: 1, maxDef: 1}
	_, err := sc.scan([]byte{1, 0, 1, 0, 1, 1, 0, 1, 0, 1}, []byte{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, make([]int32, 10))
	require.ErrorContains(t, err, "starts with a repeated value")
}

func TestZeroBytes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		var x uint64
		for b := range 8 {
			var v uint64
			switch rng.IntN(4) {
			case 0: // zero
			case 1:
				v = 1
			case 2:
				v = 0x80
			default:
				v = uint64(rng.IntN(256))
			}
			x |= v << (8 * b)
		}
		var want uint64
		for b := range 8 {
			if x>>(8*b)&0xff == 0 {
				want |= 0x80 << (8 * b)
			}
		}
		require.Equal(t, want, zeroBytes(x), "%016x", x)
	}
}
