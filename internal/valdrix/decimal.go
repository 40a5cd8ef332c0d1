package valdrix

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Decimal is an exact decimal number with nine digits after the point, held as
// a count of billionths in an int64 (range about ±9.2 billion). Money and
// quantities use it so that sums never go through float64; ADR 0004 explains
// the choice. Arithmetic reports overflow instead of wrapping.
type Decimal int64

// DecimalScale is the number of Decimal units in 1.
const DecimalScale = 1_000_000_000

// DecimalPlaces is the number of digits after the point a Decimal holds.
const DecimalPlaces = 9

// ErrDecimalRange is returned when a value does not fit a Decimal.
var ErrDecimalRange = errors.New("number out of range (more than 9.2 billion)")

// ErrDecimalSyntax is returned for text that is not a decimal number.
var ErrDecimalSyntax = errors.New("not a decimal number")

// NewDecimal returns units + nanos/1e9.
func NewDecimal(units int64, nanos int64) Decimal { return Decimal(units*DecimalScale + nanos) }

// ParseDecimal parses a decimal number such as "12", "-0.000123", "+1.5" or
// "1.2E-7". Digits beyond the ninth after the point are rounded half away from
// zero. Empty text is a syntax error: a missing number is never zero.
func ParseDecimal(s string) (Decimal, error) {
	if d, ok := parseDecimalFast(s); ok {
		return d, nil
	}
	return parseDecimalSlow(s)
}

// parseDecimalFast handles plain "[-]digits[.digits]" with at most 18 integer
// digits and 9 fraction digits, the overwhelmingly common shape.
func parseDecimalFast(s string) (Decimal, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		i = 1
	}
	if i == len(s) {
		return 0, false
	}
	var intPart uint64
	nInt := 0
	for ; i < len(s) && s[i] != '.'; i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		intPart = intPart*10 + uint64(c)
		nInt++
		if nInt > 10 {
			return 0, false
		}
	}
	var frac uint64
	nFrac := 0
	if i < len(s) {
		i++ // '.'
		for ; i < len(s); i++ {
			c := s[i] - '0'
			if c > 9 || nFrac == 9 {
				return 0, false
			}
			frac = frac*10 + uint64(c)
			nFrac++
		}
	}
	if nInt == 0 && nFrac == 0 {
		return 0, false
	}
	for ; nFrac < 9; nFrac++ {
		frac *= 10
	}
	v := intPart*DecimalScale + frac
	if v > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return Decimal(-int64(v)), true
	}
	return Decimal(int64(v)), true
}

func parseDecimalSlow(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, ErrDecimalSyntax
	}
	neg := false
	if t[0] == '-' || t[0] == '+' {
		neg = t[0] == '-'
		t = t[1:]
	}
	exp := 0
	if k := strings.IndexAny(t, "eE"); k >= 0 {
		e, err := strconv.Atoi(t[k+1:])
		if err != nil || e > 40 || e < -40 {
			return 0, ErrDecimalSyntax
		}
		exp = e
		t = t[:k]
	}
	intDigits, fracDigits, hasDot := strings.Cut(t, ".")
	_ = hasDot
	if intDigits == "" && fracDigits == "" {
		return 0, ErrDecimalSyntax
	}
	digits := intDigits + fracDigits
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, ErrDecimalSyntax
		}
	}
	// value = digits × 10^(exp − len(fracDigits)); we want it × 10^9.
	shift := exp - len(fracDigits) + DecimalPlaces
	digits = strings.TrimLeft(digits, "0")
	var roundUp bool
	if shift < 0 {
		cut := len(digits) + shift
		if cut < 0 {
			digits, roundUp = "", false
		} else {
			roundUp = cut < len(digits) && digits[cut] >= '5'
			digits = digits[:cut]
		}
	} else {
		if len(digits)+shift > 19 {
			return 0, ErrDecimalRange
		}
		digits += strings.Repeat("0", shift)
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		hi, lo := bits.Mul64(v, 10)
		lo, carry := bits.Add64(lo, uint64(digits[i]-'0'), 0)
		if hi != 0 || carry != 0 {
			return 0, ErrDecimalRange
		}
		v = lo
	}
	if roundUp {
		v++
	}
	if v > math.MaxInt64 {
		return 0, ErrDecimalRange
	}
	if neg {
		return Decimal(-int64(v)), nil
	}
	return Decimal(int64(v)), nil
}

