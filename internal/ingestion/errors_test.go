package ingestion_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// editCSV replaces the cell of the named column in data row row (1-based).
func editCSV(t testing.TB, text, column string, row int, value string) string {
	t.Helper()
	header, rows := readCSVTable(t, text)
	c := -1
	for i, h := range header {
		if h == column {
			c = i
		}
	}
	require.GreaterOrEqual(t, c, 0, column)
	rows[row-1][c] = value
	return writeCSVTable(t, header, rows)
}

func dropColumn(t testing.TB, text, column string) string {
	t.Helper()
	header, rows := readCSVTable(t, text)
	var h2 []string
	keep := []int{}
	for i, h := range header {
		if h != column {
			h2 = append(h2, h)
			keep = append(keep, i)
		}
	}
	var r2 [][]string
	for _, r := range rows {
		var nr []string
		for _, i := range keep {
			nr = append(nr, r[i])
		}
		r2 = append(r2, nr)
	}
	return writeCSVTable(t, h2, r2)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	cur := string(writeCUR2CSV(t, fixtureLines()))
	curHeader, curRows := readCSVTable(t, cur)
	good := writeCUR2Parquet(t, fixtureLines(), 3)
	badCost := make([][]string, len(curRows))
	for i, r := range curRows {
		badCost[i] = append([]string(nil), r...)
	}
	costCol := indexOfString(curHeader, "line_item_unblended_cost")
	badCost[4][costCol] = "12,50" // row group 2, row 2 with 3-row groups
	boolCost := parquetWithBoolColumn(t, curHeader, curRows, "line_item_unblended_cost")
	flipped := append([]byte(nil), good...)
	for i := 200; i < len(flipped)/2; i += 7 {
		flipped[i] ^= 0x5a
	}
	gzCSV := gz(t, []byte(cur))
	corruptGz := append([]byte(nil), gzCSV...)
	for i := len(corruptGz) / 3; i < len(corruptGz)/3+40; i++ {
		corruptGz[i] ^= 0xff
	}
	huge := editCSV(t, editCSV(t, cur, "line_item_net_unblended_cost", 1, "9000000000"), "line_item_net_unblended_cost", 2, "9000000000")
	tests := []struct {
		name     string
		data     string
		format   ingestion.Format
		row      int64
		rowGroup int
		column   string
		message  string
	}{
		{name: "unparseable number", data: editCSV(t, cur, "line_item_unblended_cost", 2, "abc"), format: ingestion.FormatCUR2, row: 2, column: "line_item_unblended_cost", message: `"abc" is not a number`},
		{name: "unparseable date", data: editCSV(t, cur, "line_item_usage_start_date", 3, "yesterday"), format: ingestion.FormatCUR2, row: 3, column: "line_item_usage_start_date", message: "not a date"},
		{name: "empty date", data: editCSV(t, cur, "line_item_usage_start_date", 1, ""), format: ingestion.FormatCUR2, row: 1, column: "line_item_usage_start_date", message: "empty"},
		{name: "unknown currency", data: editCSV(t, cur, "line_item_currency_code", 4, "XYZ"), format: ingestion.FormatCUR2, row: 4, column: "line_item_currency_code", message: "unknown currency"},
		{name: "empty currency", data: editCSV(t, cur, "line_item_currency_code", 2, ""), format: ingestion.FormatCUR2, row: 2, column: "line_item_currency_code", message: "currency is empty"},
		{name: "null currency in parquet", data: string(parquetStrings(t, curHeader, withCell(curRows, 5, indexOfString(curHeader, "line_item_currency_code"), "\x00"), 4)), format: ingestion.FormatCUR2, rowGroup: 2, row: 2, column: "line_item_currency_code", message: "currency is empty"},
		{name: "missing required column", data: dropColumn(t, cur, "line_item_usage_account_id"), format: ingestion.FormatCUR2, column: "line_item_usage_account_id", message: "missing"},
		{name: "empty file", data: "", format: ingestion.FormatCUR2, message: "empty"},
		{name: "header only", data: strings.SplitN(cur, "\n", 2)[0] + "\n", format: ingestion.FormatCUR2, message: "no data rows"},
		{name: "header only auto", data: strings.SplitN(cur, "\n", 2)[0] + "\n", format: ingestion.FormatAuto, message: "no data rows"},
		{name: "unrecognised header", data: "a,b,c\n1,2,3\n", format: ingestion.FormatAuto, message: "unrecognised billing format"},
		{name: "truncated gzip", data: string(gzCSV[:len(gzCSV)-30]), format: ingestion.FormatCUR2, message: "gzip"},
		{name: "corrupt gzip", data: string(corruptGz), format: ingestion.FormatCUR2, message: ""},
		{name: "truncated parquet", data: string(good[:len(good)-50]), format: ingestion.FormatCUR2, message: "Parquet"},
		{name: "corrupt parquet", data: string(flipped), format: ingestion.FormatCUR2, message: ""},
		// Files whose footer length says 1–4 GB (FuzzParquet found them):
		// refused before parquet-go allocates a buffer of that length.
		{name: "parquet footer longer than the file", data: "PAR1\x02\x18\x0aBPAR1", format: ingestion.FormatCUR2, message: "footer claims 1107957762 bytes, the file has 12"},
		{name: "parquet footer longer than the file, detected", data: "PAR1" + strings.Repeat("x", 100) + "\x19\xfc&HPAR1", format: ingestion.FormatAuto, message: "footer claims 1210514457 bytes, the file has 112"},
		{name: "parquet too short", data: "PAR1\x19\xfcPAR1", format: ingestion.FormatCUR2, message: "10 bytes is too short"},
		{name: "bad number in a parquet row group", data: string(parquetStrings(t, curHeader, badCost, 3)), format: ingestion.FormatCUR2, rowGroup: 2, row: 2, column: "line_item_unblended_cost", message: `"12,50" is not a number`},
		{name: "wrong parquet type", data: string(boolCost), format: ingestion.FormatCUR2, rowGroup: 1, row: 1, column: "line_item_unblended_cost", message: "not a number"},
		{name: "daily sum overflows", data: huge, format: ingestion.FormatCUR2, row: 2, column: "line_item_net_unblended_cost", message: "out of range"},
		{name: "azure bad date", data: strings.Replace(azureMCA, "2024-10-05", "2024-13-45", 1), format: ingestion.FormatAzure, row: 1, column: "date", message: "not a date"},
		{name: "focus unknown charge category", data: strings.Replace(focusCSV, "Credit,Correction", "Refund,Correction", 1), format: ingestion.FormatFOCUS, row: 3, column: "ChargeCategory", message: "not a FOCUS ChargeCategory"},
		{name: "gcp unknown currency", data: strings.Replace(gcpJSONL, `"currency":"USD","usage":{"amount":14400`, `"currency":"ZZZ","usage":{"amount":14400`, 1), format: ingestion.FormatGCP, row: 2, column: "currency", message: "unknown currency"},
		{name: "gcp wrong type", data: strings.Replace(gcpJSONL, `"cost":1.0`, `"cost":"one"`, 1), format: ingestion.FormatGCP, row: 3, message: "not a number"},
		{name: "gcp truncated record", data: gcpJSONL[:len(gcpJSONL)-40], format: ingestion.FormatGCP, row: 3, message: "not a billing export record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := readOne(t, "data/export-1.csv", []byte(tt.data), tt.format)
			require.Error(t, err)
			require.Equal(t, valdrix.EINVALID, valdrix.ErrorCode(err), err.Error())
			var pe *ingestion.ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, "data/export-1.csv", pe.File)
			if tt.row > 0 || tt.rowGroup > 0 {
				require.Equal(t, tt.row, pe.Row, err.Error())
				require.Equal(t, tt.rowGroup, pe.RowGroup, err.Error())
			}
			if tt.column != "" {
				require.Equal(t, tt.column, pe.Column, err.Error())
			}
			require.Contains(t, err.Error(), tt.message)
			require.Contains(t, valdrix.ErrorMessage(err), "data/export-1.csv", "the user-safe message names the file")
		})
	}
}

