package ingestion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The grouper gives two rows one id exactly when all their key columns are
// equal, numbering groups densely in order of first appearance, whatever
// the columns' widths (narrow ones folded four to a pass, wide ones forcing
// renumbering), nulls (-1) and constant columns.
func TestGrouperMatchesAMap(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rows     int
		cols     []gcol
		explicit [][]uint32 // columns of given values instead
	}{
		// Widths 3, 2³¹, 2³¹, 2³¹: the first three fill 64 bits, so acc must
		// be renumbered before the fourth, or rows 0 and 1 (which differ
		// only in the first column) would collide.
		{name: "overflow needs renumbering", rows: 4, explicit: [][]uint32{{0, 2, 0, 2}, {0, 0, math.MaxInt32, math.MaxInt32},
			{0, 0, math.MaxInt32, 0}, {0, 0, 0, math.MaxInt32}}},
		// Wide values (numbered with the hash table) whose rows repeat one
		// order, then a rotation of it: runs of rows meet their groups in
		// numbering order, which the renumbering tries first.
		{name: "rows repeating an order", rows: 400, explicit: [][]uint32{func() []uint32 {
			v := make([]uint32, 400)
			for i := range v {
				k := i % 50
				if i >= 200 {
					k = (i + 7) % 50
				}
				v[i] = uint32(k*40_000_003) % (1 << 31)
			}
			return v
		}()}},
		// Two wide columns fill 64 bits; of the columns after them, one is
		// an attribute of the first (one value per group: not folded) and
		// one is too except on row 123, which must get a group of its own.
		{name: "attributes after an overflow", rows: 400, explicit: func() [][]uint32 {
			cols := make([][]uint32, 4)
			for c := range cols {
				cols[c] = make([]uint32, 400)
			}
			for i := range 400 {
				cols[0][i] = uint32(i%50*40_000_003) % (1 << 31)
				cols[1][i] = uint32(i%3*50_000_017) % (1 << 31)
				cols[2][i] = uint32(i%50) * 3
				cols[3][i] = uint32(i%50*60_000_011) % (1 << 31)
			}
			cols[3][123]++
			return cols
		}()},
		{name: "one narrow column", rows: 1000, cols: []gcol{{true, 0, 5}}},
		{name: "constant columns only", rows: 100, cols: []gcol{{true, 7, 1}, {false, 3, 1}}},
		{name: "codes with nulls", rows: 5000, cols: []gcol{{true, -1, 4}, {true, -1, 30}, {true, 0, 2}, {true, -1, 3}, {true, 0, 9}}},
		{name: "mixed, some constant", rows: 5000, cols: []gcol{{false, 0, 3}, {true, 4, 1}, {true, -1, 7}, {false, 100, 2}, {false, 9, 1}, {true, 0, 11}}},
		{name: "wide columns renumber", rows: 3000, cols: []gcol{{false, 0, 1 << 32}, {true, math.MinInt32, 1 << 32}, {false, 1 << 31, 1 << 31}, {true, -1, 3}}},
		{name: "many columns", rows: 20000, cols: func() []gcol {
			var cs []gcol
			for i := range 30 {
				cs = append(cs, gcol{i%2 == 0, -1, int64(2 + i%5)})
			}
			return cs
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(len(tc.name)), uint64(tc.rows)))
			n := tc.rows
			// Two windows through one grouper: the second starts with the
			// tables the first left (sized for its groups, grown as needed).
			var g grouper
			for range 2 {
				groupOnce(t, &g, rng, n, tc.explicit, tc.cols)
			}
		})
	}
}

// gcol is a random key column: values in [lo, lo+span), int32 or uint32.
type gcol struct {
	signed   bool
	lo, span int64
}

// groupOnce groups one window of random columns (and explicit ones) with g
// and checks the ids against a map of the rows' keys.
func groupOnce(t *testing.T, g *grouper, rng *rand.Rand, n int, explicit [][]uint32, cols []gcol) {
	t.Helper()
	g.start(n)
	keys := make([]strings.Builder, n)
	for _, v := range explicit {
		for i := range v {
			fmt.Fprintf(&keys[i], "%d,", v[i])
		}
		fold(g, v)
	}
	for _, c := range cols {
		// Few distinct values, so that groups repeat.
		distinct := make([]int64, 1+rng.IntN(4))
		for i := range distinct {
			distinct[i] = c.lo + rng.Int64N(c.span)
		}
		if c.signed {
			v := make([]int32, n)
			for i := range v {
				v[i] = int32(distinct[rng.IntN(len(distinct))])
				fmt.Fprintf(&keys[i], "%d,", v[i])
			}
			fold(g, v)
		} else {
			v := make([]uint32, n)
			for i := range v {
				v[i] = uint32(distinct[rng.IntN(len(distinct))])
				fmt.Fprintf(&keys[i], "%d,", v[i])
			}
			fold(g, v)
		}
	}
	require.True(t, g.group())
	ids := map[string]uint32{}
	var reps []int32
	for i := range n {
		k := keys[i].String()
		id, ok := ids[k]
		if !ok {
			id = uint32(len(ids))
			ids[k] = id
			reps = append(reps, int32(i))
		}
		require.Equal(t, id, g.gids[i], "row %d", i)
	}
	require.Equal(t, reps, g.reps)
}

