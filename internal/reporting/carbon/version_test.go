package carbon

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

// digestEmbeddedData hashes every embedded data file, sorted by name.
func digestEmbeddedData(t *testing.T) string {
	t.Helper()
	h := sha256.New()
	names, err := fs.Glob(dataFS, "data/*")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, n := range names { // fs.Glob returns names in lexical order
		b, err := dataFS.ReadFile(n)
		require.NoError(t, err)
		h.Write([]byte(n))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestCoefficientsVersionPinsData fails when a data file changes without
// dataDigest (and so CoefficientsVersion) being updated with it.
func TestCoefficientsVersionPinsData(t *testing.T) {
	t.Parallel()
	require.Equal(t, dataDigest, digestEmbeddedData(t),
		"the embedded coefficient tables changed: bump CoefficientsVersion and set dataDigest to the new digest")
	require.Regexp(t, `^ccf-\d{4}\.\d{2}-m\d+$`, CoefficientsVersion)
}
