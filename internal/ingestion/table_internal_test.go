package ingestion

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Once a day is emitted its entries are released: a block holding only
// released entries is reused for new ones, which start from zero sums, and
// the days still held keep their sums.
func TestAggregatorReusesReleasedBlocks(t *testing.T) {
	t.Parallel()
	const dayA, dayB, dayC = valdrix.Date(20_000), valdrix.Date(20_001), valdrix.Date(20_002)
	a := newAggregator(2)
	add := func(day valdrix.Date, id uint32, v int64) {
		t.Helper()
		k := rawKey{day: day, period: day.Month(), dims: [maxDims]uint32{id, id + 1}}
		vals := [maxMetrics]valdrix.Decimal{valdrix.Decimal(v)}
		require.Equal(t, -1, a.add(&k, &vals, 1, 1, 1))
	}
	sums := func(day valdrix.Date) map[uint32]valdrix.Decimal {
		out := map[uint32]valdrix.Decimal{}
		for _, e := range a.dayEntries(day) {
			out[e.key.dims[0]] = e.sums.sums[0]
		}
		return out
	}
	// Day A fills block 0 and starts block 1, which day B shares.
	for i := range aggBlock + 10 {
		add(dayA, uint32(i), 7)
	}
	for i := range 20 {
		add(dayB, uint32(i), 3)
	}
	first := &a.blocks[0][0]

	a.release(dayA)
	require.Nil(t, a.blocks[0], "every entry of block 0 is released")
	require.NotNil(t, a.blocks[1], "block 1 still holds day B")
	require.Empty(t, a.dayEntries(dayA))
	a.release(dayA) // again: nothing to do

	// The entry after the last one added may lie in a released block.
	a.guess = 0
	add(dayC, 0, 5)
	for i := 1; a.n%aggBlock != 0; i++ {
		add(dayC, uint32(i), 5)
	}
	add(dayC, 1_000_000, 11) // opens a block: block 0's memory
	require.Same(t, first, &a.blocks[len(a.blocks)-1][0], "the released block is reused")

	c := sums(dayC)
	require.Equal(t, valdrix.Decimal(11), c[1_000_000], "a reused entry starts from zero")
	require.Equal(t, valdrix.Decimal(5), c[0])
	b := sums(dayB)
	require.Len(t, b, 20)
	require.Equal(t, valdrix.Decimal(3), b[19])
}

// The interner numbers strings in order of first appearance (id 0 is ""),
// finds every one again after its index has doubled many times, and keeps
// its own copies: the caller's buffer may change afterwards.
func TestInternerNumbersAndCopies(t *testing.T) {
	t.Parallel()
	in := newInterner()
	id, isNew := in.lookup("")
	require.Equal(t, uint32(0), id)
	require.False(t, isNew)
	buf := make([]byte, 0, 64)
	long := strings.Repeat("x", 70_000) // larger than a chunk: a copy of its own
	const n = 50_000
	for i := range n {
		buf = fmt.Appendf(buf[:0], "arn:aws:ec2:us-east-1:123456789012:instance/i-%08x", i)
		if i == 777 {
			buf = append(buf[:0], long...)
		}
		id, isNew := in.lookup(unsafe.String(&buf[0], len(buf)))
		require.True(t, isNew)
		require.Equal(t, uint32(i+1), id)
		clear(buf) // the interned copy must not change
	}
	require.Len(t, in.strs, n+1)
	for i := range n {
		s := fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%08x", i)
		if i == 777 {
			s = long
		}
		require.Equal(t, s, in.strs[i+1])
		id, ok := in.get(s)
		require.True(t, ok, s)
		require.Equal(t, uint32(i+1), id)
		id, isNew := in.lookup(s)
		require.False(t, isNew)
		require.Equal(t, uint32(i+1), id)
	}
	_, ok := in.get("arn:aws:ec2:us-east-1:123456789012:instance/i-unknown")
	require.False(t, ok)
	require.LessOrEqual(t, 2*len(in.strs), len(in.index), "at most half full")
}