// A column queued with its dictionary's range instead of a scan must hold
// values inside it: a corrupt page's index past the dictionary's end (or a
// null where none was seen) is reported, alone or folded with others.
func TestFoldRangeRefusesValuesOutsideTheRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		vals   []int32
		lo, hi int32
		others int  // further well-formed columns folded in the same pass
		wide   bool // two wide columns first: the column is checked after numbering
		ok     bool
	}{
		{name: "inside", vals: []int32{0, 3, 1, -1}, lo: -1, hi: 3, ok: true},
		{name: "inside, with others", vals: []int32{0, 3, 1, -1}, lo: -1, hi: 3, others: 3, ok: true},
		{name: "past the end", vals: []int32{0, 4, 1, 2}, lo: 0, hi: 3},
		{name: "past the end, with others", vals: []int32{0, 4, 1, 2}, lo: 0, hi: 3, others: 1},
		{name: "an unexpected null", vals: []int32{0, -1, 1, 2}, lo: 0, hi: 3, others: 2},
		{name: "inside, after numbering", vals: []int32{0, 3, 1, -1}, lo: -1, hi: 3, wide: true, ok: true},
		{name: "past the end, after numbering", vals: []int32{0, 4, 1, 2}, lo: 0, hi: 3, wide: true},
		{name: "an unexpected null, after numbering", vals: []int32{0, -1, 1, 2}, lo: 0, hi: 3, wide: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g grouper
			g.start(len(tc.vals))
			if tc.wide {
				fold(&g, []int32{0, math.MaxInt32, 5, 7})
				fold(&g, []int32{math.MinInt32, 0, 1, 2})
			}
			for range tc.others {
				fold(&g, []int32{1, 0, 1, 0})
			}
			foldRange(&g, tc.vals, tc.lo, tc.hi)
			require.Equal(t, tc.ok, g.group())
		})
	}
}

// uniform tells, for two columns at once, which holds one value within
// every group, and refuses a group's value outside its column's range.
func TestUniformChecksPairs(t *testing.T) {
	t.Parallel()
	var g grouper
	g.start(6)
	fold(&g, []int32{0, 1, 0, 1, 2, 2}) // groups {0,2}, {1,3}, {4,5}
	require.True(t, g.group())
	require.Equal(t, []int32{0, 1, 4}, g.reps)
	attr := foldCol{vals: []int32{7, 8, 7, 8, 9, 9}, lo: 7, width: 3}   // one value per group
	split := foldCol{vals: []int32{7, 8, 7, 9, 9, 9}, lo: 7, width: 3}  // row 3 differs from row 1
	other := foldCol{vals: []int32{0, 5, 0, 5, 3, 3}, lo: 0, width: 6}  // one value per group, not attr's
	narrow := foldCol{vals: []int32{7, 8, 7, 8, 9, 9}, lo: 7, width: 2} // 9 is outside [7, 8]
	for _, tc := range []struct {
		name           string
		a, b           *foldCol
		ua, ub, inside bool
	}{
		{name: "uniform, split", a: &attr, b: &split, ua: true, ub: false, inside: true},
		{name: "split, uniform", a: &split, b: &attr, ua: false, ub: true, inside: true},
		{name: "both uniform", a: &attr, b: &other, ua: true, ub: true, inside: true},
		{name: "split, other", a: &split, b: &other, ua: false, ub: true, inside: true},
		{name: "second out of range", a: &attr, b: &narrow},
		{name: "first out of range", a: &narrow, b: &attr},
	} {
		ua, ub, inside := g.uniform(tc.a, tc.b)
		require.Equal(t, tc.inside, inside, tc.name)
		if inside {
			require.Equal(t, [2]bool{tc.ua, tc.ub}, [2]bool{ua, ub}, tc.name)
		}
	}
}
