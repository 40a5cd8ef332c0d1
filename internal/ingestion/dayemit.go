package ingestion

import (
	"context"
	"encoding/binary"
	"math"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// A period's ledger rows are handed out a charge day at a time, in day
// order. Most of them need not wait for the whole period to be read: the
// footer of a Parquet file states, per row group, the smallest and largest
// value of the charge-date column, so once every row group that may hold a
// day has been read, that day is finished and can be emitted while later
// row groups are still being read. Exports are written in time order and
// the workers take row groups in file order, so the days finish one after
// another.
//
// Statistics are only trusted as far as they are checked: every row's day
// is compared with its row group's range as it is read. A row outside it
// stops early emission (the rest goes out at the end, as without
// statistics), or fails the read when its day is already out.

// dayEmitter emits the days of a period, finished days early.
type dayEmitter struct {
	spec *tableSpec
	st   *tableState
	roll *Rollup
	out  func([]LedgerRow) error

	mu    sync.Mutex
	cover *dayCover    // the file being read; nil: no early emission
	next  valdrix.Date // days before next are emitted (or being emitted)
	off   bool         // a row group's statistics were wrong
	wake  chan struct{}
	name  string // the file being read
	buf   []LedgerRow
}

func newDayEmitter(spec *tableSpec, st *tableState, roll *Rollup, out func([]LedgerRow) error) *dayEmitter {
	return &dayEmitter{spec: spec, st: st, roll: roll, out: out, next: math.MinInt32}
}

// dayCover counts, per charge day, the row groups whose statistics say
// they may hold it and that have not been read yet.
type dayCover struct {
	first      valdrix.Date
	open       []int32        // per day from first
	rgLo, rgHi []valdrix.Date // per row group: its range of days
}

// widen extends the span of days tracked back to d, with no row group
// holding the days added.
func (c *dayCover) widen(d valdrix.Date) {
	if d >= c.first {
		return
	}
	c.open = append(make([]int32, int(c.first-d)), c.open...)
	c.first = d
}

// maxCoverDays bounds the span of days early emission tracks; a file whose
// statistics span more (one billing period is at most 31 days, plus a few
// for late lines) is emitted at the end.
const maxCoverDays = 400

// coverOf reads the day ranges of a file's row groups from its statistics;
// nil when some row group has none or the column is not a typed date or
// timestamp (text dates do not sort by date).
func coverOf(pf *parquet.File, leaf *pqLeaf) *dayCover {
	if leaf == nil || leaf.maxRep > 0 {
		return nil
	}
	toDay := func(b []byte) (valdrix.Date, bool) {
		switch {
		case leaf.typ == format.Int64 && leaf.perDay > 0 && len(b) == 8:
			return valdrix.Date(floorDiv(int64(binary.LittleEndian.Uint64(b)), leaf.perDay)), true
		case leaf.typ == format.Int32 && leaf.date && len(b) == 4:
			return valdrix.Date(int32(binary.LittleEndian.Uint32(b))), true
		}
		return 0, false
	}
	rgs := pf.Metadata().RowGroups
	c := &dayCover{rgLo: make([]valdrix.Date, len(rgs)), rgHi: make([]valdrix.Date, len(rgs))}
	for i := range rgs {
		if leaf.index >= len(rgs[i].Columns) {
			return nil
		}
		s := &rgs[i].Columns[leaf.index].MetaData.Statistics
		lo, hi := s.MinValue, s.MaxValue
		if lo == nil || hi == nil {
			lo, hi = s.Min, s.Max // signed order, which is a date's
		}
		l, ok1 := toDay(lo)
		h, ok2 := toDay(hi)
		if !ok1 || !ok2 || h < l {
			return nil
		}
		c.rgLo[i], c.rgHi[i] = l, h
	}
	if len(rgs) == 0 {
		return nil
	}
	first, last := c.rgLo[0], c.rgHi[0]
	for i := range rgs {
		first, last = min(first, c.rgLo[i]), max(last, c.rgHi[i])
	}
	if int64(last)-int64(first) >= maxCoverDays {
		return nil
	}
	c.first = first
	c.open = make([]int32, int(last-first)+1)
	for i := range rgs {
		for d := c.rgLo[i]; d <= c.rgHi[i]; d++ {
			c.open[d-first]++
		}
	}
	return c
}

// start begins early emission for a file about to be read into agg, when its
// statistics allow; it returns nil when they do not. The returned function
// is called once every row group is read (or the read failed): it waits
// for the emission to stop and returns its error. An error of the emission
// (of out, as it is, or of a day's rows) is also passed to fail, which stops
// the read.
func (em *dayEmitter) start(ctx context.Context, name string, cover *dayCover, agg *aggregator, fail func(error)) func() error {
	if em == nil || cover == nil {
		return nil
	}
	// Days that earlier files of the period hold go out in order too: the
	// tracked span starts at the earliest of them.
	earliest := cover.first
	for d := range agg.days {
		earliest = min(earliest, d)
	}
	if int64(cover.first)-int64(earliest)+int64(len(cover.open)) > maxCoverDays {
		return nil
	}
	cover.widen(earliest)
	em.mu.Lock()
	em.cover, em.off, em.name = cover, false, name
	em.wake = make(chan struct{}, 1)
	wake := em.wake
	em.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		err := em.run(ctx, wake, agg)
		if err != nil {
			fail(err)
		}
		done <- err
	}()
	return func() error {
		em.mu.Lock()
		em.cover = nil
		close(wake)
		em.mu.Unlock()
		return <-done
	}
}

