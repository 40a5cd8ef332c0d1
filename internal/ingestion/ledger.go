package ingestion

import (
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Optional metrics that a source may not carry. Missing is never zero: a row
// records which of these it lacks in LedgerRow.Missing.
const (
	MissingListCost Missing = 1 << iota
	MissingContractedCost
	MissingConsumedQuantity
	MissingPricingQuantity
	MissingVCPUs
)

// Missing is a bit set of the optional metrics a ledger row does not have.
type Missing uint8

// Has reports whether the metric bit m is present (not missing).
func (m Missing) Has(bit Missing) bool { return m&bit == 0 }

// LedgerRow is one row of the ledger: the sum of every billing line of one
// charge day that shares the natural key (every field except the metrics,
// LineCount and Missing). Column names follow FOCUS 1.2; provider-specific
// columns carry the x_ prefix in exports.
type LedgerRow struct {
	ChargeDay     valdrix.Date
	BillingPeriod valdrix.Month
	Provider      valdrix.Provider

	BillingAccountID   string
	BillingAccountName string
	SubAccountID       string // AWS usage account, Azure subscription, GCP project
	SubAccountName     string

	ServiceName     string
	ServiceCategory string // FOCUS ServiceCategory, e.g. "Compute", "Storage"

	RegionID         string
	AvailabilityZone string

	ResourceID   string // as billed: CUR line_item_resource_id, Azure ResourceId, GCP resource.global_name
	ResourceName string
	ResourceType string

	SkuID        string
	InstanceType string // compute instance or machine type when the source names one
	UsageType    string // x_UsageType: CUR line_item_usage_type, Azure meter, GCP SKU description
	Operation    string // x_Operation: CUR line_item_operation, Azure meter subcategory

	ChargeCategory  string // Usage, Purchase, Tax, Credit, Adjustment
	ChargeClass     string // "" or Correction
	ChargeFrequency string // One-Time, Recurring, Usage-Based
	PricingCategory string // Standard, Dynamic, Committed, Other

	PricingUnit  string
	ConsumedUnit string

	BillingCurrency string // ISO 4217

	CommitmentDiscountID      string
	CommitmentDiscountStatus  string // Used, Unused
	CommitmentDiscountType    string
	CapacityReservationID     string
	CapacityReservationStatus string // Used, Unused

	// Tags is the canonical JSON object of the row's tags (keys sorted), or ""
	// when the line has none.
	Tags string
	// Extensions is the canonical JSON object of provider x_ columns kept from
	// the source (keys sorted), or "".
	Extensions string

	// Metrics. Costs are in BillingCurrency.
	ConsumedQuantity valdrix.Decimal
	PricingQuantity  valdrix.Decimal
	BilledCost       valdrix.Decimal
	EffectiveCost    valdrix.Decimal
	ListCost         valdrix.Decimal
	ContractedCost   valdrix.Decimal

	// VCPUs is the vCPU count of InstanceType as the source states it (not a
	// sum): part of the row's identity, like InstanceType. MissingVCPUs is set
	// when the source does not state it.
	VCPUs valdrix.Decimal

	// LineCount is the number of source lines summed into this row.
	LineCount int64
	// Missing records optional metrics that no source line carried.
	Missing Missing
}
