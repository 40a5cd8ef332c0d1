package cloud

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestEmitter(t *testing.T) {
	t.Parallel()
	var batches [][]Resource
	e := NewEmitter(func(_ context.Context, b []Resource) error {
		batches = append(batches, append([]Resource(nil), b...))
		return nil
	}, 2, nil)
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, e.Emit(t.Context(), Resource{ID: fmt.Sprint(i)}))
		}()
	}
	wg.Wait()
	require.NoError(t, e.Flush(t.Context()))
	n := 0
	for _, b := range batches {
		require.LessOrEqual(t, len(b), 2)
		n += len(b)
	}
	require.Equal(t, 5, n)
	require.NoError(t, e.Err())

	boom := errors.New("full")
	cancelled := false
	e = NewEmitter(func(context.Context, []Resource) error { return boom }, 1, func() { cancelled = true })
	err := e.Emit(t.Context(), Resource{ID: "a"})
	var se *SinkError
	require.ErrorAs(t, err, &se)
	require.ErrorIs(t, e.Err(), boom)
	require.True(t, cancelled, "a sink error cancels the scan")
	require.ErrorAs(t, e.Emit(t.Context(), Resource{ID: "b"}), &se, "nothing is sent after the sink failed")
}

func TestItemSetMerges(t *testing.T) {
	t.Parallel()
	var s ItemSet
	s.Add(DiscoveryItem{Region: "r1", Service: "compute", Status: ScanOK, Resources: 3})
	s.Add(DiscoveryItem{Region: "r1", Service: "compute", Status: ScanFailed, Resources: 1, Code: valdrix.EFORBIDDEN, MissingPermission: "x.list"})
	s.Add(DiscoveryItem{Region: "r1", Service: "compute", Status: ScanOK, Resources: 2})
	s.Add(DiscoveryItem{Region: "r2", Service: "compute", Status: ScanOK})
	s.Empty([]string{"compute"})
	items := s.Items()
	require.Len(t, items, 2, "Empty adds nothing to a set with items")
	require.Equal(t, DiscoveryItem{Region: "r1", Service: "compute", Status: ScanFailed, Resources: 6, Code: valdrix.EFORBIDDEN, MissingPermission: "x.list"}, items[0],
		"one account failing makes the (region, service) fail; counts add up")
}

func TestItemSetEmpty(t *testing.T) {
	t.Parallel()
	var s ItemSet
	s.Empty([]string{"compute", "sql"})
	require.Equal(t, []DiscoveryItem{{Region: "global", Service: "compute", Status: ScanOK}, {Region: "global", Service: "sql", Status: ScanOK}}, s.Items())
}

func TestScanItem(t *testing.T) {
	t.Parallel()
	denied := valdrix.Wrap(valdrix.EFORBIDDEN, &PermissionError{Permission: "compute.disks.list", Err: errors.New("403")}, "may not list disks")
	expired, cancel := context.WithTimeout(t.Context(), 0)
	defer cancel()
	<-expired.Done()
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want DiscoveryItem
	}{
		{name: "ok", ctx: t.Context(), want: DiscoveryItem{Region: "r", Service: "s", Status: ScanOK, Resources: 4}},
		{name: "denied", ctx: t.Context(), err: denied, want: DiscoveryItem{Region: "r", Service: "s", Status: ScanFailed, Resources: 4,
			Code: valdrix.EFORBIDDEN, Message: "may not list disks", MissingPermission: "compute.disks.list"}},
		{name: "timed out", ctx: expired, err: valdrix.Errorf(valdrix.EUNAVAILABLE, "x"), want: DiscoveryItem{Region: "r", Service: "s", Status: ScanTimeout, Resources: 4,
			Code: valdrix.EUNAVAILABLE, Message: "the scan timed out before s in r was complete"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, ScanItem(tt.ctx, "r", "s", 4, tt.err, 0))
		})
	}
}

func TestUnknownFromAndCheckOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		reason     UnknownReason
		permission string
	}{
		{name: "forbidden", err: valdrix.Errorf(valdrix.EFORBIDDEN, "no"), reason: ReasonDenied, permission: "fallback.permission"},
		{name: "recorded permission", err: valdrix.Wrap(valdrix.EFORBIDDEN, &PermissionError{Permission: "a.b", Err: errors.New("x")}, "no"),
			reason: ReasonDenied, permission: "a.b"},
		{name: "unauthorized", err: valdrix.Errorf(valdrix.EUNAUTHORIZED, "no"), reason: ReasonDenied},
		{name: "unavailable", err: valdrix.Errorf(valdrix.EUNAVAILABLE, "slow"), reason: ReasonThrottled},
		{name: "other", err: errors.New("boom"), reason: ReasonFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := UnknownFrom("q", tt.err)
			require.Equal(t, MetricUnknown, r.Status)
			require.Equal(t, tt.reason, r.Reason)
			c := CheckOf("c", tt.err, "fallback.permission", "do this")
			require.Equal(t, CheckFailed, c.Status)
			require.Equal(t, tt.permission, c.MissingPermission)
			require.Equal(t, "do this", c.Remedy)
		})
	}
	require.Equal(t, Check{Name: "c", Status: CheckOK}, CheckOf("c", nil, "p", "r"))
}

func TestFindPeriodAndContextError(t *testing.T) {
	t.Parallel()
	ps := []BillingPeriod{{Period: valdrix.NewMonth(2026, 9)}, {Period: valdrix.NewMonth(2026, 10)}}
	bp, err := FindPeriod(ps, valdrix.NewMonth(2026, 10))
	require.NoError(t, err)
	require.Equal(t, ps[1], bp)
	_, err = FindPeriod(ps, valdrix.NewMonth(2026, 11))
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))

	require.Len(t, UnknownResults([]MetricQuery{{ID: "a"}, {ID: "b"}}, nil), 2)
	require.Equal(t, ReasonDenied, UnknownResults([]MetricQuery{{ID: "a"}}, valdrix.Errorf(valdrix.EFORBIDDEN, "no"))[0].Reason)

	require.NoError(t, ContextError(errors.New("other"), "x"))
	require.ErrorIs(t, ContextError(context.Canceled, "x"), context.Canceled)
	se := &SinkError{Err: errors.New("full")}
	require.Equal(t, se, ContextError(se, "x"))
	require.Equal(t, valdrix.EUNAVAILABLE, valdrix.ErrorCode(ContextError(fmt.Errorf("call: %w", context.DeadlineExceeded), "list")))
}

func TestLimiters(t *testing.T) {
	t.Parallel()
	l := Limiters{Limit: 5, Burst: 2}
	require.Same(t, l.Get("a"), l.Get("a"))
	require.NotSame(t, l.Get("a"), l.Get("b"))
	require.Equal(t, 2, l.Get("a").Burst())
}
