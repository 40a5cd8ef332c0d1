package ingestion

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// AWS Cost and Usage Report dimension slots, shared by CUR 2.0 and the legacy
// CUR: header normalisation makes "lineItem/UsageType" (legacy CSV),
// "line_item_usage_type" (legacy Parquet and CUR 2.0) the same column.
const (
	curPayer = iota
	curPayerName
	curAccount
	curAccountName
	curType
	curProduct
	curUsageType
	curOperation
	curResource
	curRegion
	curAZ
	curCurrency
	curSku
	curInstance
	curFamily
	curUnit
	curTerm
	curPurchaseOption
	curRIArn
	curSPArn
	curTags
	curVCPU
	curProductName
	curServiceCode
	curDims
)

// AWS metric slots.
const (
	curBilled        = iota // COALESCE(net unblended, unblended)
	curUnblended            // line_item_unblended_cost
	curRIEffective          // reservation_effective_cost
	curSPEffective          // savings_plan_savings_plan_effective_cost
	curSPTotal              // savings_plan_total_commitment_to_date
	curSPUsed               // savings_plan_used_commitment
	curRIUnusedAmort        // reservation_unused_amortized_upfront_fee_for_billing_period
	curRIUnusedRecur        // reservation_unused_recurring_fee
	curList                 // pricing_public_on_demand_cost
	curUsage                // line_item_usage_amount
	curPricingQty           // reservation_total_reserved_units, else usage amount
	curMetrics
)

// curSpec returns the table spec of the CUR 2.0 (legacy=false) or legacy CUR
// (legacy=true) layout. They differ only in where tags, vCPUs and the product
// name live: CUR 2.0 has the resource_tags and product maps (JSON text in
// CSV), the legacy CUR has one column per tag and per product attribute.
func curSpec(legacy bool) *tableSpec {
	d := make([]dimSpec, curDims)
	str := func(label string, required bool, ns ...string) dimSpec {
		return dimSpec{label: label, names: names(append([]string{label}, ns...)...), required: required}
	}
	d[curPayer] = str("bill_payer_account_id", true)
	d[curPayerName] = str("bill_payer_account_name", false)
	d[curAccount] = str("line_item_usage_account_id", true)
	d[curAccountName] = str("line_item_usage_account_name", false)
	d[curType] = str("line_item_line_item_type", true)
	d[curProduct] = str("line_item_product_code", true)
	d[curUsageType] = str("line_item_usage_type", false)
	d[curOperation] = str("line_item_operation", false)
	d[curResource] = str("line_item_resource_id", false)
	d[curRegion] = str("product_region_code", false, "product_region")
	d[curAZ] = str("line_item_availability_zone", false)
	d[curCurrency] = str("line_item_currency_code", true)
	d[curCurrency].check = checkCurrency
	d[curSku] = str("product_sku", false)
	d[curInstance] = str("product_instance_type", false)
	d[curFamily] = str("product_product_family", false)
	d[curUnit] = str("pricing_unit", false)
	d[curTerm] = str("pricing_term", false)
	d[curPurchaseOption] = str("pricing_purchase_option", false)
	d[curRIArn] = str("reservation_reservation_a_r_n", false)
	d[curSPArn] = str("savings_plan_savings_plan_a_r_n", false)
	d[curServiceCode] = str("product_servicecode", false)
	if legacy {
		d[curTags] = dimSpec{label: "resourceTags/*", kind: slotComposite, match: legacyTagColumn}
		d[curVCPU] = str("product_vcpu", false)
		d[curProductName] = str("product_product_name", false)
	} else {
		d[curTags] = dimSpec{label: "resource_tags", names: names("resource_tags"), kind: slotObject}
		d[curVCPU] = dimSpec{label: "product['vcpu']", names: names("product"), kind: slotMapValue, mapKey: "vcpu"}
		d[curProductName] = dimSpec{label: "product['product_name']", names: names("product"), kind: slotMapValue, mapKey: "product_name"}
	}
	m := make([]metricSpec, curMetrics)
	met := func(label string, alts ...string) metricSpec {
		c := [][]string{names(label)}
		for _, a := range alts {
			c = append(c, names(a))
		}
		return metricSpec{label: label, candidates: c}
	}
	m[curBilled] = met("line_item_net_unblended_cost", "line_item_unblended_cost")
	m[curUnblended] = met("line_item_unblended_cost")
	m[curRIEffective] = met("reservation_effective_cost")
	m[curSPEffective] = met("savings_plan_savings_plan_effective_cost")
	m[curSPTotal] = met("savings_plan_total_commitment_to_date")
	m[curSPUsed] = met("savings_plan_used_commitment")
	m[curRIUnusedAmort] = met("reservation_unused_amortized_upfront_fee_for_billing_period")
	m[curRIUnusedRecur] = met("reservation_unused_recurring_fee")
	m[curList] = met("pricing_public_on_demand_cost")
	m[curList].products = [][2][]string{{names("pricing_public_on_demand_rate"), names("line_item_usage_amount")}}
	m[curUsage] = met("line_item_usage_amount")
	m[curPricingQty] = met("reservation_total_reserved_units", "line_item_usage_amount")
	f := FormatCUR2
	if legacy {
		f = FormatCUR
	}
	return &tableSpec{
		format:   f,
		day:      dimSpec{label: "line_item_usage_start_date", names: names("line_item_usage_start_date")},
		period:   dimSpec{label: "bill_billing_period_start_date", names: names("bill_billing_period_start_date")},
		dims:     d,
		metrics:  m,
		finalize: finalizeCUR,
	}
}

