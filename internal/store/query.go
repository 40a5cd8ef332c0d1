package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// sqlBuilder appends conditions and arguments with numbered placeholders.
type sqlBuilder struct {
	sql  string
	args []any
}

func newSQL(base string, args ...any) *sqlBuilder { return &sqlBuilder{sql: base, args: args} }

// arg adds an argument and returns its placeholder.
func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

// args1 adds each value as an argument and returns their placeholders,
// comma-separated (for IN lists).
func (b *sqlBuilder) args1(vs []string) string {
	ph := make([]string, len(vs))
	for i, v := range vs {
		ph[i] = b.arg(v)
	}
	return strings.Join(ph, ", ")
}

// where appends " AND <cond>" where cond contains one %s for the placeholder.
func (b *sqlBuilder) where(cond string, v any) {
	b.sql += " AND " + fmt.Sprintf(cond, b.arg(v))
}

// page appends keyset pagination on col (descending) and the limit, asking
// for one extra row to know whether another page follows.
func (b *sqlBuilder) pageDesc(col string, p governance.Page) {
	if p.Cursor != "" {
		b.where(col+" < %s", p.Cursor)
	}
	b.sql += " ORDER BY " + col + " DESC LIMIT " + b.arg(p.Limit+1)
}

// validCursor checks an id cursor.
func validCursor(p governance.Page) error {
	if p.Cursor != "" && !valdrix.ValidID(p.Cursor) {
		return valdrix.FieldError("cursor", "is not a cursor returned by this API")
	}
	return nil
}

// trimPage cuts the extra row and returns the next cursor.
func trimPage[T any](items []T, limit int, cursor func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, cursor(items[limit-1])
}

// valuesSQL returns n rows of cols placeholders, "(…),(…)", for a
// multi-row INSERT whose arguments start after first others: numbered on
// PostgreSQL, anonymous ? on SQLite, which resolves $N names with a linear
// search per parameter (quadratic at thousands of parameters). On SQLite
// the statement must use ? for every parameter.
func (db *DB) valuesSQL(n, cols, first int) string {
	var b strings.Builder
	b.Grow(n * cols * 6)
	for r := range n {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			if db.pg != nil {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(first + r*cols + c + 1))
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
