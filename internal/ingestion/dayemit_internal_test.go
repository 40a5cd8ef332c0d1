package ingestion

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// A day is handed out once no unread row group may hold it, in order; a
// row outside its row group's stated days stops early emission, and fails
// the read when its day has gone out already.
func TestDayEmitterClaimsAndChecks(t *testing.T) {
	t.Parallel()
	const d0 = valdrix.Date(20_000)
	// Row group 0 holds days d0..d0+1, row group 1 days d0+1..d0+2.
	newEm := func() *dayEmitter {
		c := &dayCover{first: d0, open: []int32{1, 2, 1}, rgLo: []valdrix.Date{d0, d0 + 1}, rgHi: []valdrix.Date{d0 + 1, d0 + 2}}
		return &dayEmitter{cover: c, next: d0, wake: make(chan struct{}, 1)}
	}
	claims := func(em *dayEmitter) []valdrix.Date {
		var out []valdrix.Date
		for {
			d, ok := em.claim()
			if !ok {
				return out
			}
			out = append(out, d)
		}
	}

	em := newEm()
	require.Empty(t, claims(em), "nothing is finished before a row group is read")
	require.NoError(t, em.check(0, []valdrix.Date{d0, d0 + 1, d0}))
	em.rowGroupDone(0)
	require.Equal(t, []valdrix.Date{d0}, claims(em), "d0+1 waits for row group 1")
	require.NoError(t, em.check(1, []valdrix.Date{d0 + 2, d0 + 1}))
	em.rowGroupDone(1)
	require.Equal(t, []valdrix.Date{d0 + 1, d0 + 2}, claims(em))

	// A day after the stated ones, not out yet: early emission stops.
	em = newEm()
	require.NoError(t, em.check(0, []valdrix.Date{d0, d0 + 2}))
	em.rowGroupDone(0)
	require.Empty(t, claims(em), "no early emission once statistics proved wrong")

	// A day before the stated ones that is out already: the read fails.
	em = newEm()
	em.rowGroupDone(0)
	require.Equal(t, []valdrix.Date{d0}, claims(em))
	err := em.check(1, []valdrix.Date{d0 + 1, d0})
	require.ErrorContains(t, err, "already emitted")

	// The same after a first misstatement has stopped early emission: the
	// day that went out is not emitted again, so its late rows fail the read.
	em = newEm()
	em.rowGroupDone(0)
	require.Equal(t, []valdrix.Date{d0}, claims(em))
	require.NoError(t, em.check(1, []valdrix.Date{d0 + 3}), "not out yet: early emission stops")
	require.Empty(t, claims(em))
	require.ErrorContains(t, em.check(1, []valdrix.Date{d0}), "already emitted")

	// Widening back to an earlier day adds days no row group holds.
	c := &dayCover{first: d0, open: []int32{1}}
	c.widen(d0 - 2)
	require.Equal(t, d0-2, c.first)
	require.Equal(t, []int32{0, 0, 1}, c.open)
}