// run emits finished days as row groups complete.
func (em *dayEmitter) run(ctx context.Context, wake <-chan struct{}, agg *aggregator) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-wake:
			if !ok {
				return nil
			}
		}
		for ctx.Err() == nil {
			day, ok := em.claim()
			if !ok {
				break
			}
			if err := em.emit(agg, day); err != nil {
				return err
			}
		}
	}
}

// claim returns the next finished day to emit, advancing next past it.
func (em *dayEmitter) claim() (valdrix.Date, bool) {
	em.mu.Lock()
	defer em.mu.Unlock()
	c := em.cover
	if c == nil || em.off {
		return 0, false
	}
	em.next = max(em.next, c.first)
	i := int(em.next - c.first)
	if i >= len(c.open) || c.open[i] > 0 {
		return 0, false
	}
	em.next++
	return em.next - 1, true
}

// emit emits one finished day.
func (em *dayEmitter) emit(agg *aggregator, day valdrix.Date) error {
	buf, err := emitDay(em.spec, agg, em.st.slotStrings(), day, em.buf[:0])
	em.buf = buf
	if err != nil {
		return parseErr(em.name, 0, 0, "", err)
	}
	if err := emitRows(em.roll, buf, em.out); err != nil {
		return err
	}
	agg.release(day)
	return nil
}

// rowGroupDone records that row group rg of the file being read is read.
func (em *dayEmitter) rowGroupDone(rg int) {
	if em == nil {
		return
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	c := em.cover
	if c == nil || rg >= len(c.rgLo) {
		return
	}
	for d := c.rgLo[rg]; d <= c.rgHi[rg]; d++ {
		c.open[d-c.first]--
	}
	select {
	case em.wake <- struct{}{}:
	default:
	}
}

// check verifies that the days of a window of row group rg lie within the
// group's statistics. A day outside stops early emission; it is an error
// when that day has been emitted already — also once early emission has
// stopped, since the days before next are not emitted again.
func (em *dayEmitter) check(rg int, days []valdrix.Date) error {
	if em == nil || len(days) == 0 {
		return nil
	}
	lo, hi := days[0], days[0]
	for _, d := range days {
		lo, hi = min(lo, d), max(hi, d)
	}
	em.mu.Lock()
	defer em.mu.Unlock()
	c := em.cover
	if c == nil || rg >= len(c.rgLo) || (lo >= c.rgLo[rg] && hi <= c.rgHi[rg]) {
		return nil
	}
	em.off = true
	if lo < em.next {
		return errorf("the row group's statistics say its charge days are %s to %s, but it holds %s, which was already emitted; the file's statistics are wrong", c.rgLo[rg], c.rgHi[rg], lo)
	}
	return nil
}

// rest emits every day not emitted yet, once all files are read.
func (em *dayEmitter) rest(agg *aggregator) error {
	return emitDays(em.spec, agg, em.st.slotStrings(), em.next, em.roll, em.out)
}
