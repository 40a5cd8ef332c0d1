package ingestion

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrefaultBytes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rows int64
		want int
	}{
		{-1, 0},
		{0, 0},
		{1000, 0},                         // a small file: nothing
		{prefaultMin / prefaultPerRow, 0}, // just under the floor
		{prefaultMin/prefaultPerRow + 1, (prefaultMin/prefaultPerRow + 1) * prefaultPerRow},
		{1_000_000, 1_000_000 * prefaultPerRow}, // in between: per row
		{prefaultMax/prefaultPerRow - 1, (prefaultMax/prefaultPerRow - 1) * prefaultPerRow},
		{prefaultMax / prefaultPerRow, prefaultMax}, // at the cap
		{10_000_000, prefaultMax},                   // above: capped
		{1 << 62, prefaultMax},                      // no overflow
	} {
		require.Equal(t, tc.want, prefaultBytes(tc.rows), "rows %d", tc.rows)
	}
}

// The populated block goes back to the heap: it must not stay live (it
// would double the collector's target). Not parallel: it reads the
// process's heap statistics, which parallel tests would disturb.
func TestPrefaultHeapLeavesNothingLive(t *testing.T) {
	const n = 64 << 20
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	prefaultHeap(n)
	runtime.ReadMemStats(&after)
	require.Less(t, after.HeapAlloc, before.HeapAlloc+n/2, "the block is still live")
	require.GreaterOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(n), "the block was not allocated")
	require.GreaterOrEqual(t, after.NumGC-before.NumGC, uint32(1), "no collection after the block")
}
