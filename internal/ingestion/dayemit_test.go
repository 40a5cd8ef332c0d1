package ingestion_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

// genDays writes a generated CUR 2.0 file of days days from start, with or
// without column statistics.
func genDays(t *testing.T, start time.Time, days int, seed uint64, noStats bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, ingestion.GenerateCUR2(&buf, ingestion.GenerateConfig{Rows: 8000 * days, Seed: seed, Days: days, Start: start,
		Resources: 1200, LongLived: 150, Writer: ingestion.CUR2WriterOpts{RowGroupRows: 3000, NoStatistics: noStats}}))
	return buf.Bytes()
}

// emitAll reads files with Emit, checking that every call holds one charge
// day and that days come in order, and returns the rows.
func emitAll(t *testing.T, files []ingestion.File, progress ingestion.Progress, emitted func()) ([]ingestion.LedgerRow, *ingestion.PeriodResult) {
	t.Helper()
	var rows []ingestion.LedgerRow
	res, err := ingestion.ReadPeriod(context.Background(), files, ingestion.FormatCUR2, ingestion.ReadOptions{Workers: 2, Progress: progress,
		Emit: func(rs []ingestion.LedgerRow) error {
			for i := range rs {
				if rs[i].ChargeDay != rs[0].ChargeDay {
					return errors.New("two charge days in one call")
				}
			}
			if len(rows) > 0 && rows[len(rows)-1].ChargeDay >= rs[0].ChargeDay {
				return errors.New("days out of order")
			}
			rows = append(rows, rs...)
			if emitted != nil {
				emitted()
			}
			return nil
		}})
	require.NoError(t, err)
	return rows, res
}

// TestReadPeriodEmitsFinishedDaysWhileReading: when a file's row groups
// state their charge days, a day goes out as soon as every row group that
// may hold it is read — while later ones are still being read — and the
// rows are exactly those of the same file without statistics, whose days
// all go out at the end.
func TestReadPeriodEmitsFinishedDaysWhileReading(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	withStats := []ingestion.File{ingestion.MemoryFile("stats.parquet", genDays(t, start, 6, 11, false))}
	without := []ingestion.File{ingestion.MemoryFile("nostats.parquet", genDays(t, start, 6, 11, true))}
	const total = 6 * 8000

	// The last row group's progress report waits for a first day to be
	// emitted: only early emission can get one out before the read ends.
	first := make(chan struct{})
	var once sync.Once
	var early bool
	rows, res := emitAll(t, withStats, func(_ string, read, _ int64) {
		if read < total {
			return
		}
		select {
		case <-first:
			early = true
		case <-time.After(20 * time.Second):
		}
	}, func() { once.Do(func() { close(first) }) })
	require.True(t, early, "no charge day was emitted before the last row group was read")

	want, wantRes := emitAll(t, without, nil, nil)
	require.NotEmpty(t, want)
	require.Empty(t, cmp.Diff(want, rows), "the same rows in the same order")
	require.Equal(t, wantRes.Totals, res.Totals)
	require.Equal(t, wantRes.LedgerRows, res.LedgerRows)
	require.Equal(t, int64(total), res.LinesKept)
}

// TestReadPeriodEmitsEarlyAcrossFiles: in a period of several files, days
// go out early only while the last file is read, and the days earlier files
// hold — before, between and after the last file's own — still go out once
// each, in order.
func TestReadPeriodEmitsEarlyAcrossFiles(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 9, d, 0, 0, 0, 0, time.UTC) }
	files := func(noStats bool) []ingestion.File {
		return []ingestion.File{
			ingestion.MemoryFile("a.parquet", genDays(t, day(1), 2, 1, noStats)),
			ingestion.MemoryFile("b.parquet", genDays(t, day(9), 2, 2, noStats)),
			ingestion.MemoryFile("c.parquet", genDays(t, day(4), 3, 3, noStats)),
		}
	}
	got, res := emitAll(t, files(false), nil, nil)
	want, wantRes := emitAll(t, files(true), nil, nil)
	require.Empty(t, cmp.Diff(want, got))
	require.Equal(t, wantRes.Totals, res.Totals)
	var days []int
	for _, r := range got {
		if d := r.ChargeDay.Time().Day(); len(days) == 0 || days[len(days)-1] != d {
			days = append(days, d)
		}
	}
	require.Equal(t, []int{1, 2, 4, 5, 6, 9, 10}, days)
}
