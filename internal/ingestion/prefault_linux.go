package ingestion

import (
	"os"

	"golang.org/x/sys/unix"
)

// populate faults b in with one madvise(MADV_POPULATE_WRITE) call. Kernels
// before 5.14 refuse it; the memory is then faulted in as it is used, as
// without this call.
func populate(b []byte) { _ = unix.Madvise(b, unix.MADV_POPULATE_WRITE) }

// adviseHuge asks for b to be backed by transparent huge pages when it is
// faulted in. The advice stays with the address range: memory the Go heap
// later returns to the system and faults in again is huge as well.
func adviseHuge(b []byte) { _ = unix.Madvise(b, unix.MADV_HUGEPAGE) }

// hugePages reports whether the kernel backs advised memory by transparent
// huge pages.
func hugePages() bool {
	text, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return false
	}
	switch thpMode(string(text)) {
	case "always", "madvise":
		return true
	}
	return false
}
