package ingestion

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// strColumn is a string-like Arrow column seen as dictionary codes: codes[i]
// is the index into dict of row i, or -1 for null. Dictionary arrays map
// directly; plain string and other columns are dictionary-encoded per batch.
// The dict strings are views into Arrow buffers: clone what you keep.
type strColumn struct {
	codes []int32
	dict  []string
}

// load fills c from arr, reusing c's slices.
func (c *strColumn) load(arr arrow.Array) { c.loadFrom(arr, false) }

// loadKeep is load for successive batches of one column chunk: arrow-go's
// dictionary builder keeps its memo table across the batches of a chunk, so
// each batch's dictionary extends the previous one. Only the new entries
// are read (and cloned, since they outlive the batch); fresh is the index of
// the first one. When the dictionary is not an extension, all is reloaded
// and fresh is 0.
func (c *strColumn) loadKeep(arr arrow.Array) (fresh int) { return c.loadFrom(arr, true) }

func (c *strColumn) loadFrom(arr arrow.Array, keep bool) int {
	n := arr.Len()
	c.codes = growInt32(c.codes, n)
	a, isDict := arr.(*array.Dictionary)
	if !keep || !isDict {
		c.dict = c.dict[:0]
	}
	if n == 0 {
		return len(c.dict)
	}
	switch {
	case isDict:
		if a.Data().Dictionary() == nil {
			for i := range c.codes {
				c.codes[i] = -1
			}
			return len(c.dict)
		}
		dict := a.Dictionary()
		fresh := 0
		if keep {
			if k := len(c.dict); k > 0 && dict.Len() >= k && stringValue(dict, 0) == c.dict[0] && stringValue(dict, k-1) == c.dict[k-1] {
				fresh = k
			} else {
				c.dict = c.dict[:0]
			}
		}
		for j := fresh; j < dict.Len(); j++ {
			v := stringValue(dict, j)
			if keep {
				v = strings.Clone(v)
			}
			c.dict = append(c.dict, v)
		}
		idx := a.Indices()
		switch ix := idx.(type) {
		case *array.Int32:
			copy(c.codes, ix.Int32Values())
		default:
			for i := 0; i < n; i++ {
				c.codes[i] = int32(a.GetValueIndex(i))
			}
		}
		if a.NullN() > 0 {
			for i := 0; i < n; i++ {
				if a.IsNull(i) {
					c.codes[i] = -1
				}
			}
		}
		return fresh
	default:
		local := map[string]int32{}
		for i := 0; i < n; i++ {
			if arr.IsNull(i) {
				c.codes[i] = -1
				continue
			}
			s := stringValue(arr, i)
			j, ok := local[s]
			if !ok {
				j = int32(len(c.dict))
				local[s] = j
				c.dict = append(c.dict, s)
			}
			c.codes[i] = j
		}
	}
	return 0
}

