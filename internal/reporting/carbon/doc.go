// Package carbon estimates the energy (kWh) and emissions (kgCO2e) behind
// ledger rows with the Cloud Carbon Footprint (CCF) method: usage from the
// billing export (vCPU-hours, GB-hours, TB-hours, GB) times CCF's energy
// coefficients, the provider's PUE and the region's grid emission factor, plus
// embodied (manufacturing) emissions for compute.
//
// The coefficient tables are embedded (data/, Apache-2.0 tables from
// cloud-carbon-footprint, see data/README.md), parsed once on first use, and
// versioned by CoefficientsVersion so that a stored figure can be recomputed
// with the same numbers. Every Estimate carries the coefficients it used and
// their sources. Usage that the method cannot classify is reported as
// KindUnknown with a reason, never as zero emissions; CCF's kWh-per-cost /
// kWh-per-unit fallback is a separate, opt-in path (RatioFallback).
//
// docs/carbon.md describes the method, every coefficient's source and the
// places where Valdrix follows or departs from CCF.
//
// The package does no I/O. It imports valdrix and ingestion (for LedgerRow)
// and the standard library; never store, api, app or cloud adapters.
package carbon
