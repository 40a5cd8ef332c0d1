package ingestion

import "runtime"

// Reading a large file touches a few hundred megabytes of fresh memory
// (worker tables, dictionaries, page and window buffers). Faulting that in
// one page at a time costs ≈ 8 µs per 4 KiB page on the virtual machines
// this was measured on — about a fifth of the CPU time of a 10M-line read —
// while asking the kernel to populate the same memory in one call costs
// ≈ 0.7 µs a page. So before the first Parquet file of a period is read,
// prefaultHeap has that much memory populated and hands it back to the Go
// heap, which then builds the tables in pages that are already there.
const (
	prefaultPerRow = 96        // bytes of heap per source row, roughly (docs/ingestion.md)
	prefaultMin    = 32 << 20  // below this, faulting as we go costs little
	prefaultMax    = 384 << 20 // never more than this
)

// prefaultBytes is how much memory to populate ahead of reading rows
// source rows: 0 when it is not worth it.
func prefaultBytes(rows int64) int {
	if rows >= prefaultMax/prefaultPerRow {
		return prefaultMax
	}
	if n := int(rows) * prefaultPerRow; n >= prefaultMin {
		return n
	}
	return 0
}

// prefaultHeap allocates n bytes, has the kernel populate them (a no-op
// where the platform has no call for it), and returns them to the
// heap with a collection, so that the allocations that follow reuse those
// pages instead of faulting fresh ones. The collection is needed: left to
// the next automatic one, the dead block would double the heap's target.
func prefaultHeap(n int) {
	if n <= 0 {
		return
	}
	populate(make([]byte, n))
	runtime.GC() // the block is dead now
}
