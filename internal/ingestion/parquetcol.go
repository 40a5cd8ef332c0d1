package ingestion

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// decimalEntry is one dictionary entry of a metric column as a Decimal.
type decimalEntry struct {
	val   valdrix.Decimal
	valid bool   // false: null (or null-like text)
	text  string // the source text, for errors
	err   error
}

var errDecimalRange = valdrix.ErrDecimalRange

// floatEntry converts a double (CUR 2.0 stores costs as double) exactly to
// its shortest decimal representation, rounded to nine places.
func floatEntry(f float64) decimalEntry {
	d, ok := valdrix.DecimalFromFloat(f)
	if !ok {
		return decimalEntry{text: strconv.FormatFloat(f, 'g', -1, 64), err: errDecimalRange}
	}
	return decimalEntry{val: d, valid: true}
}

// scaledEntry converts an integer, a decimal of the given scale when
// scale >= 0.
func scaledEntry(v int64, scale int32) decimalEntry {
	if scale < 0 {
		scale = 0
	}
	d, ok := decimalFromBig(big.NewInt(v), scale)
	if !ok {
		return decimalEntry{text: strconv.FormatInt(v, 10), err: errDecimalRange}
	}
	return decimalEntry{val: d, valid: true}
}

// textEntry parses a number written as text; empty and NULL are null.
func textEntry(s string) decimalEntry {
	if s = strings.TrimSpace(s); s == "" || s == "NULL" || s == "null" {
		return decimalEntry{}
	}
	d, err := valdrix.ParseDecimal(s)
	if err != nil {
		return decimalEntry{text: strings.Clone(s), err: err}
	}
	return decimalEntry{val: d, valid: true}
}

// bigFromTwos reads a big-endian two's complement integer (Parquet's
// decimal bytes).
func bigFromTwos(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// decimalFromBig converts an unscaled integer with the given scale to a
// Decimal, rounding half away from zero beyond nine places.
func decimalFromBig(b *big.Int, scale int32) (valdrix.Decimal, bool) {
	b = new(big.Int).Set(b)
	shift := int(valdrix.DecimalPlaces) - int(scale)
	if shift >= 0 {
		b.Mul(b, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil))
	} else {
		div := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-shift)), nil)
		q, r := new(big.Int).QuoRem(b, div, new(big.Int))
		r.Abs(r).Mul(r, big.NewInt(2))
		if r.Cmp(div) >= 0 {
			if b.Sign() < 0 {
				q.Sub(q, big.NewInt(1))
			} else {
				q.Add(q, big.NewInt(1))
			}
		}
		b = q
	}
	if !b.IsInt64() {
		return 0, false
	}
	return valdrix.Decimal(b.Int64()), true
}

// grow returns s resized to n elements, reallocated (without copying)
// when it is too small: a scratch buffer whose old contents do not matter.
// A buffer that is outgrown gets a quarter more room, so that windows of
// slightly different sizes do not reallocate it each time.
func grow[T any](s []T, n int) []T {
	switch {
	case cap(s) >= n:
		return s[:n]
	case cap(s) == 0:
		return make([]T, n)
	}
	return make([]T, n, n+n/4)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
