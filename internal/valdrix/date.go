package valdrix

import (
	"fmt"
	"time"
)

// Date is a calendar day in UTC, held as days since 1970-01-01.
type Date int32

// DateOf returns the UTC calendar day of t.
func DateOf(t time.Time) Date {
	return Date(t.UTC().Unix() / 86400)
}

// NewDate returns the given calendar day.
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// ParseDate parses "YYYY-MM-DD"; field names the input for errors.
func ParseDate(field, s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, FieldError(field, "%q is not a date (want YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// Time returns midnight UTC at the start of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// AddDays returns d + n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Month returns the calendar month containing d.
func (d Date) Month() Month {
	t := d.Time()
	return NewMonth(t.Year(), t.Month())
}

// String returns "YYYY-MM-DD".
func (d Date) String() string { return d.Time().Format(time.DateOnly) }

// MarshalText encodes d as "YYYY-MM-DD".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate("date", string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Month is a calendar month (a billing period), held as year×12 + month−1.
type Month int32

// NewMonth returns the given month.
func NewMonth(year int, month time.Month) Month { return Month(year*12 + int(month) - 1) }

// MonthOf returns the UTC month containing t.
func MonthOf(t time.Time) Month {
	t = t.UTC()
	return NewMonth(t.Year(), t.Month())
}

// ParseMonth parses "YYYY-MM"; field names the input for errors.
func ParseMonth(field, s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, FieldError(field, "%q is not a month (want YYYY-MM)", s)
	}
	return MonthOf(t), nil
}

// Year returns the month's year.
func (m Month) Year() int { return int(m) / 12 }

// CalendarMonth returns the month of the year.
func (m Month) CalendarMonth() time.Month { return time.Month(int(m)%12 + 1) }

// Start returns the first day of the month.
func (m Month) Start() Date { return NewDate(m.Year(), m.CalendarMonth(), 1) }

// End returns the first day of the next month (exclusive end).
func (m Month) End() Date { return (m + 1).Start() }

// Days returns the number of days in the month.
func (m Month) Days() int { return int(m.End() - m.Start()) }

// String returns "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year(), int(m.CalendarMonth())) }

// MarshalText encodes m as "YYYY-MM".
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText parses "YYYY-MM".
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth("month", string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}
