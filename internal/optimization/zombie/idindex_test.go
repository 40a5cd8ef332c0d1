package zombie

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIDIndex(t *testing.T) {
	t.Parallel()
	ids := make([]string, 50_000)
	for i := range ids {
		ids[i] = "vol-" + strconv.Itoa(i)
	}
	key := func(i int32) string { return ids[i] }
	x := newIDIndex()
	for i, id := range ids {
		_, ok := x.find(id, key)
		require.False(t, ok)
		x.insert(id, int32(i))
	}
	require.Equal(t, len(ids), x.n)
	require.GreaterOrEqual(t, len(x.slots), 2*len(ids), "the table grew to stay at most half full")
	for i, id := range ids {
		got, ok := x.find(id, key)
		require.True(t, ok, id)
		require.Equal(t, int32(i), got)
	}
	_, ok := x.find("vol-missing", key)
	require.False(t, ok)
}
