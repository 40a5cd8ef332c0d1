//go:build !linux

package ingestion

// populate does nothing where there is no call to populate memory in bulk.
func populate([]byte) {}

// adviseHuge does nothing where there is no call to advise huge pages.
func adviseHuge([]byte) {}

// hugePages reports false: no transparent huge pages to ask for.
func hugePages() bool { return false }
