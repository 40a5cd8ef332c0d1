package ingestion

import (
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"
	"github.com/stretchr/testify/require"
)

// Row groups are handed out in file order, each once, whichever worker
// asks, also when all workers drain the file at once.
func TestRGSchedHandsOutInOrder(t *testing.T) {
	t.Parallel()
	s := newRGSched(3)
	var got []int
	for {
		rg, ok := s.take()
		if !ok {
			break
		}
		got = append(got, rg)
	}
	require.Equal(t, []int{0, 1, 2}, got)
	_, ok := s.take()
	require.False(t, ok, "none left")

	s = newRGSched(50)
	seen := make(chan int, 50)
	done := make(chan struct{})
	for range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				rg, ok := s.take()
				if !ok {
					return
				}
				seen <- rg
			}
		}()
	}
	for range 3 {
		<-done
	}
	close(seen)
	count := map[int]int{}
	for rg := range seen {
		count[rg]++
	}
	require.Len(t, count, 50)
	for rg, n := range count {
		require.Equal(t, 1, n, "row group %d", rg)
	}
}

// Translating a dictionary tries the id after the previous entry's before a
// map lookup: whatever the order of later dictionaries (the same, rotated,
// with new or unrelated entries between), every entry gets its interned id.
func TestTranslationGuessesConsecutiveIDs(t *testing.T) {
	t.Parallel()
	st := newTableState(&tableSpec{dims: []dimSpec{{label: "x"}}})
	w := &pqWorker{st: st, trans: map[transKey]*pqTrans{}}
	leaf := &pqLeaf{typ: format.ByteArray}
	gen := uint64(0)
	translate := func(ss ...string) []uint32 {
		var data []byte
		offs := []uint32{0}
		for _, s := range ss {
			data = append(data, s...)
			offs = append(offs, uint32(len(data)))
		}
		gen++
		dv := &dictView{gen: gen, vals: encoding.ByteArrayValues(data, offs), leaf: leaf}
		tr := w.translation(transKey{kind: transSlot}, dv, func(i int) (uint32, error) { return st.stringID(0, dv.str(i)) })
		return slices.Clone(tr.ids)
	}
	for _, tc := range []struct {
		name    string
		entries []string
		want    []uint32
	}{
		{name: "first, interned in order", entries: []string{"a", "b", "c", "d", "e"}, want: []uint32{1, 2, 3, 4, 5}},
		{name: "the same order", entries: []string{"a", "b", "c", "d", "e"}, want: []uint32{1, 2, 3, 4, 5}},
		{name: "rotated", entries: []string{"c", "d", "e", "a", "b"}, want: []uint32{3, 4, 5, 1, 2}},
		{name: "new entries between", entries: []string{"b", "z", "c", "a", "q", "d"}, want: []uint32{2, 6, 3, 1, 7, 4}},
		{name: "the guess is another string", entries: []string{"a", "c", "b", "e"}, want: []uint32{1, 3, 2, 5}},
		{name: "reversed", entries: []string{"q", "z", "e", "d", "c", "b", "a"}, want: []uint32{7, 6, 5, 4, 3, 2, 1}},
	} {
		require.Equal(t, tc.want, translate(tc.entries...), tc.name)
	}
}

// grow reuses a buffer that is large enough, allocates a first one to size,
// and gives an outgrown one a quarter more room.
func TestGrowScratch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		have, want int // capacity before, length asked
		wantCap    int
		same       bool // the buffer is reused
	}{
		{name: "first", have: 0, want: 100, wantCap: 100},
		{name: "large enough", have: 100, want: 60, wantCap: 100, same: true},
		{name: "outgrown", have: 100, want: 120, wantCap: 150},
	} {
		s := make([]int32, 0, tc.have)
		got := grow(s, tc.want)
		require.Len(t, got, tc.want, tc.name)
		require.Equal(t, tc.wantCap, cap(got), tc.name)
		require.Equal(t, tc.same, tc.have > 0 && &s[:1][0] == &got[0], tc.name)
	}
}