// legacyTagColumn recognises legacy CUR tag columns and returns the tag key:
// "resourceTags/user:team" → "user:team"; Athena/Parquet style
// "resource_tags_user_team" → "user:team".
func legacyTagColumn(h string) (string, bool) {
	if k, ok := strings.CutPrefix(h, "resourceTags/"); ok && k != "" {
		return k, true
	}
	if k, ok := strings.CutPrefix(strings.ToLower(h), "resource_tags_"); ok && k != "" {
		if p, rest, ok := strings.Cut(k, "_"); ok && (p == "user" || p == "aws") {
			return p + ":" + rest, true
		}
		return k, true
	}
	return "", false
}

// finalizeCUR maps one group of CUR lines to FOCUS 1.2, following the CUR →
// FOCUS rules of the FOCUS converters (billing-schemas.md §5.2) with the
// FOCUS 1.2 fix: credits and refunds are ChargeCategory Credit, refunds also
// ChargeClass Correction.
func finalizeCUR(g *group, row *LedgerRow) error {
	typ := g.dim(curType)
	*row = LedgerRow{
		Provider:           valdrix.AWS,
		BillingAccountID:   g.dim(curPayer),
		BillingAccountName: g.dim(curPayerName),
		SubAccountID:       g.dim(curAccount),
		SubAccountName:     g.dim(curAccountName),
		RegionID:           g.dim(curRegion),
		AvailabilityZone:   g.dim(curAZ),
		ResourceID:         g.dim(curResource),
		ResourceType:       g.dim(curFamily),
		SkuID:              g.dim(curSku),
		InstanceType:       g.dim(curInstance),
		UsageType:          g.dim(curUsageType),
		Operation:          g.dim(curOperation),
		PricingUnit:        g.dim(curUnit),
		ConsumedUnit:       g.dim(curUnit),
		BillingCurrency:    g.dim(curCurrency),
		Tags:               g.dim(curTags),
	}
	code := g.dim(curProduct)
	if code == "" {
		code = g.dim(curServiceCode)
	}
	row.ServiceName = g.dim(curProductName)
	info, known := g.service(valdrix.AWS, code)
	if row.ServiceName == "" {
		row.ServiceName = code
		if known {
			row.ServiceName = info.Name
		}
	}
	row.ServiceCategory = "Other"
	if known {
		row.ServiceCategory = info.Category
	}
	row.ChargeCategory, row.ChargeClass, row.ChargeFrequency = curCharge(typ)
	row.PricingCategory = curPricingCategory(typ, g.dim(curTerm), g.dim(curPurchaseOption), row.UsageType)
	switch {
	case g.dim(curSPArn) != "":
		row.CommitmentDiscountID, row.CommitmentDiscountType = g.dim(curSPArn), "Savings Plan"
	case g.dim(curRIArn) != "":
		row.CommitmentDiscountID, row.CommitmentDiscountType = g.dim(curRIArn), "Reservation"
	}
	switch typ {
	case "SavingsPlanCoveredUsage", "DiscountedUsage":
		row.CommitmentDiscountStatus = "Used"
	case "RIFee", "SavingsPlanRecurringFee":
		row.CommitmentDiscountStatus = "Unused"
	}
	if row.CommitmentDiscountID == "" {
		row.CommitmentDiscountStatus, row.CommitmentDiscountType = "", ""
	}
	setVCPUs(row, g.dim(curVCPU))

	billed, _ := g.metric(curBilled)
	unblended, _ := g.metric(curUnblended)
	row.BilledCost = billed
	row.ContractedCost = unblended
	setMissing(row, MissingContractedCost, g.has&(1<<curUnblended) != 0)
	var ok bool
	row.EffectiveCost, ok = curEffectiveCost(g, typ, unblended)
	if !ok {
		return errorf("effective cost of %s lines for resource %q on %s is out of range", typ, row.ResourceID, g.day)
	}
	g.optional(row, &row.ListCost, MissingListCost, curList)
	g.optional(row, &row.ConsumedQuantity, MissingConsumedQuantity, curUsage)
	g.optional(row, &row.PricingQuantity, MissingPricingQuantity, curPricingQty)
	return nil
}

