package ingestion_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
)

// writeParquet writes rows with parquet-go's struct writer, rowGroup rows
// per row group: schemas arrow-go would not write (empty groups, bare
// repeated columns) and files other writers produce.
func writeParquet[T any](t *testing.T, rows []T, rowGroup int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, parquet.MaxRowsPerRowGroup(rowGroup))
	_, err := w.Write(rows)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

var focusDay = time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

type emptyStruct struct{}

// focusWithEmptyGroup has an empty struct between two columns: it has no
// column chunk, so every later column must still be found at its own.
type focusWithEmptyGroup struct {
	BillingAccountID  string       `parquet:"BillingAccountId,dict"`
	ChargeCategory    string       `parquet:"ChargeCategory,dict"`
	BillingCurrency   string       `parquet:"BillingCurrency,dict"`
	ChargePeriodStart int64        `parquet:"ChargePeriodStart,timestamp(microsecond)"`
	BilledCost        float64      `parquet:"BilledCost"`
	Meta              *emptyStruct `parquet:"Meta,optional"`
	ResourceID        string       `parquet:"ResourceId,dict"`
	ServiceName       string       `parquet:"ServiceName,dict"`
}

type focusWithList struct {
	BillingAccountID  string   `parquet:"BillingAccountId,dict"`
	ChargeCategory    string   `parquet:"ChargeCategory,dict"`
	BillingCurrency   string   `parquet:"BillingCurrency,dict"`
	ChargePeriodStart int64    `parquet:"ChargePeriodStart,timestamp(microsecond)"`
	BilledCost        float64  `parquet:"BilledCost"`
	ResourceID        []string `parquet:"ResourceId,dict"`
}

type focusWithMapDate struct {
	BillingAccountID  string            `parquet:"BillingAccountId,dict"`
	ChargeCategory    string            `parquet:"ChargeCategory,dict"`
	BillingCurrency   string            `parquet:"BillingCurrency,dict"`
	ChargePeriodStart map[string]string `parquet:"ChargePeriodStart"`
	BilledCost        float64           `parquet:"BilledCost"`
}

func TestParquetSchemas(t *testing.T) {
	t.Parallel()
	read := func(data []byte, workers int) (*ingestion.PeriodResult, error) {
		return ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("x.parquet", data)}, ingestion.FormatFOCUS, ingestion.ReadOptions{Workers: workers})
	}
	t.Run("empty group", func(t *testing.T) {
		t.Parallel()
		res, err := read(writeParquet(t, []focusWithEmptyGroup{
			{"ba-1", "Usage", "USD", focusDay, 1.5, nil, "res-1", "svc"},
			{"ba-1", "Usage", "USD", focusDay, 2, nil, "res-2", "svc"},
		}, 10), 1)
		require.NoError(t, err)
		require.Len(t, res.Rows, 2)
		require.Equal(t, "res-1", res.Rows[0].ResourceID)
		require.Equal(t, dec(t, "1.5"), res.Rows[0].BilledCost)
		require.Equal(t, "res-2", res.Rows[1].ResourceID)
		require.Equal(t, "svc", res.Rows[1].ServiceName)
	})
	for _, tt := range []struct {
		name, data, want string
	}{
		{name: "repeated column", want: `nested column "ResourceId"`},
		{name: "map as the charge date", want: `column "ChargePeriodStart" is a map`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data := writeParquet(t, []focusWithList{{"ba-1", "Usage", "USD", focusDay, 1, []string{"a", "b"}}, {"ba-1", "Usage", "USD", focusDay, 2, nil}}, 10)
			if tt.name == "map as the charge date" {
				data = writeParquet(t, []focusWithMapDate{{"ba-1", "Usage", "USD", map[string]string{"a": "b"}, 1}}, 10)
			}
			_, err := read(data, 1)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

type focusOptionalEffective struct {
	BillingAccountID  string   `parquet:"BillingAccountId,dict"`
	ChargeCategory    string   `parquet:"ChargeCategory,dict"`
	BillingCurrency   string   `parquet:"BillingCurrency,dict"`
	ChargePeriodStart int64    `parquet:"ChargePeriodStart,timestamp(microsecond)"`
	BilledCost        float64  `parquet:"BilledCost"`
	EffectiveCost     *float64 `parquet:"EffectiveCost,optional"`
}

// TestReadParquetWorkersAgree: lines of one key in row groups that
// different workers read are summed before the FOCUS mapping, which is not
// linear (EffectiveCost falls back to BilledCost when no line has one).
func TestReadParquetWorkersAgree(t *testing.T) {
	t.Parallel()
	five := 5.0
	var rows []focusOptionalEffective
	for i := range 8 {
		r := focusOptionalEffective{"ba", "Usage", "USD", focusDay, 3, nil}
		if i < 4 { // only the first row groups: one worker sees none
			r.EffectiveCost = &five
		}
		rows = append(rows, r)
	}
	data := writeParquet(t, rows, 1)
	var results []*ingestion.PeriodResult
	for _, workers := range []int{1, 2, 3} {
		res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile("x.parquet", data)}, ingestion.FormatFOCUS, ingestion.ReadOptions{Workers: workers})
		require.NoError(t, err)
		require.Len(t, res.Rows, 1)
		results = append(results, res)
	}
	require.Equal(t, dec(t, "24"), results[0].Rows[0].BilledCost)
	require.Equal(t, dec(t, "20"), results[0].Rows[0].EffectiveCost, "the lines that carry EffectiveCost")
	for _, r := range results[1:] {
		require.Empty(t, cmp.Diff(results[0].Rows, r.Rows))
	}
}
