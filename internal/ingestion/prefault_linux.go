package ingestion

import "golang.org/x/sys/unix"

// populate faults b in with one madvise(MADV_POPULATE_WRITE) call. Kernels
// before 5.14 refuse it; the memory is then faulted in as it is used, as
// without this call.
func populate(b []byte) { _ = unix.Madvise(b, unix.MADV_POPULATE_WRITE) }
