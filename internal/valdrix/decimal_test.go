package valdrix_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestParseDecimal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    valdrix.Decimal
		wantErr bool
	}{
		{name: "integer", in: "12", want: 12 * valdrix.DecimalScale},
		{name: "fraction", in: "1.602309", want: 1_602_309_000},
		{name: "negative", in: "-0.08", want: -80_000_000},
		{name: "plus sign", in: "+3.5", want: 3_500_000_000},
		{name: "leading dot", in: ".5", want: 500_000_000},
		{name: "trailing dot", in: "7.", want: 7 * valdrix.DecimalScale},
		{name: "nine places", in: "0.000000001", want: 1},
		{name: "rounds half up beyond nine places", in: "0.0000000015", want: 2},
		{name: "rounds down beyond nine places", in: "0.0000000014", want: 1},
		{name: "exponent", in: "1.2E-7", want: 120},
		{name: "positive exponent", in: "1.5e3", want: 1500 * valdrix.DecimalScale},
		{name: "spaces", in: " 4.25 ", want: 4_250_000_000},
		{name: "largest", in: "9223372036.854775807", want: math.MaxInt64},
		{name: "too large", in: "9223372037", wantErr: true},
		{name: "empty is not zero", in: "", wantErr: true},
		{name: "letters", in: "12a", wantErr: true},
		{name: "only sign", in: "-", wantErr: true},
		{name: "two dots", in: "1.2.3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := valdrix.ParseDecimal(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDecimalString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    valdrix.Decimal
		want  string
		fixed string
	}{
		{name: "zero", in: 0, want: "0", fixed: "0.00"},
		{name: "integer", in: 12 * valdrix.DecimalScale, want: "12", fixed: "12.00"},
		{name: "trims zeros", in: 1_602_309_000, want: "1.602309", fixed: "1.60"},
		{name: "negative", in: -80_000_000, want: "-0.08", fixed: "-0.08"},
		{name: "rounds half away from zero", in: 5_000_000, want: "0.005", fixed: "0.01"},
		{name: "negative rounding", in: -5_000_000, want: "-0.005", fixed: "-0.01"},
		{name: "smallest", in: 1, want: "0.000000001", fixed: "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.in.String())
			require.Equal(t, tt.fixed, tt.in.StringFixed(2))
			back, err := valdrix.ParseDecimal(tt.in.String())
			require.NoError(t, err)
			require.Equal(t, tt.in, back)
		})
	}
}

func TestDecimalArithmetic(t *testing.T) {
	t.Parallel()
	d := func(s string) valdrix.Decimal {
		v, err := valdrix.ParseDecimal(s)
		require.NoError(t, err)
		return v
	}
	sum, ok := d("0.1").Add(d("0.2"))
	require.True(t, ok)
	require.Equal(t, d("0.3"), sum)

	_, ok = valdrix.Decimal(math.MaxInt64).Add(1)
	require.False(t, ok, "overflow must be reported")
	_, ok = valdrix.Decimal(math.MinInt64).Add(-1)
	require.False(t, ok)

	p, ok := d("10.00").MulRatio(4, 5) // gp2 → gp3 is 20 % cheaper
	require.True(t, ok)
	require.Equal(t, d("8"), p)

	p, ok = d("1").MulRatio(1, 3)
	require.True(t, ok)
	require.Equal(t, d("0.333333333"), p)
	p, ok = d("2").MulRatio(1, 3)
	require.True(t, ok)
	require.Equal(t, d("0.666666667"), p)
	p, ok = d("-2").MulRatio(1, 3)
	require.True(t, ok)
	require.Equal(t, d("-0.666666667"), p)

	m, ok := d("1.5").Mul(d("2.5"))
	require.True(t, ok)
	require.Equal(t, d("3.75"), m)
	q, ok := d("30").Div(d("7"))
	require.True(t, ok)
	require.Equal(t, d("4.285714286"), q)
	_, ok = d("1").Div(0)
	require.False(t, ok)
	_, ok = valdrix.Decimal(math.MaxInt64).MulRatio(2, 1)
	require.False(t, ok)
}

func TestDecimalFromFloat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
		ok   bool
	}{
		{in: 0.0416, want: "0.0416", ok: true},
		{in: 1e-7, want: "0.0000001", ok: true},
		{in: -12.5, want: "-12.5", ok: true},
		{in: 123456789.123, want: "123456789.123", ok: true},
		{in: math.NaN(), ok: false},
		{in: math.Inf(1), ok: false},
		{in: 1e12, ok: false},
	}
	for _, tt := range tests {
		got, ok := valdrix.DecimalFromFloat(tt.in)
		require.Equal(t, tt.ok, ok, "%v", tt.in)
		if ok {
			require.Equal(t, tt.want, got.String())
		}
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-0.000000001", "1e-7", "9223372036.854775807", "", "abc", ".", "1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := valdrix.ParseDecimal(s)
		if err != nil {
			return
		}
		// Whatever parses must print and parse back to the same value.
		back, err := valdrix.ParseDecimal(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %v → %q → %v (%v)", s, d, d.String(), back, err)
		}
	})
}
