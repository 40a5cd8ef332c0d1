package ingestion

import (
	"runtime"
	"runtime/metrics"
	"strings"
)

// Reading a large file touches a few hundred megabytes of fresh memory
// (the table, dictionaries, page and window buffers). Faulting that in
// one page at a time costs ≈ 8 µs per 4 KiB page on the virtual machines
// this was measured on — about a fifth of the CPU time of a 10M-line read —
// and every table lookup that misses the TLB pays for a 4 KiB page walk.
// So before the first Parquet file of a period is read, prefaultHeap
// prepares that much memory and hands it back to the Go heap, which then
// builds the tables in it:
//
//   - where the kernel has transparent huge pages ("madvise" or "always"),
//     the block is advised MADV_HUGEPAGE and left untouched: the reads then
//     fault it in 2 MiB at a time, 512 times fewer faults, and the tables
//     sit in huge pages (docs/ingestion.md "Stop 16": median 1.47 →
//     1.26 s, 1.02–1.09 s while the host is quiet);
//   - elsewhere the kernel is asked to populate the block in one call,
//     0.7–1.8 µs a page.
const (
	prefaultPerRow = 96 // bytes of heap per source row, roughly (docs/ingestion.md)
	// Each worker also holds its window's buffers — codes, ids and numbers
	// of every column read, the pages they come from — whatever the file's
	// size: about this much per row of a window (docs/ingestion.md; 600 to
	// 1,200 measured, 900 the fastest that leaves a 1M-line read's RSS as it was).
	prefaultPerWindowRow = 900
	prefaultMin          = 32 << 20  // below this, faulting as we go costs little
	prefaultMax          = 384 << 20 // never populate more than this
	// adviseMax caps the block advised for huge pages. Advice costs nothing
	// until the memory is used, so it may cover the whole heap of a large
	// read (≈ 450 MB for 10M lines); pages the read does not use are never
	// faulted in.
	adviseMax = 640 << 20
)

// prefaultBytes is how much memory to prepare ahead of reading rows source
// rows with workers workers, each holding windows of up to windowRows rows,
// when the heap holds spare bytes of pages already, at most limit: 0 when
// it is not worth it. Only fresh memory is worth it: a block carved from
// pages the heap holds (a long-running process, a second read) is zeroed by
// the allocator, which faults in any of them returned to the system one page
// at a time, as reading would.
func prefaultBytes(rows, windowRows int64, workers int, spare uint64, limit int) int {
	rows, windowRows, workers = max(rows, 0), max(windowRows, 0), max(workers, 0)
	n := int64(limit)
	if rows < n/prefaultPerRow && windowRows < n/prefaultPerWindowRow && workers < 64 {
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

// prefaultHeap prepares the heap for reading rows source rows with workers
// workers and windows of windowRows rows (see the top of this file).
func prefaultHeap(rows, windowRows int64, workers int) {
	huge := hugePages()
	limit := prefaultMax
	if huge {
		limit = adviseMax
	}
	prepareHeap(prefaultBytes(rows, windowRows, workers, heapSpare(), limit), huge)
}

// prepareHeap allocates n bytes, advises them for huge pages (huge) or has
// the kernel populate them (no-ops where the platform has no call for it),
// and returns them to the heap with a collection, so that the allocations
// that follow reuse those pages instead of faulting fresh ones. The
// collection is needed: left to the next automatic one, the dead block would
// double the heap's target.
func prepareHeap(n int, huge bool) {
	if n <= 0 {
		return
	}
	b := make([]byte, n)
	if huge {
		adviseHuge(b)
	} else {
		populate(b)
	}
	runtime.GC() // the block is dead now
}

// thpMode is the selected mode in the text of
// /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"),
// or "" when there is none.
func thpMode(text string) string {
	_, rest, ok := strings.Cut(text, "[")
	if !ok {
		return ""
	}
	mode, _, ok := strings.Cut(rest, "]")
	if !ok {
		return ""
	}
	return mode
}