// DecimalFromFloat converts a float64 (as found in Parquet exports) to the
// nearest Decimal. It reports false for NaN, infinities and values out of range.
func DecimalFromFloat(f float64) (Decimal, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	if f > -9e6 && f < 9e6 {
		// f×1e9 stays below 2^53, so the product is within one unit of exact.
		return Decimal(math.Round(f * DecimalScale)), true
	}
	d, err := ParseDecimal(strconv.FormatFloat(f, 'g', -1, 64))
	return d, err == nil
}

// Add returns d+e and false on overflow.
func (d Decimal) Add(e Decimal) (Decimal, bool) {
	s := d + e
	if (e > 0 && s < d) || (e < 0 && s > d) {
		return 0, false
	}
	return s, true
}

// Sub returns d−e and false on overflow.
func (d Decimal) Sub(e Decimal) (Decimal, bool) {
	if e == math.MinInt64 {
		return 0, false
	}
	return d.Add(-e)
}

// MulRatio returns d×num/den rounded half away from zero, and false on
// overflow or a zero denominator.
func (d Decimal) MulRatio(num, den int64) (Decimal, bool) {
	if den == 0 {
		return 0, false
	}
	neg := (d < 0) != (num < 0) != (den < 0)
	a, n, m := absU(int64(d)), absU(num), absU(den)
	hi, lo := bits.Mul64(a, n)
	if hi >= m {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, m)
	if r >= m-r { // r ≥ m/2: round half away from zero
		q++
	}
	if q > math.MaxInt64 {
		return 0, false
	}
	if neg {
		return Decimal(-int64(q)), true
	}
	return Decimal(int64(q)), true
}

// Mul returns d×e rounded to nine places, and false on overflow.
func (d Decimal) Mul(e Decimal) (Decimal, bool) { return d.MulRatio(int64(e), DecimalScale) }

// Div returns d÷e rounded to nine places, and false on overflow or e = 0.
func (d Decimal) Div(e Decimal) (Decimal, bool) {
	if e == 0 {
		return 0, false
	}
	// d/e = d×1e9/e in Decimal units.
	return d.MulRatio(DecimalScale, int64(e))
}

func absU(v int64) uint64 {
	if v < 0 {
		return uint64(-v) //nolint:gosec // two's complement: MinInt64 maps to 2^63
	}
	return uint64(v)
}

// IsZero reports whether d is zero.
func (d Decimal) IsZero() bool { return d == 0 }

// Float64 returns d as a float64, for display and charts only.
func (d Decimal) Float64() float64 { return float64(d) / DecimalScale }

// String returns the shortest exact decimal text: "-1.5", "0.000000001", "12".
func (d Decimal) String() string {
	var buf [32]byte
	return string(d.appendText(buf[:0], -1))
}

// StringFixed returns d rounded half away from zero to places digits after the
// point (0 ≤ places ≤ 9), always with exactly that many digits: "1.60".
func (d Decimal) StringFixed(places int) string {
	places = max(0, min(places, DecimalPlaces))
	r := d
	if places < DecimalPlaces {
		p := int64(math.Pow10(DecimalPlaces - places))
		r2, ok := d.MulRatio(1, p)
		if ok {
			r = r2 * Decimal(p)
		}
	}
	var buf [32]byte
	return string(r.appendText(buf[:0], places))
}

func (d Decimal) appendText(b []byte, places int) []byte {
	u := absU(int64(d))
	if d < 0 {
		b = append(b, '-')
	}
	b = strconv.AppendUint(b, u/DecimalScale, 10)
	frac := u % DecimalScale
	if places == 0 || (places < 0 && frac == 0) {
		return b
	}
	var f [9]byte
	for i := 8; i >= 0; i-- {
		f[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := 9
	if places < 0 {
		for n > 0 && f[n-1] == '0' {
			n--
		}
	} else {
		n = places
	}
	b = append(b, '.')
	return append(b, f[:n]...)
}

// MarshalText encodes d as its exact decimal text.
func (d Decimal) MarshalText() ([]byte, error) { return d.appendText(nil, -1), nil }

// UnmarshalText parses exact decimal text.
func (d *Decimal) UnmarshalText(b []byte) error {
	v, err := ParseDecimal(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// SumDecimals adds values, reporting false on overflow.
func SumDecimals(values ...Decimal) (Decimal, bool) {
	var s Decimal
	for _, v := range values {
		var ok bool
		if s, ok = s.Add(v); !ok {
			return 0, false
		}
	}
	return s, true
}
