package ingestion

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// FOCUS dimension slots. The reader accepts FOCUS 1.0, 1.1 and 1.2 column
// names (and 1.3's ServiceProviderName) from any provider, CSV or Parquet.
const (
	fcBillingAccount = iota
	fcBillingAccountName
	fcSubAccount
	fcSubAccountName
	fcProvider
	fcServiceName
	fcServiceCategory
	fcRegion
	fcZone
	fcResource
	fcResourceName
	fcResourceType
	fcSku
	fcChargeCategory
	fcChargeClass
	fcChargeFrequency
	fcPricingCategory
	fcPricingUnit
	fcConsumedUnit
	fcCurrency
	fcCommitmentID
	fcCommitmentStatus
	fcCommitmentType
	fcCapacityID
	fcCapacityStatus
	fcTags
	fcUsageType
	fcOperation
	fcVCPUs
	fcSkuVCPUs
	fcInstance
	fcExt
	fcDims
)

// FOCUS metric slots.
const (
	fcBilled = iota
	fcEffective
	fcList
	fcContracted
	fcConsumedQty
	fcPricingQty
	fcMetrics
)

func focusSpec() *tableSpec {
	d := make([]dimSpec, fcDims)
	str := func(label string, required bool, ns ...string) dimSpec {
		return dimSpec{label: label, names: names(append([]string{label}, ns...)...), required: required}
	}
	d[fcBillingAccount] = str("BillingAccountId", true)
	d[fcBillingAccountName] = str("BillingAccountName", false)
	d[fcSubAccount] = str("SubAccountId", false)
	d[fcSubAccountName] = str("SubAccountName", false)
	d[fcProvider] = str("ServiceProviderName", false, "ProviderName", "Provider")
	d[fcServiceName] = str("ServiceName", false)
	d[fcServiceCategory] = str("ServiceCategory", false)
	d[fcRegion] = str("RegionId", false, "Region")
	d[fcZone] = str("AvailabilityZone", false)
	d[fcResource] = str("ResourceId", false)
	d[fcResourceName] = str("ResourceName", false)
	d[fcResourceType] = str("ResourceType", false)
	d[fcSku] = str("SkuId", false)
	d[fcChargeCategory] = str("ChargeCategory", true, "ChargeType")
	d[fcChargeCategory].check = checkChargeCategory
	d[fcChargeClass] = str("ChargeClass", false)
	d[fcChargeFrequency] = str("ChargeFrequency", false)
	d[fcPricingCategory] = str("PricingCategory", false)
	d[fcPricingUnit] = str("PricingUnit", false)
	d[fcConsumedUnit] = str("ConsumedUnit", false)
	d[fcCurrency] = str("BillingCurrency", true)
	d[fcCurrency].check = checkCurrency
	d[fcCommitmentID] = str("CommitmentDiscountId", false)
	d[fcCommitmentStatus] = str("CommitmentDiscountStatus", false)
	d[fcCommitmentType] = str("CommitmentDiscountType", false)
	d[fcCapacityID] = str("CapacityReservationId", false)
	d[fcCapacityStatus] = str("CapacityReservationStatus", false)
	d[fcTags] = dimSpec{label: "Tags", names: names("Tags"), kind: slotObject}
	d[fcUsageType] = str("x_UsageType", false, "SkuMeter", "x_SkuMeterName")
	d[fcOperation] = str("x_Operation", false, "x_SkuMeterSubcategory")
	d[fcVCPUs] = dimSpec{label: "x_SkuDetails.VCPUs", names: names("x_SkuDetails"), kind: slotMapValue, mapKey: "VCPUs"}
	d[fcSkuVCPUs] = dimSpec{label: "SkuPriceDetails.CoreCount", names: names("SkuPriceDetails"), kind: slotMapValue, mapKey: "CoreCount"}
	d[fcInstance] = dimSpec{label: "SkuPriceDetails.InstanceType", names: names("SkuPriceDetails"), kind: slotMapValue, mapKey: "InstanceType"}
	d[fcExt] = dimSpec{label: "x_*", kind: slotComposite, match: focusExtension}
	met := func(label string) metricSpec { return metricSpec{label: label, candidates: [][]string{names(label)}} }
	m := make([]metricSpec, fcMetrics)
	m[fcBilled] = met("BilledCost")
	m[fcEffective] = metricSpec{label: "EffectiveCost", candidates: [][]string{names("EffectiveCost", "AmortizedCost")}}
	m[fcList] = met("ListCost")
	m[fcContracted] = met("ContractedCost")
	m[fcConsumedQty] = met("ConsumedQuantity")
	m[fcPricingQty] = met("PricingQuantity")
	return &tableSpec{
		format:   FormatFOCUS,
		day:      dimSpec{label: "ChargePeriodStart", names: names("ChargePeriodStart")},
		period:   dimSpec{label: "BillingPeriodStart", names: names("BillingPeriodStart")},
		dims:     d,
		metrics:  m,
		finalize: finalizeFOCUS,
	}
}

