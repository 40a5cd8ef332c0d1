package carbon

import (
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// MonthDays is the month length resource-month figures are normalised to:
// 30.44 days (365.25 / 12, rounded to two places).
const MonthDays = valdrix.Decimal(30_440_000_000)

// Window is a range of charge days, Start inclusive and End exclusive.
type Window struct {
	Start, End valdrix.Date
}

// Days returns the number of days in the window.
func (w Window) Days() int { return int(w.End - w.Start) }

// Contains reports whether d is in the window.
func (w Window) Contains(d valdrix.Date) bool { return d >= w.Start && d < w.End }

// ResourceMonth is a resource's footprint over a window, normalised to a
// month of MonthDays days: what the resource emits per month if it keeps
// running as it did (for a waste finding's CO2e).
type ResourceMonth struct {
	ResourceID string
	Window     Window

	// Per month: window sums × 30.44 / window days. Only estimated rows
	// count; see Complete.
	KWh           valdrix.Decimal
	OperationalKg valdrix.Decimal
	EmbodiedKg    valdrix.Decimal
	TotalKg       valdrix.Decimal

	// WindowKWh and WindowTotalKg are the sums over the window.
	WindowKWh     valdrix.Decimal
	WindowTotalKg valdrix.Decimal

	// Rows counts the rows in the window: EstimatedRows have figures,
	// UnknownRows carry usage the method could not estimate (Reasons counts
	// them by reason), NotUsageRows carry none (tax, credits, fees).
	Rows          int
	EstimatedRows int
	UnknownRows   int
	NotUsageRows  int
	Reasons       map[Reason]int

	// Complete is true when every usage row was estimated, so the figures
	// are not an undercount.
	Complete bool
	Version  string
}

// ResourceMonth estimates a resource's rows over a window and normalises the
// sum to kgCO2e per month. Rows outside the window are ignored; rows of more
// than one resource are an error, as is an empty window.
func (e *Estimator) ResourceMonth(rows []ingestion.LedgerRow, w Window) (ResourceMonth, error) {
	if w.Days() <= 0 {
		return ResourceMonth{}, valdrix.FieldError("window", "window %s..%s is empty", w.Start, w.End)
	}
	rm := ResourceMonth{Window: w, Reasons: map[Reason]int{}, Version: CoefficientsVersion}
	var kwh, op, emb valdrix.Decimal
	for i, row := range rows {
		if !w.Contains(row.ChargeDay) {
			continue
		}
		if rm.Rows == 0 {
			rm.ResourceID = row.ResourceID
		} else if row.ResourceID != rm.ResourceID {
			return ResourceMonth{}, valdrix.FieldError("rows", "row %d belongs to resource %q, not %q", i, row.ResourceID, rm.ResourceID)
		}
		rm.Rows++
		est, err := e.EstimateRow(row)
		if err != nil {
			return ResourceMonth{}, err
		}
		switch {
		case est.Known():
			rm.EstimatedRows++
			if !addAll(addend{&kwh, est.KWh}, addend{&op, est.OperationalKg}, addend{&emb, est.EmbodiedKg}) {
				return ResourceMonth{}, valdrix.Errorf(valdrix.EINVALID, "the footprint of resource %q overflows", rm.ResourceID)
			}
		case est.ReasonCode == ReasonNotUsage:
			rm.NotUsageRows++
		default:
			rm.UnknownRows++
			rm.Reasons[est.ReasonCode]++
		}
	}
	total, ok := op.Add(emb)
	if !ok {
		return ResourceMonth{}, valdrix.Errorf(valdrix.EINVALID, "the footprint of resource %q overflows", rm.ResourceID)
	}
	rm.WindowKWh, rm.WindowTotalKg = kwh, total
	rm.Complete = rm.UnknownRows == 0
	den := int64(w.Days()) * valdrix.DecimalScale
	for _, p := range []struct {
		dst *valdrix.Decimal
		v   valdrix.Decimal
	}{{&rm.KWh, kwh}, {&rm.OperationalKg, op}, {&rm.EmbodiedKg, emb}} {
		v, ok := p.v.MulRatio(int64(MonthDays), den)
		if !ok {
			return ResourceMonth{}, valdrix.Errorf(valdrix.EINVALID, "the monthly footprint of resource %q overflows", rm.ResourceID)
		}
		*p.dst = v
	}
	if rm.TotalKg, ok = rm.OperationalKg.Add(rm.EmbodiedKg); !ok {
		return ResourceMonth{}, valdrix.Errorf(valdrix.EINVALID, "the monthly footprint of resource %q overflows", rm.ResourceID)
	}
	return rm, nil
}
