package carbon

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// unitKind is what a billing unit measures.
type unitKind int

const (
	unitUnknown   unitKind = iota
	unitTime               // hours, seconds, vCPU-hours: quantity is a duration (of something counted)
	unitDataTime           // GB-months, GB-hours, byte-seconds: quantity is data held over time
	unitData               // GB, bytes: quantity is data moved
	unitCountTime          // "1/Month", "Units/Day": quantity is unit-months or unit-days
)

// unit is a parsed billing unit. Conversions follow CCF's common/helpers
// (convertGigabyteMonthsToTerabyteHours, convertByteSecondsToTerabyteHours,
// convertBytesToGigabytes, ...): decimal for GB→TB (÷1000), binary for bytes
// (÷2^30 to GB, ÷2^40 to TB) and therefore for GiB (÷1024 to TB).
type unit struct {
	kind unitKind
	// counted names what a time unit counts ("vcpu", "acu", "dpu"), "" for
	// plain durations.
	counted string
	// hours is the hours in one time step of the unit (1/3600 for seconds);
	// monthly is set instead when the step is a calendar month.
	hours   float64
	monthly bool
	// gb and tb are one data step in GB (memory, network) and TB (storage).
	gb, tb float64
}

// parseUnit reads a billing unit as exports spell it: CUR "Hrs", "GB-Mo",
// "vCPU-Hours"; Azure "1 Hour", "10 GB/Month", "1/Month"; GCP "seconds",
// "byte-seconds", "gibibyte month"; FOCUS "Hours", "GB-Months". A leading block
// size ("10 Hours") is ignored: billing quantities are in single units and the
// block only scales the price.
func parseUnit(s string) unit {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimLeft(s, "0123456789. ")
	s = strings.TrimPrefix(s, "lambda-")
	if s == "" {
		return unit{}
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '/' || r == ' ' })
	if strings.HasPrefix(s, "/") {
		fields = append([]string{""}, fields...)
	}
	switch len(fields) {
	case 1:
		if u, ok := timeStep(fields[0]); ok {
			u.kind = unitTime
			return u
		}
		if gb, tb, ok := dataStep(fields[0]); ok {
			return unit{kind: unitData, gb: gb, tb: tb}
		}
		if fields[0] == "month" || fields[0] == "months" || fields[0] == "day" || fields[0] == "days" {
			u, _ := timeStep(fields[0])
			u.kind = unitCountTime
			return u
		}
	case 2:
		what, when := fields[0], fields[1]
		u, ok := timeStep(when)
		if !ok {
			return unit{}
		}
		if gb, tb, ok := dataStep(what); ok {
			u.kind, u.gb, u.tb = unitDataTime, gb, tb
			return u
		}
		switch what {
		case "", "unit", "units", "count":
			u.kind = unitCountTime
			return u
		case "vcpu", "cpu", "core", "acu", "dpu", "instance", "node":
			u.kind, u.counted = unitTime, what
			return u
		}
	}
	return unit{}
}

// timeStep parses the time part of a unit.
func timeStep(s string) (unit, bool) {
	switch s {
	case "hrs", "hr", "hour", "hours", "h":
		return unit{hours: 1}, true
	case "seconds", "second", "secs", "sec", "s":
		return unit{hours: 1.0 / 3600}, true
	case "minutes", "minute", "min", "mins":
		return unit{hours: 1.0 / 60}, true
	case "day", "days":
		return unit{hours: 24}, true
	case "mo", "mp", "month", "months":
		return unit{monthly: true}, true
	}
	return unit{}, false
}

// dataStep parses the data part of a unit into GB and TB per step.
func dataStep(s string) (gb, tb float64, ok bool) {
	const gib, tib = 1 << 30, 1 << 40
	switch s {
	case "gb", "gigabyte", "gigabytes":
		return 1, 1.0 / 1000, true
	case "gib", "gibibyte", "gibibytes":
		return 1, 1.0 / 1024, true
	case "tb", "terabyte", "terabytes":
		return 1000, 1, true
	case "tib", "tebibyte", "tebibytes":
		return 1024, 1, true
	case "byte", "bytes":
		return 1.0 / gib, 1.0 / tib, true
	}
	return 0, 0, false
}

// stepHours returns the hours in one time step of u on the given day: a month
// step has the calendar month's hours (CCF uses the billing row's month).
func (u unit) stepHours(day valdrix.Date) float64 {
	if u.monthly {
		return float64(24 * day.Month().Days())
	}
	return u.hours
}
