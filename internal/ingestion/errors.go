package ingestion

import (
	"errors"
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// ParseError locates a problem in a billing file: the file, the row and the
// column. Row is the 1-based data row (the header is row 0) for CSV and JSON
// lines; for Parquet RowGroup is set and Row is the 1-based row within that
// row group. A zero Row means the problem is with the file or its header.
//
// Readers return a *ParseError whose Err is a *valdrix.Error with code
// EINVALID (Field is the location, Message the problem), so
// valdrix.ErrorCode gives EINVALID and errors.As finds both types. The
// underlying cause (a decimal syntax error, a gzip checksum error…) is in
// the chain too.
type ParseError struct {
	File     string
	RowGroup int // 1-based Parquet row group, 0 for text formats
	Row      int64
	Column   string
	Err      error

	cause error
}

// Error describes the location and the problem.
func (e *ParseError) Error() string {
	if e.Err != nil {
		var ve *valdrix.Error
		if errors.As(e.Err, &ve) && ve.Field == e.Location() {
			return e.Err.Error()
		}
	}
	var b strings.Builder
	b.WriteString(e.Location())
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Location returns "file, row group 2 row 17, column line_item_unblended_cost"
// with the parts that are known.
func (e *ParseError) Location() string {
	var parts []string
	if e.File != "" {
		parts = append(parts, e.File)
	}
	switch {
	case e.RowGroup > 0 && e.Row > 0:
		parts = append(parts, fmt.Sprintf("row group %d row %d", e.RowGroup, e.Row))
	case e.RowGroup > 0:
		parts = append(parts, fmt.Sprintf("row group %d", e.RowGroup))
	case e.Row > 0:
		parts = append(parts, fmt.Sprintf("row %d", e.Row))
	}
	if e.Column != "" {
		parts = append(parts, "column "+e.Column)
	}
	return strings.Join(parts, ", ")
}

// Unwrap returns the application error and the underlying cause.
func (e *ParseError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Err, e.cause}
	}
	return []error{e.Err}
}

// parseErr builds the error for a located problem. The cause's text is part
// of the user-safe message because it describes the user's own file, never
// our internals.
func parseErr(file string, rowGroup int, row int64, column string, cause error) error {
	pe := &ParseError{File: file, RowGroup: rowGroup, Row: row, Column: column, cause: cause}
	pe.Err = &valdrix.Error{Code: valdrix.EINVALID, Field: pe.Location(), Message: causeText(cause)}
	return pe
}

func causeText(err error) string {
	if err == nil {
		return "invalid billing data"
	}
	return err.Error()
}

// errorf is fmt.Errorf for causes; kept short for the readers.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
