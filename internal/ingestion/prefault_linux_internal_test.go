package ingestion

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// populate leaves every page of the range resident.
func TestPopulateMakesPagesResident(t *testing.T) {
	t.Parallel()
	const n = 8 << 20
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Munmap(b) })
	resident := func() int {
		vec := make([]byte, n/unix.Getpagesize())
		_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&b[0])), uintptr(n), uintptr(unsafe.Pointer(&vec[0])))
		require.Zero(t, errno, "mincore")
		k := 0
		for _, v := range vec {
			k += int(v & 1)
		}
		return k
	}
	require.Zero(t, resident(), "fresh anonymous memory is not resident")
	populate(b)
	require.Equal(t, n/unix.Getpagesize(), resident())
}
