package ingestion

import (
	"runtime"
	"runtime/metrics"
)

// Reading a large file touches a few hundred megabytes of fresh memory
// (worker tables, dictionaries, page and window buffers). Faulting that in
// one page at a time costs ≈ 8 µs per 4 KiB page on the virtual machines
// this was measured on — about a fifth of the CPU time of a 10M-line read —
// while asking the kernel to populate the same memory in one call costs
// 0.7–1.8 µs a page. So before the first Parquet file of a period is read,
// prefaultHeap has that much memory populated and hands it back to the Go
// heap, which then builds the tables in pages that are already there.
const (
	prefaultPerRow = 96 // bytes of heap per source row, roughly (docs/ingestion.md)
	// Each worker also holds its window's buffers — codes, ids and numbers
	// of every column read, the pages they come from — whatever the file's
	// size: about this much per row of a window (docs/ingestion.md; 600 to
	// 1,200 measured, 900 the fastest that leaves a 1M-line read's RSS as it was).
	prefaultPerWindowRow = 900
	prefaultMin          = 32 << 20  // below this, faulting as we go costs little
	prefaultMax          = 384 << 20 // never more than this
)

// prefaultBytes is how much memory to populate ahead of reading rows
// source rows with workers workers, each holding windows of up to
// windowRows rows, when the heap holds spare bytes of pages already: 0 when
// it is not worth it. Only fresh memory is worth it: a block carved from
// pages the heap holds (a long-running process, a second read) is zeroed by
// the allocator, which faults in any of them returned to the system one page
// at a time, as reading would.
func prefaultBytes(rows, windowRows int64, workers int, spare uint64) int {
	rows, windowRows, workers = max(rows, 0), max(windowRows, 0), max(workers, 0)
	n := int64(prefaultMax)
	if rows < prefaultMax/prefaultPerRow && windowRows < prefaultMax/prefaultPerWindowRow && workers < 64 {
		n = min(n, rows*prefaultPerRow+int64(workers)*windowRows*prefaultPerWindowRow)
	}
	n -= int64(min(spare, uint64(n)))
	if n < prefaultMin {
		return 0
	}
	return int(n)
}

// heapSpare is the memory the heap holds but does not use: free pages and
// pages returned to the system.
func heapSpare() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	var n uint64
	for _, x := range s {
		if x.Value.Kind() == metrics.KindUint64 {
			n += x.Value.Uint64()
		}
	}
	return n
}

// prefaultHeap allocates n bytes, has the kernel populate them (a no-op
// where the platform has no call for it), and returns them to the heap with
// a collection, so that the allocations that follow reuse those pages
// instead of faulting fresh ones. The collection is needed: left to the next
// automatic one, the dead block would double the heap's target.
func prefaultHeap(n int) {
	if n <= 0 {
		return
	}
	populate(make([]byte, n))
	runtime.GC() // the block is dead now
}
