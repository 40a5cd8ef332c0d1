package ingestion_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

// benchCUR2File returns a generated CUR 2.0 Parquet file of rows rows. With
// VALDRIX_BENCH_DIR set, files are kept there and reused across runs (a
// 10M-row file takes a while to write); otherwise they go to a temp dir.
func benchCUR2File(b *testing.B, rows int) string {
	b.Helper()
	dir := os.Getenv("VALDRIX_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := fmt.Sprintf("%s/cur2-%d-seed1.parquet", dir, rows)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path + ".tmp")
	require.NoError(b, err)
	require.NoError(b, ingestion.GenerateCUR2(f, ingestion.GenerateConfig{Rows: rows, Seed: 1}))
	require.NoError(b, f.Close())
	require.NoError(b, os.Rename(path+".tmp", path))
	return path
}

// BenchmarkReadCUR2Parquet measures parse + daily roll-up of a generated
// CUR 2.0 Parquet file, the ledger rows streamed day by day to a consumer
// that counts them, as the importer consumes them. VALDRIX_BENCH_ROWS sets
// the size (default 1M).
func BenchmarkReadCUR2Parquet(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("VALDRIX_BENCH_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(b, err)
		rows = n
	}
	path := benchCUR2File(b, rows)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("rows=%d/workers=%d", rows, workers), func(b *testing.B) {
			var out int64
			start := time.Now()
			for b.Loop() {
				var emitted, lines int64
				res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.LocalFile(path)}, ingestion.FormatCUR2, ingestion.ReadOptions{
					Workers: workers,
					Emit: func(rs []ingestion.LedgerRow) error {
						emitted += int64(len(rs))
						for i := range rs {
							lines += rs[i].LineCount
						}
						return nil
					},
				})
				require.NoError(b, err)
				require.Equal(b, int64(rows), res.RowsRead)
				require.Equal(b, int64(rows), lines)
				require.Equal(b, res.LedgerRows, emitted)
				out = emitted
			}
			b.ReportMetric(float64(rows)*float64(b.N)/time.Since(start).Seconds(), "rows/s")
			b.ReportMetric(float64(out), "ledger_rows")
		})
	}
}
