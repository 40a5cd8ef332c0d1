package ingestion

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Blob is an open billing file. Parquet needs random access, text formats
// read it as a stream.
type Blob interface {
	io.Reader
	io.ReaderAt
	io.Seeker
	io.Closer
}

// File is one billing file of a period: a name (path or object key, used in
// errors and to match manifests) and how to open it.
type File struct {
	Name string
	Open func(ctx context.Context) (Blob, error)
}

// LocalFile is a file on disk.
func LocalFile(path string) File {
	return File{Name: path, Open: func(context.Context) (Blob, error) { return os.Open(path) }}
}

// MemoryFile is a file held in memory (tests, small downloads).
func MemoryFile(name string, data []byte) File {
	return File{Name: name, Open: func(context.Context) (Blob, error) { return nopCloser{bytes.NewReader(data)}, nil }}
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

// ReadOptions tunes ReadPeriod.
type ReadOptions struct {
	// Workers is the number of goroutines decoding Parquet row groups
	// [GOMAXPROCS].
	Workers int
	// Progress, when set, is called as rows are read (from one goroutine
	// at a time).
	Progress Progress
	// BatchRows is the number of rows of a Parquet row group decoded and
	// aggregated at a time [131,072]. Results do not depend on it; memory
	// and speed do.
	BatchRows int
	// Manifest is the manifest the files belong to, if any: its id,
	// checksum and declared totals go into the result.
	Manifest *Manifest
	// Emit, when set, receives the ledger rows a charge day (or a batch of
	// one day) at a time, in day order, instead of PeriodResult.Rows; within
	// a day the order is fixed (the same on every run, for any number of
	// workers) but not sorted by key. The slice is reused once Emit
	// returns. The rows of a period are then never all in memory at once.
	// Days can be emitted while the period's last Parquet file is still
	// being read (dayemit.go), so Emit may run alongside Progress; calls to
	// Emit never overlap. An error from Emit ends the read with it.
	Emit func(rows []LedgerRow) error
}

// ExportTotals are totals the export states about itself, for the importer
// to compare with what was read. Only some exports carry any: Azure's
// manifest declares its data row count; CUR 2.0, legacy CUR, GCP and FOCUS
// files declare none.
type ExportTotals struct {
	DeclaredRows int64  // data rows the export says it holds
	Source       string // where the figure comes from
}

// PeriodResult is one billing period read from its files and rolled up.
type PeriodResult struct {
	Format       Format
	FormatReason string // why Detect chose Format ("" when given)

	Rows       []LedgerRow     // sorted by charge day and key; nil with ReadOptions.Emit
	LedgerRows int64           // ledger rows produced (len(Rows) without Emit)
	RowsRead   int64           // source rows (lines, records) read
	LinesKept  int64           // FOCUS lines summed into Rows; GCP credits add lines
	Periods    []valdrix.Month // billing periods the rows belong to
	Totals     []CategoryTotal // per charge category and currency

	ExportTotals     *ExportTotals // nil when the export states none
	ManifestID       string        // assembly, execution or run id of the manifest
	ManifestChecksum string        // SHA-256 of the manifest bytes

	seen map[valdrix.Month]bool // periods delivered so far
}

// ReadPeriod reads every file of one billing period in the given format (or
// FormatAuto) and rolls the lines up into ledger rows. Files may be CSV,
// gzip CSV, Parquet, or (GCP) JSON lines. Bad input gives an EINVALID
// valdrix.Error whose cause is a *ParseError naming file, row and column.
func ReadPeriod(ctx context.Context, files []File, format Format, opts ReadOptions) (*PeriodResult, error) {
	if len(files) == 0 {
		return nil, valdrix.Errorf(valdrix.EINVALID, "no billing files to read")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	res := &PeriodResult{Format: format}
	if format == FormatAuto || format == "" {
		d, err := detectFiles(ctx, files)
		if err != nil {
			return nil, err
		}
		res.Format, res.FormatReason = d.Format, d.Reason
	}
	roll := NewRollup()
	var err error
	switch res.Format {
	case FormatGCP:
		err = readGCPFiles(ctx, files, roll, opts, res)
	case FormatCUR2, FormatCUR, FormatAzure, FormatFOCUS:
		err = readTableFiles(ctx, files, specFor(res.Format, amortized(files, opts.Manifest)), roll, opts, res)
	default:
		return nil, valdrix.Errorf(valdrix.EINVALID, "unknown billing format %q", res.Format)
	}
	if err != nil {
		return nil, err
	}
	if err := finishResult(res, roll, opts.Emit); err != nil {
		return nil, err
	}
	if m := opts.Manifest; m != nil {
		res.ManifestID, res.ManifestChecksum = m.ID, m.Checksum
		if m.DeclaredRows >= 0 {
			res.ExportTotals = &ExportTotals{DeclaredRows: m.DeclaredRows, Source: m.Name + " " + m.rowsField}
		}
	}
	return res, nil
}

// finishResult delivers the rows the roll-up still holds (every reader but
// the tabular ones, which deliver day by day) and records its totals.
func finishResult(res *PeriodResult, roll *Rollup, emitRows func([]LedgerRow) error) error {
	res.LinesKept = roll.Lines()
	res.Totals = roll.Totals()
	rows := roll.Rows()
	if emitRows == nil && res.Rows == nil {
		res.note(rows)
		res.Rows = rows // owned: no copy
		rows = nil
	}
	const batch = 1 << 14
	for lo := 0; lo < len(rows); lo += batch {
		if err := res.deliver(rows[lo:min(lo+batch, len(rows))], emitRows); err != nil {
			return err
		}
	}
	slices.Sort(res.Periods)
	return nil
}

// deliver hands merged, sorted rows to emitRows, or keeps them in res.Rows
// when it is nil, and counts them.
func (res *PeriodResult) deliver(rows []LedgerRow, emitRows func([]LedgerRow) error) error {
	if len(rows) == 0 {
		return nil
	}
	res.note(rows)
	if emitRows != nil {
		return emitRows(rows)
	}
	// rows is the caller's buffer. Collected rows are sorted by key (a
	// sorted batch is only checked).
	n := len(res.Rows)
	res.Rows = append(res.Rows, rows...)
	sortRows(res.Rows[n:])
	return nil
}

// note counts rows and records their billing periods.
func (res *PeriodResult) note(rows []LedgerRow) {
	res.LedgerRows += int64(len(rows))
	if res.seen == nil {
		res.seen = map[valdrix.Month]bool{}
	}
	for i := range rows {
		if m := rows[i].BillingPeriod; !res.seen[m] {
			res.seen[m] = true
			res.Periods = append(res.Periods, m)
		}
	}
}

// specFor returns the table spec of a tabular format.
func specFor(f Format, amortized bool) *tableSpec {
	switch f {
	case FormatCUR2:
		return curSpec(false)
	case FormatCUR:
		return curSpec(true)
	case FormatAzure:
		return azureSpecFor(amortized)
	}
	return focusSpec()
}

// amortized reports whether Azure files are from the AmortizedCost dataset:
// the manifest says so, or the file names do (Azure names export folders
// and files after the dataset).
func amortized(files []File, m *Manifest) bool {
	if m != nil && m.Dataset != "" {
		return strings.EqualFold(m.Dataset, "AmortizedCost")
	}
	for _, f := range files {
		if strings.Contains(strings.ToLower(f.Name), "amortized") {
			return true
		}
	}
	return false
}

// readTableFiles reads CSV and Parquet files of one tabular format.
func readTableFiles(ctx context.Context, files []File, spec *tableSpec, roll *Rollup, opts ReadOptions, res *PeriodResult) error {
	st := newTableState(spec)
	agg := newAggregator(len(spec.dims))
	var emitErr error
	em := newDayEmitter(spec, st, roll, func(rows []LedgerRow) error {
		emitErr = res.deliver(rows, opts.Emit)
		return emitErr
	})
	for i, f := range files {
		// Days can be emitted before the end only while the last file is
		// read: any earlier one leaves days to the files after it.
		var early *dayEmitter
		if i == len(files)-1 {
			early = em
		}
		n, err := readTableFile(ctx, f, st, agg, opts, early)
		res.RowsRead += n
		if emitErr != nil {
			return emitErr // the caller's own error, as it is
		}
		if err != nil {
			return err
		}
	}
	err := em.rest(agg)
	switch {
	case err == nil:
	case emitErr != nil:
		return emitErr // the caller's own error, as it is
	default:
		return parseErr(files[0].Name, 0, 0, "", err)
	}
	return nil
}

func readTableFile(ctx context.Context, f File, st *tableState, agg *aggregator, opts ReadOptions, em *dayEmitter) (int64, error) {
	blob, kind, err := openFile(ctx, f)
	if err != nil {
		return 0, err
	}
	defer func() { _ = blob.Close() }()
	switch kind {
	case kindParquet:
		return readParquetTable(ctx, f.Name, blob, st, agg, opts, em)
	case kindJSON:
		return 0, parseErr(f.Name, 0, 0, "", errorf("JSON lines are read only for the GCP billing export"))
	}
	return readCSVTable(ctx, f.Name, blob, st, agg, opts.Progress)
}

// openFile opens f and sniffs its kind; the caller closes the blob.
func openFile(ctx context.Context, f File) (Blob, fileKind, error) {
	blob, err := f.Open(ctx)
	if err != nil {
		return nil, 0, valdrix.Wrap(valdrix.EINVALID, err, "cannot open billing file %s", f.Name)
	}
	kind, err := sniff(blob)
	if err != nil {
		_ = blob.Close()
		return nil, 0, parseErr(f.Name, 0, 0, "", err)
	}
	return blob, kind, nil
}

// fileKind is what a file's first bytes say it is.
type fileKind uint8

const (
	kindText fileKind = iota
	kindParquet
	kindJSON
)

// sniff looks at the first bytes of a blob and rewinds it.
func sniff(b Blob) (fileKind, error) {
	var head [512]byte
	n, err := b.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("read: %w", err)
	}
	if n == 0 {
		return 0, errorf("the file is empty")
	}
	h := head[:n]
	if bytes.HasPrefix(h, []byte("PAR1")) {
		return kindParquet, nil
	}
	if bytes.HasPrefix(h, []byte{0x1f, 0x8b}) {
		if k, ok := sniffGzip(b); ok {
			return k, nil
		}
		return kindText, nil
	}
	t := bytes.TrimLeft(bytes.TrimPrefix(h, []byte{0xEF, 0xBB, 0xBF}), " \t\r\n")
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		return kindJSON, nil
	}
	return kindText, nil
}

// sniffGzip peeks into a gzip stream for JSON lines.
func sniffGzip(b Blob) (fileKind, bool) {
	sr := io.NewSectionReader(b, 0, 1<<20)
	tr, closeFn, err := textReader(sr)
	if err != nil {
		return kindText, false
	}
	defer func() { _ = closeFn() }()
	br := bufio.NewReader(tr)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return kindText, false
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return kindJSON, true
		}
		return kindText, true
	}
}
