package carbon

import (
	"strings"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// RatioFallback is CCF's estimate for usage it cannot classify
// (packages/core UnknownEstimator), offered only as an explicit opt-in: it
// learns kWh per unit from the rows that were estimated from usage — per
// dollar (billing currency) for AWS, per usage unit for Azure and GCP — for
// the same service and unit, else for the provider as a whole, and applies
// that ratio to an unknown row's cost or quantity. Results have MethodRatio so
// they are never mistaken for usage-based figures.
//
// Learn from every row of a period first, then call Estimator.EstimateRatio.
// A RatioFallback is not safe for concurrent use.
type RatioFallback struct {
	ratios map[ratioKey]*ratioSum
}

type ratioKey struct {
	provider valdrix.Provider
	service  string // "" for the provider-wide ratio
	basis    string // "cost:<currency>" or "unit:<unit>"
}

type ratioSum struct {
	kwh, basis valdrix.Decimal
}

// NewRatioFallback returns an empty RatioFallback.
func NewRatioFallback() *RatioFallback {
	return &RatioFallback{ratios: map[ratioKey]*ratioSum{}}
}

// ratioBasis returns what the ratio of a row is per: cost for AWS, usage
// quantity for Azure and GCP.
func ratioBasis(u Usage) (basis string, amount valdrix.Decimal, ok bool) {
	if u.Provider == valdrix.AWS {
		return "cost:" + u.Currency, u.Cost, u.Cost > 0
	}
	return "unit:" + strings.ToLower(strings.TrimSpace(u.Unit)), u.Quantity, u.HasQuantity && u.Quantity > 0
}

// Learn records a usage-based estimate. Other estimates are ignored.
func (f *RatioFallback) Learn(u Usage, est Estimate) error {
	if est.Method != MethodUsage {
		return nil
	}
	basis, amount, ok := ratioBasis(u)
	if !ok {
		return nil
	}
	for _, svc := range []string{u.Service, ""} {
		k := ratioKey{provider: u.Provider, service: svc, basis: basis}
		s := f.ratios[k]
		if s == nil {
			s = &ratioSum{}
			f.ratios[k] = s
		}
		if !addAll(addend{&s.kwh, est.KWh}, addend{&s.basis, amount}) {
			return valdrix.Errorf(valdrix.EINVALID, "the ratio fallback of %s %s overflows", u.Provider, svc)
		}
	}
	return nil
}

// LearnRow is Learn for a ledger row.
func (f *RatioFallback) LearnRow(row ingestion.LedgerRow, est Estimate) error {
	u, err := UsageFromLedger(row)
	if err != nil {
		return err
	}
	return f.Learn(u, est)
}

// EstimateRatio estimates u from usage and, when that finds no coefficient
// (unknown usage type, unit or instance), from the fallback's ratios. Rows
// that carry no usage, are out of scope or are deliberately unsupported are
// returned as Estimate does.
func (e *Estimator) EstimateRatio(u Usage, f *RatioFallback) (Estimate, error) {
	est, err := e.Estimate(u)
	if err != nil || est.Known() {
		return est, err
	}
	switch est.ReasonCode {
	case ReasonUnknownUsage, ReasonUnknownUnit, ReasonUnknownInstance:
	default:
		return est, nil
	}
	basis, amount, ok := ratioBasis(u)
	if !ok {
		est.Reason += "; no ratio fallback: the row has no positive " + strings.SplitN(basis, ":", 2)[0]
		return est, nil
	}
	scope := "service " + u.Service
	s := f.ratios[ratioKey{provider: u.Provider, service: u.Service, basis: basis}]
	if s == nil || s.basis <= 0 {
		scope = "all " + string(u.Provider) + " services"
		s = f.ratios[ratioKey{provider: u.Provider, basis: basis}]
	}
	if s == nil || s.basis <= 0 {
		est.ReasonCode = ReasonNoRatio
		est.Reason += "; no estimated row with the same " + basis + " to learn a ratio from"
		return est, nil
	}
	ratio := s.kwh.Float64() / s.basis.Float64()
	grid := e.t.grid(u.Provider, u.Region, e.cfg.GCPCarbonFreeEnergy)
	kwh := ratio * amount.Float64()
	out := Estimate{
		Kind:       KindUnknown,
		Method:     MethodRatio,
		ReasonCode: est.ReasonCode,
		Reason:     est.Reason + "; estimated by CCF's ratio fallback",
		Inputs:     est.Inputs,
		Coefficients: Coefficients{
			Region: grid.key, GridTCO2ePerKWh: grid.tPerKWh, GridSource: grid.source, GridFallback: grid.fallback,
			RatioKWhPerUnit: ratio, RatioScope: "kWh per " + basis + " over " + scope,
		},
		Version: CoefficientsVersion,
	}
	out.Inputs.RatioBasis = amount.Float64()
	var ok1, ok2 bool
	out.KWh, ok1 = valdrix.DecimalFromFloat(kwh)
	out.OperationalKg, ok2 = valdrix.DecimalFromFloat(kwh * grid.tPerKWh * 1000)
	if !ok1 || !ok2 {
		return Estimate{}, valdrix.Errorf(valdrix.EINVALID, "the ratio estimate of usage type %q is out of range", u.UsageType)
	}
	out.TotalKg = out.OperationalKg
	return out, nil
}

// EstimateRowRatio is EstimateRatio for a ledger row.
func (e *Estimator) EstimateRowRatio(row ingestion.LedgerRow, f *RatioFallback) (Estimate, error) {
	u, err := UsageFromLedger(row)
	if err != nil {
		return Estimate{}, err
	}
	return e.EstimateRatio(u, f)
}
