package ingestion

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrefaultBytes(t *testing.T) {
	t.Parallel()
	const perRow = prefaultPerRow
	for _, tc := range []struct {
		rows  int64
		spare uint64
		want  int
	}{
		{-1, 0, 0},
		{0, 0, 0},
		{1000, 0, 0},                 // a small file: nothing
		{prefaultMin / perRow, 0, 0}, // just under the floor
		{prefaultMin/perRow + 1, 0, (prefaultMin/perRow + 1) * perRow},
		{1_000_000, 0, 1_000_000 * perRow}, // in between: per row
		{prefaultMax/perRow - 1, 0, (prefaultMax/perRow - 1) * perRow},
		{prefaultMax / perRow, 0, prefaultMax},                   // at the cap
		{10_000_000, 0, prefaultMax},                             // above: capped
		{1 << 62, 0, prefaultMax},                                // no overflow
		{10_000_000, 100 << 20, prefaultMax - 100<<20},           // spare pages are reused, not populated
		{1_000_000, 1_000_000*perRow - prefaultMin, prefaultMin}, // what is left is at the floor
		{1_000_000, 1_000_000*perRow - prefaultMin + 1, 0},       // under it
		{10_000_000, 1 << 40, 0},                                 // a warm heap: nothing
	} {
		require.Equal(t, tc.want, prefaultBytes(tc.rows, tc.spare), "rows %d, spare %d", tc.rows, tc.spare)
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
