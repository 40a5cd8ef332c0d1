//go:build !linux

package ingestion

// populate does nothing where there is no call to populate memory in bulk.
func populate([]byte) {}
