package ingestion

import (
	"errors"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

// parseTime parses a timestamp or date from a billing file: ISO 8601/RFC 3339
// with or without zone ("2024-09-01T00:00:00Z", "2024-09-01T00:00:00.0000000"),
// "2024-09-01 07:00:00 UTC" (BigQuery), a bare date, Azure's "MM/DD/YYYY"
// (optionally with a time), or CUR manifest "20240901T000000.000Z". Times
// without a zone are UTC.
func parseTime(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	if len(t) >= 10 && t[4] == '-' && t[7] == '-' {
		if len(t) == 10 || (len(t) == 20 && t[10] == 'T' && t[19] == 'Z') || strings.HasSuffix(t, ".000Z") {
			if d, ok := fastDate(t); ok {
				return d.Time().Add(fastClock(t)), nil
			}
		}
	}
	if strings.IndexByte(t, '/') > 0 {
		return parseSlashDate(t)
	}
	t = strings.TrimSuffix(t, " UTC")
	// The timestamp shapes billing exports use, tried after the fast paths.
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04:05 MST",
		"20060102T150405.000Z",
		"20060102T150405Z",
		"20060102",
		"2006-01",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
	}
	for _, l := range layouts {
		if v, err := time.Parse(l, t); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, errorf("%q is not a date or timestamp", s)
}

// fastDate parses the "YYYY-MM-DD" prefix.
func fastDate(t string) (valdrix.Date, bool) {
	y, ok1 := atoiN(t[0:4])
	m, ok2 := atoiN(t[5:7])
	d, ok3 := atoiN(t[8:10])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return valdrix.NewDate(y, time.Month(m), d), true
}

// fastClock parses "THH:MM:SS" at offset 10 of a UTC timestamp, or 0.
func fastClock(t string) time.Duration {
	if len(t) < 19 || t[10] != 'T' {
		return 0
	}
	h, _ := atoiN(t[11:13])
	m, _ := atoiN(t[14:16])
	s, _ := atoiN(t[17:19])
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func atoiN(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, len(s) > 0
}

// parseSlashDate parses Azure's "M/D/YYYY" with an optional time.
func parseSlashDate(t string) (time.Time, error) {
	date, rest, _ := strings.Cut(t, " ")
	parts := strings.Split(date, "/")
	if len(parts) != 3 {
		return time.Time{}, errorf("%q is not a date (want MM/DD/YYYY)", t)
	}
	m, ok1 := atoiN(parts[0])
	d, ok2 := atoiN(parts[1])
	y, ok3 := atoiN(parts[2])
	if !ok1 || !ok2 || !ok3 || len(parts[2]) != 4 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return time.Time{}, errorf("%q is not a date (want MM/DD/YYYY)", t)
	}
	v := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if rest = strings.TrimSpace(rest); rest != "" {
		for _, l := range [...]string{"15:04:05", "15:04", "3:04:05 PM", "3:04 PM"} {
			if c, err := time.Parse(l, rest); err == nil {
				return v.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute + time.Duration(c.Second())*time.Second), nil
			}
		}
		return time.Time{}, errorf("%q is not a date and time", t)
	}
	return v, nil
}

// dayCache parses charge-day text once per distinct value.
type dayCache struct {
	m map[string]valdrix.Date
}

func (c *dayCache) day(s string) (valdrix.Date, error) {
	if d, ok := c.m[s]; ok {
		return d, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return 0, err
	}
	d := valdrix.DateOf(t)
	if c.m == nil {
		c.m = map[string]valdrix.Date{}
	}
	if len(c.m) < 1<<16 {
		c.m[strings.Clone(s)] = d
	}
	return d, nil
}

func monthOf(m int) time.Month { return time.Month(m) }
