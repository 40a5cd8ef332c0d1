package ingestion

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

// A map's value leaf read along its key leaf's levels (readValues) gives
// the same entries as scanning its own levels (readMap): with null maps,
// empty maps and null values, key and value pages that end at different
// levels, dictionary and plain pages, windows of any size.
func TestReadValuesMatchesReadMap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		dict  bool
		page  int64   // data page size in bytes
		nulls float64 // the share of null values
	}{
		{name: "dictionary, small pages", dict: true, page: 128, nulls: 0.1},
		{name: "dictionary, one page", dict: true, page: 1 << 20, nulls: 0.1},
		{name: "dictionary, no null values", dict: true, page: 256},
		{name: "plain, small pages", page: 200, nulls: 0.1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.page), 3))
			data := writeMapColumn(t, rng, 3000, tc.dict, tc.page, tc.nulls)
			pf, sc, err := openParquet("map.parquet", bytes.NewReader(data))
			require.NoError(t, err)
			f := &sc.fields[0]
			require.True(t, f.isMap)
			key, val := &sc.leaves[f.key], &sc.leaves[f.value]
			// The entries of a window as text, "<null>" for a null value.
			entries := func(c *pqCursor) []string {
				var out []string
				start := 0
				for _, s := range c.win.segs {
					for _, code := range c.win.codes[start:s.end] {
						if code < 0 {
							out = append(out, "<null>")
						} else {
							out = append(out, s.dv.str(int(code)))
						}
					}
					start = s.end
				}
				require.Len(t, out, len(c.win.codes))
				return out
			}
			var windows, withNull int
			for rg, g := range pf.RowGroups() {
				var gens uint64
				var kc, scanned, along pqCursor
				chunks := g.ColumnChunks()
				kc.reset(key, chunks[f.key].Pages(), &gens, false)
				scanned.reset(val, chunks[f.value].Pages(), &gens, false)
				along.reset(val, chunks[f.value].Pages(), &gens, false)
				for left := int(g.NumRows()); left > 0; {
					n := min(left, 1+rng.IntN(400))
					require.NoError(t, kc.readMap(n))
					require.NoError(t, scanned.readMap(n))
					require.NoError(t, along.readValues(kc.win.levels))
					want := entries(&scanned)
					require.Equal(t, want, entries(&along), "row group %d, %d rows left", rg, left)
					require.Len(t, want, len(kc.win.codes))
					if slices.Contains(want, "<null>") {
						withNull++
					}
					left -= n
					windows++
				}
				kc.close()
				scanned.close()
				along.close()
			}
			require.Greater(t, windows, 10)
			require.Equal(t, tc.nulls > 0, withNull > 0, "windows with null values")
		})
	}
}

// writeMapColumn writes one map<string,string> column of rows rows: null
// maps, empty maps and up to six entries, a share nulls of the values null.
func writeMapColumn(t *testing.T, rng *rand.Rand, rows int, dict bool, page int64, nulls float64) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "tags", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), Nullable: true}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer bld.Release()
	mb := bld.Field(0).(*array.MapBuilder)
	kb, vb := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.StringBuilder)
	for range rows {
		switch p := rng.Float64(); {
		case p < 0.1:
			mb.AppendNull()
			continue
		case p < 0.2:
			mb.Append(true) // empty
			continue
		}
		mb.Append(true)
		for e := range 1 + rng.IntN(6) {
			kb.Append(fmt.Sprintf("k%d", e))
			if rng.Float64() < nulls {
				vb.AppendNull()
			} else {
				vb.Append(fmt.Sprintf("value-%d", rng.IntN(40)))
			}
		}
	}
	rec := bld.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(1200), parquet.WithDictionaryDefault(dict), parquet.WithDataPageSize(page))
	fw, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, fw.Write(rec))
	require.NoError(t, fw.Close())
	return buf.Bytes()
}