func indexOfString(ss []string, s string) int {
	for i, v := range ss {
		if v == s {
			return i
		}
	}
	return -1
}

func writeCSVTable(t testing.TB, header []string, rows [][]string) string {
	t.Helper()
	var b bytes.Buffer
	w := csvWriter(&b)
	require.NoError(t, w.Write(header))
	require.NoError(t, w.WriteAll(rows))
	return b.String()
}

// withCell returns a copy of rows with one cell replaced (row is 0-based).
func withCell(rows [][]string, row, col int, v string) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string(nil), r...)
	}
	out[row][col] = v
	return out
}

func TestParseErrorChain(t *testing.T) {
	t.Parallel()
	cur := string(writeCUR2CSV(t, fixtureLines()))
	_, err := readOne(t, "cur.csv", []byte(editCSV(t, cur, "line_item_usage_amount", 3, "1.2.3")), ingestion.FormatCUR2)
	require.ErrorIs(t, err, valdrix.ErrDecimalSyntax, "the cause stays in the chain")
	var ve *valdrix.Error
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "cur.csv, row 3, column line_item_usage_amount", ve.Field)
	require.Equal(t, `cur.csv, row 3, column line_item_usage_amount: "1.2.3" is not a number: not a decimal number`, err.Error())
	require.Equal(t, err.Error(), valdrix.ErrorMessage(err))
}
