package ingestion_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// parquetStrings writes a Parquet file whose columns are all strings (null
// for "\x00"), in row groups of rowGroup rows: enough to feed every tabular
// reader, since they parse text columns like CSV cells.
func parquetStrings(t testing.TB, header []string, rows [][]string, rowGroup int) []byte {
	t.Helper()
	fields := make([]arrow.Field, len(header))
	for i, h := range header {
		fields[i] = arrow.Field{Name: h, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(int64(rowGroup))), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	flush := func() {
		rec := bld.NewRecordBatch()
		defer rec.Release()
		require.NoError(t, fw.Write(rec))
	}
	for i, r := range rows {
		for c := range header {
			sb := bld.Field(c).(*array.StringBuilder)
			if c >= len(r) || r[c] == "\x00" {
				sb.AppendNull()
			} else {
				sb.Append(r[c])
			}
		}
		if (i+1)%rowGroup == 0 {
			flush()
		}
	}
	if len(rows)%rowGroup != 0 {
		flush()
	}
	require.NoError(t, fw.Close())
	return buf.Bytes()
}

// readCSVTable splits CSV text into header and rows.
func readCSVTable(t testing.TB, text string) ([]string, [][]string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	require.NoError(t, err)
	return recs[0], recs[1:]
}

func readOne(t testing.TB, name string, data []byte, f ingestion.Format) (*ingestion.PeriodResult, error) {
	t.Helper()
	return ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile(name, data)}, f, ingestion.ReadOptions{Workers: 2})
}

func mustRead(t testing.TB, name string, data []byte, f ingestion.Format) *ingestion.PeriodResult {
	t.Helper()
	res, err := readOne(t, name, data, f)
	require.NoError(t, err)
	return res
}

func csvWriter(w io.Writer) *csv.Writer { return csv.NewWriter(w) }

// parquetWithBoolColumn writes the table with one column as booleans.
func parquetWithBoolColumn(t testing.TB, header []string, rows [][]string, boolCol string) []byte {
	t.Helper()
	fields := make([]arrow.Field, len(header))
	for i, h := range header {
		typ := arrow.DataType(arrow.BinaryTypes.String)
		if h == boolCol {
			typ = arrow.FixedWidthTypes.Boolean
		}
		fields[i] = arrow.Field{Name: h, Type: typ, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, parquet.NewWriterProperties(), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	for _, r := range rows {
		for c, h := range header {
			if h == boolCol {
				bld.Field(c).(*array.BooleanBuilder).Append(true)
				continue
			}
			bld.Field(c).(*array.StringBuilder).Append(r[c])
		}
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	require.NoError(t, fw.Write(rec))
	require.NoError(t, fw.Close())
	return buf.Bytes()
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
