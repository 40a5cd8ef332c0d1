package ingestion

import (
	"fmt"
	"os"
	"strings"
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

// adviseHuge marks the range for huge pages: the kernel lists the flag
// ("hg") among the mapping's VmFlags.
func TestAdviseHugeMarksTheRange(t *testing.T) {
	t.Parallel()
	if !hugePages() {
		t.Skip("the kernel has no transparent huge pages to advise")
	}
	const n = 8 << 20
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Munmap(b) })
	flags := func() string {
		smaps, err := os.ReadFile("/proc/self/smaps")
		require.NoError(t, err)
		addr := uint64(uintptr(unsafe.Pointer(&b[0])))
		in := false // in the mapping that holds addr (it may have merged with a neighbour)
		for line := range strings.Lines(string(smaps)) {
			var lo, hi uint64
			if _, err := fmt.Sscanf(line, "%x-%x ", &lo, &hi); err == nil {
				in = lo <= addr && addr < hi
			}
			if in && strings.HasPrefix(line, "VmFlags:") {
				return line
			}
		}
		t.Fatalf("no mapping holds %#x", addr)
		return ""
	}
	require.NotContains(t, strings.Fields(flags()), "hg", "fresh memory is not advised")
	adviseHuge(b)
	require.Contains(t, strings.Fields(flags()), "hg")
}