// checkChargeCategory validates FOCUS ChargeCategory values.
func checkChargeCategory(v string) error {
	switch v {
	case "Usage", "Purchase", "Tax", "Credit", "Adjustment":
		return nil
	}
	return errorf("%q is not a FOCUS ChargeCategory (want Usage, Purchase, Tax, Credit or Adjustment)", v)
}

// focusExtension keeps dimension-like x_ columns under their own names.
// Metric-like ones (costs, prices, quantities, amounts, rates) are dropped:
// as key columns they would split every row, and the ledger's metrics are
// the FOCUS ones in the billing currency (x_*InUsd can be recomputed with
// an FX rate). The two that become UsageType/Operation are kept as well.
func focusExtension(h string) (string, bool) {
	if !strings.HasPrefix(h, "x_") && !strings.HasPrefix(h, "X_") {
		return "", false
	}
	if metricLikeExtension(h) {
		return "", false
	}
	return h, true
}

func metricLikeExtension(h string) bool {
	l := strings.ToLower(h)
	for _, w := range [...]string{"cost", "price", "quantity", "amount", "rate", "inusd"} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// focusProvider maps ProviderName values to Valdrix providers; others are
// kept lower-cased (e.g. "oracle").
func focusProvider(name string) valdrix.Provider {
	l := strings.ToLower(name)
	switch {
	case l == "aws" || strings.Contains(l, "amazon"):
		return valdrix.AWS
	case strings.Contains(l, "microsoft") || strings.Contains(l, "azure"):
		return valdrix.Azure
	case strings.Contains(l, "google") || l == "gcp":
		return valdrix.GCP
	}
	return valdrix.Provider(l)
}

// finalizeFOCUS maps one group of FOCUS lines to a ledger row: the columns
// are FOCUS already, so this copies them, fills ServiceCategory where it is
// missing and records missing optional metrics.
func finalizeFOCUS(g *group, row *LedgerRow) error {
	*row = LedgerRow{
		Provider:                  focusProvider(g.dim(fcProvider)),
		BillingAccountID:          g.dim(fcBillingAccount),
		BillingAccountName:        g.dim(fcBillingAccountName),
		SubAccountID:              g.dim(fcSubAccount),
		SubAccountName:            g.dim(fcSubAccountName),
		ServiceName:               g.dim(fcServiceName),
		ServiceCategory:           g.dim(fcServiceCategory),
		RegionID:                  g.dim(fcRegion),
		AvailabilityZone:          g.dim(fcZone),
		ResourceID:                g.dim(fcResource),
		ResourceName:              g.dim(fcResourceName),
		ResourceType:              g.dim(fcResourceType),
		SkuID:                     g.dim(fcSku),
		InstanceType:              g.dim(fcInstance),
		UsageType:                 g.dim(fcUsageType),
		Operation:                 g.dim(fcOperation),
		ChargeCategory:            g.dim(fcChargeCategory),
		ChargeClass:               g.dim(fcChargeClass),
		ChargeFrequency:           g.dim(fcChargeFrequency),
		PricingCategory:           g.dim(fcPricingCategory),
		PricingUnit:               g.dim(fcPricingUnit),
		ConsumedUnit:              g.dim(fcConsumedUnit),
		BillingCurrency:           g.dim(fcCurrency),
		CommitmentDiscountID:      g.dim(fcCommitmentID),
		CommitmentDiscountStatus:  g.dim(fcCommitmentStatus),
		CommitmentDiscountType:    g.dim(fcCommitmentType),
		CapacityReservationID:     g.dim(fcCapacityID),
		CapacityReservationStatus: g.dim(fcCapacityStatus),
		Tags:                      g.dim(fcTags),
		Extensions:                g.dim(fcExt),
	}
	if row.ServiceCategory == "" {
		row.ServiceCategory = "Other"
		if info, ok := g.service(row.Provider, row.ServiceName); ok {
			row.ServiceCategory = info.Category
		}
	}
	vcpu := g.dim(fcVCPUs)
	if vcpu == "" {
		vcpu = g.dim(fcSkuVCPUs)
	}
	setVCPUs(row, vcpu)
	var billedHas, effHas bool
	row.BilledCost, billedHas = g.metric(fcBilled)
	row.EffectiveCost, effHas = g.metric(fcEffective)
	if !billedHas {
		return errorf("BilledCost is empty on every line of %s for resource %q (BilledCost is mandatory in FOCUS)", g.day, row.ResourceID)
	}
	if !effHas {
		// FOCUS 1.0-preview files without EffectiveCost: billed stands in.
		row.EffectiveCost = row.BilledCost
	}
	g.optional(row, &row.ListCost, MissingListCost, fcList)
	g.optional(row, &row.ContractedCost, MissingContractedCost, fcContracted)
	g.optional(row, &row.ConsumedQuantity, MissingConsumedQuantity, fcConsumedQty)
	g.optional(row, &row.PricingQuantity, MissingPricingQuantity, fcPricingQty)
	return nil
}
