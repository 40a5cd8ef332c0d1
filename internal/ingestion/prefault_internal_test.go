package ingestion

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrefaultBytes(t *testing.T) {
	t.Parallel()
	const (
		perRow = prefaultPerRow
		perWin = prefaultPerWindowRow
		win    = 122_880
	)
	for _, tc := range []struct {
		rows, window int64
		workers      int
		spare        uint64
		want         int
	}{
		{-1, -1, -1, 0, 0},
		{0, 0, 0, 0, 0},
		{1000, 1000, 1, 0, 0},              // a small file: nothing
		{prefaultMin / perRow, 0, 0, 0, 0}, // just under the floor
		{prefaultMin/perRow + 1, 0, 0, 0, (prefaultMin/perRow + 1) * perRow},
		{1_000_000, 0, 0, 0, 1_000_000 * perRow},                // in between: per row
		{1_000_000, win, 2, 0, 1_000_000*perRow + 2*win*perWin}, // and per window row of each worker
		{200_000, win, 1, 0, 200_000*perRow + win*perWin},       // the windows alone lift a file over the floor
		{prefaultMax/perRow - 1, 0, 0, 0, (prefaultMax/perRow - 1) * perRow},
		{prefaultMax / perRow, 0, 0, 0, prefaultMax}, // at the cap
		{10_000_000, win, 2, 0, prefaultMax},         // above: capped
		{1 << 62, 1 << 62, 1 << 40, 0, prefaultMax},  // no overflow
		{1000, 1 << 62, 2, 0, prefaultMax},
		{1000, win, 1 << 40, 0, prefaultMax},
		{10_000_000, win, 2, 100 << 20, prefaultMax - 100<<20},         // spare pages are reused, not populated
		{1_000_000, 0, 0, 1_000_000*perRow - prefaultMin, prefaultMin}, // what is left is at the floor
		{1_000_000, 0, 0, 1_000_000*perRow - prefaultMin + 1, 0},       // under it
		{10_000_000, win, 2, 1 << 40, 0},                               // a warm heap: nothing
	} {
		require.Equal(t, tc.want, prefaultBytes(tc.rows, tc.window, tc.workers, tc.spare, prefaultMax), "rows %d, window %d, workers %d, spare %d", tc.rows, tc.window, tc.workers, tc.spare)
	}
	// Advice for huge pages has its own, higher cap.
	for _, tc := range []struct {
		rows, window int64
		workers      int
		want         int
	}{
		{1_000_000, win, 2, 1_000_000*perRow + 2*win*perWin},
		{prefaultMax / perRow, 0, 0, prefaultMax}, // over the populating cap, under this one
		{adviseMax/perRow - 1, 0, 0, (adviseMax/perRow - 1) * perRow},
		{10_000_000, win, 2, adviseMax},
		{1 << 62, 1 << 62, 1 << 40, adviseMax},
	} {
		require.Equal(t, tc.want, prefaultBytes(tc.rows, tc.window, tc.workers, 0, adviseMax), "rows %d, window %d, workers %d", tc.rows, tc.window, tc.workers)
	}
}

func TestTHPMode(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never":   "always",
		"always madvise [never]":   "never",
		"always madvise never":     "",
		"[always":                  "",
		"":                         "",
	} {
		require.Equal(t, want, thpMode(text), "%q", text)
	}
}

// The populated block goes back to the heap: it must not stay live (it
// would double the collector's target). Not parallel: it reads the
// process's heap statistics, which parallel tests would disturb.
func TestPrefaultHeapLeavesNothingLive(t *testing.T) {
	const n = 64 << 20
	for _, huge := range []bool{false, true} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		prepareHeap(n, huge)
		runtime.ReadMemStats(&after)
		require.Less(t, after.HeapAlloc, before.HeapAlloc+n/2, "huge %v: the block is still live", huge)
		require.GreaterOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(n), "huge %v: the block was not allocated", huge)
		require.GreaterOrEqual(t, after.NumGC-before.NumGC, uint32(1), "huge %v: no collection after the block", huge)
	}
}