// stringValue returns value i of a string-like array as text.
func stringValue(arr arrow.Array, i int) string {
	if arr.IsNull(i) {
		return ""
	}
	switch a := arr.(type) {
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return a.ValueString(i)
	case *array.LargeBinary:
		return string(a.Value(i))
	case *array.Dictionary:
		return stringValue(a.Dictionary(), a.GetValueIndex(i))
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return a.Value(i).ToTime(unit).UTC().Format("2006-01-02T15:04:05Z")
	}
	return arr.ValueStr(i)
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func growU32(s []uint32, n int) []uint32 {
	if cap(s) < n {
		return make([]uint32, n)
	}
	return s[:n]
}

// numColumn holds one batch of a metric column as Decimals.
type numColumn struct {
	vals  []valdrix.Decimal
	valid []bool
}

// badNumber reports a value that is not a decimal number: the row (0-based in
// the batch) and the text.
type badNumber struct {
	row  int
	text string
	err  error
}

// load converts arr to Decimals. Float columns go through DecimalFromFloat
// (CUR 2.0 stores costs as double); decimal, integer and text columns convert
// exactly.
func (c *numColumn) load(arr arrow.Array, scratch *strColumn) *badNumber {
	n := arr.Len()
	if cap(c.vals) < n {
		c.vals, c.valid = make([]valdrix.Decimal, n), make([]bool, n)
	}
	c.vals, c.valid = c.vals[:n], c.valid[:n]
	nulls := arr.NullN() > 0
	for i := 0; i < n; i++ {
		c.valid[i] = !nulls || arr.IsValid(i)
	}
	switch a := arr.(type) {
	case *array.Float64:
		for i, f := range a.Float64Values() {
			if !c.valid[i] {
				c.vals[i] = 0
				continue
			}
			d, ok := valdrix.DecimalFromFloat(f)
			if !ok {
				return &badNumber{row: i, text: strconv.FormatFloat(f, 'g', -1, 64), err: valdrix.ErrDecimalRange}
			}
			c.vals[i] = d
		}
	case *array.Float32:
		for i, f := range a.Float32Values() {
			if !c.valid[i] {
				c.vals[i] = 0
				continue
			}
			d, ok := valdrix.DecimalFromFloat(float64(f))
			if !ok {
				return &badNumber{row: i, text: strconv.FormatFloat(float64(f), 'g', -1, 32), err: valdrix.ErrDecimalRange}
			}
			c.vals[i] = d
		}
	case *array.Int64:
		for i, v := range a.Int64Values() {
			d, ok := valdrix.Decimal(v).MulRatio(valdrix.DecimalScale, 1)
			if c.valid[i] && !ok {
				return &badNumber{row: i, text: strconv.FormatInt(v, 10), err: valdrix.ErrDecimalRange}
			}
			c.vals[i] = d
		}
	case *array.Int32:
		for i, v := range a.Int32Values() {
			c.vals[i] = valdrix.Decimal(int64(v) * valdrix.DecimalScale)
		}
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		for i := 0; i < n; i++ {
			if !c.valid[i] {
				c.vals[i] = 0
				continue
			}
			d, ok := decimalFrom128(a.Value(i), scale)
			if !ok {
				return &badNumber{row: i, text: a.ValueStr(i), err: valdrix.ErrDecimalRange}
			}
			c.vals[i] = d
		}
	default:
		// Text (or anything else): parse each distinct value once.
		scratch.load(arr)
		parsed := make([]valdrix.Decimal, len(scratch.dict))
		for j, s := range scratch.dict {
			if s = strings.TrimSpace(s); s == "" || s == "NULL" || s == "null" {
				scratch.dict[j] = ""
				continue
			}
			d, err := valdrix.ParseDecimal(s)
			if err != nil {
				for i, code := range scratch.codes {
					if code == int32(j) {
						return &badNumber{row: i, text: s, err: err}
					}
				}
			}
			parsed[j] = d
		}
		for i, code := range scratch.codes {
			if code < 0 {
				c.valid[i], c.vals[i] = false, 0
				continue
			}
			if scratch.dict[code] == "" {
				c.valid[i], c.vals[i] = false, 0
				continue
			}
			c.vals[i] = parsed[code]
		}
	}
	return nil
}

// decimalFrom128 converts a decimal128 with the given scale to a Decimal,
// rounding half away from zero beyond nine places.
func decimalFrom128(n decimal128.Num, scale int32) (valdrix.Decimal, bool) {
	b := n.BigInt()
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

// dayColumn converts a timestamp, date or text column to charge days.
// It reports the first row whose value is null or unparseable.
func dayColumn(arr arrow.Array, out []valdrix.Date, cache *dayCache, scratch *strColumn) (bad int, text string, err error) {
	n := arr.Len()
	for i := 0; i < n; i++ {
		if arr.IsNull(i) {
			return i, "", errorf("charge date is empty")
		}
	}
	switch a := arr.(type) {
	case *array.Timestamp:
		per := unitsPerDay(a.DataType().(*arrow.TimestampType).Unit)
		for i, v := range a.TimestampValues() {
			out[i] = valdrix.Date(floorDiv(int64(v), per))
		}
	case *array.Date32:
		for i, v := range a.Date32Values() {
			out[i] = valdrix.Date(v)
		}
	case *array.Date64:
		for i, v := range a.Date64Values() {
			out[i] = valdrix.Date(floorDiv(int64(v), 86_400_000))
		}
	default:
		scratch.load(arr)
		days := make([]valdrix.Date, len(scratch.dict))
		for j, s := range scratch.dict {
			d, err := cache.day(s)
			if err != nil {
				for i, code := range scratch.codes {
					if code == int32(j) {
						return i, s, err
					}
				}
			}
			days[j] = d
		}
		for i, code := range scratch.codes {
			out[i] = days[code]
		}
	}
	for i := 0; i < n; i++ {
		if out[i] < -719162 || out[i] > 2932896 { // outside years 1..9999
			return i, "", errorf("charge date is out of range")
		}
	}
	return -1, "", nil
}

func unitsPerDay(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 86_400
	case arrow.Millisecond:
		return 86_400_000
	case arrow.Microsecond:
		return 86_400_000_000
	}
	return 86_400_000_000_000
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