// curEffectiveCost applies the EffectiveCost rule of a line item type. When
// the column a rule needs is absent from the file, the unblended cost stands in.
func curEffectiveCost(g *group, typ string, unblended valdrix.Decimal) (valdrix.Decimal, bool) {
	pick := func(m int) valdrix.Decimal {
		if v, ok := g.metric(m); ok {
			return v
		}
		return unblended
	}
	switch typ {
	case "SavingsPlanCoveredUsage":
		return pick(curSPEffective), true
	case "SavingsPlanRecurringFee":
		total, ok1 := g.metric(curSPTotal)
		used, ok2 := g.metric(curSPUsed)
		if !ok1 || !ok2 {
			return unblended, true
		}
		return total.Sub(used)
	case "SavingsPlanNegation", "SavingsPlanUpfrontFee":
		return 0, true
	case "DiscountedUsage":
		return pick(curRIEffective), true
	case "RIFee":
		a, ok1 := g.metric(curRIUnusedAmort)
		r, ok2 := g.metric(curRIUnusedRecur)
		if !ok1 && !ok2 {
			return unblended, true
		}
		return a.Add(r)
	case "Fee":
		if g.dim(curRIArn) != "" {
			return 0, true
		}
	}
	return unblended, true
}

// curCharge maps a line item type to ChargeCategory, ChargeClass and
// ChargeFrequency.
func curCharge(typ string) (category, class, frequency string) {
	switch typ {
	case "Tax":
		return "Tax", "", "Usage-Based"
	case "Fee", "SavingsPlanUpfrontFee":
		return "Purchase", "", "One-Time"
	case "RIFee", "SavingsPlanRecurringFee":
		return "Purchase", "", "Recurring"
	case "Credit":
		return "Credit", "", "One-Time"
	case "Refund":
		return "Credit", "Correction", "One-Time"
	case "Usage", "SavingsPlanCoveredUsage", "SavingsPlanNegation", "DiscountedUsage",
		"BundledDiscount", "Discount", "PrivateRateDiscount", "EdpDiscount":
		return "Usage", "", "Usage-Based"
	}
	return "Adjustment", "", "One-Time"
}

// curPricingCategory derives PricingCategory: committed usage, spot, on-demand.
func curPricingCategory(typ, term, option, usageType string) string {
	switch typ {
	case "SavingsPlanCoveredUsage", "DiscountedUsage":
		return "Committed"
	case "Usage":
	default:
		return ""
	}
	switch {
	case strings.EqualFold(term, "Spot") || strings.EqualFold(option, "Spot") || strings.Contains(usageType, "SpotUsage"):
		return "Dynamic"
	case strings.EqualFold(term, "OnDemand") || strings.EqualFold(option, "OnDemand") || strings.EqualFold(option, "On Demand"):
		return "Standard"
	case term == "" && option == "":
		return "Standard"
	}
	return "Other"
}
