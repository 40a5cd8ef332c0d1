package ingestion

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Azure Cost Management export dimension slots. One spec covers the EA and
// MCA cost-details layouts (PascalCase and camelCase headers), the legacy
// v1 usage layout (UsageDateTime, PreTaxCost, SubscriptionGuid, InstanceId…)
// and the v2 layout, for both the actual and the amortized dataset. Azure's
// FocusCost dataset is FOCUS and is read by the FOCUS reader.
const (
	azBillingAccount = iota
	azBillingAccountName
	azSubscription
	azSubscriptionName
	azResourceGroup
	azResource
	azResourceName
	azLocation
	azMeterRegion
	azZone
	azMeterCategory
	azMeterSubCategory
	azMeterName
	azMeterID
	azServiceFamily
	azChargeType
	azFrequency
	azPricingModel
	azCurrency
	azReservationID
	azBenefitID
	azUnit
	azTags
	azVCPUs
	azVMSize
	azExt
	azDims
)

// Azure metric slots.
const (
	azCost = iota
	azList
	azContracted
	azQuantity
	azMetrics
)

// azureSpecFor returns the Azure cost-details spec. amortized says the file
// is from the AmortizedCost dataset (its cost column is amortized, not billed).
func azureSpecFor(amortized bool) *tableSpec {
	d := make([]dimSpec, azDims)
	str := func(label string, required bool, ns ...string) dimSpec {
		return dimSpec{label: label, names: names(append([]string{label}, ns...)...), required: required}
	}
	d[azBillingAccount] = str("BillingAccountId", false, "EnrollmentNumber")
	d[azBillingAccountName] = str("BillingAccountName", false)
	d[azSubscription] = str("SubscriptionId", true, "SubscriptionGuid")
	d[azSubscriptionName] = str("SubscriptionName", false)
	d[azResourceGroup] = str("ResourceGroup", false, "ResourceGroupName")
	d[azResource] = str("ResourceId", false, "InstanceId", "InstanceName")
	d[azResourceName] = str("ResourceName", false)
	d[azLocation] = str("ResourceLocation", false, "ResourceLocationNormalized")
	d[azMeterRegion] = str("MeterRegion", false)
	d[azZone] = str("AvailabilityZone", false)
	d[azMeterCategory] = str("MeterCategory", false)
	d[azMeterSubCategory] = str("MeterSubCategory", false, "MeterSubcategory")
	d[azMeterName] = str("MeterName", false)
	d[azMeterID] = str("MeterId", false)
	d[azServiceFamily] = str("ServiceFamily", false, "ConsumedService")
	d[azChargeType] = str("ChargeType", false)
	d[azFrequency] = str("Frequency", false, "ChargeFrequency")
	d[azPricingModel] = str("PricingModel", false)
	d[azCurrency] = str("BillingCurrencyCode", true, "BillingCurrency", "Currency")
	d[azCurrency].check = checkCurrency
	d[azReservationID] = str("ReservationId", false)
	d[azBenefitID] = str("BenefitId", false)
	d[azUnit] = str("UnitOfMeasure", false)
	d[azTags] = dimSpec{label: "Tags", names: names("Tags"), kind: slotObject, braceless: true}
	d[azVCPUs] = dimSpec{label: "AdditionalInfo.VCPUs", names: names("AdditionalInfo"), kind: slotMapValue, mapKey: "VCPUs"}
	d[azVMSize] = dimSpec{label: "AdditionalInfo.ServiceType", names: names("AdditionalInfo"), kind: slotMapValue, mapKey: "ServiceType"}
	d[azExt] = dimSpec{label: "x_*", kind: slotComposite, match: azureExtension}
	met := func(label string, ns ...string) metricSpec {
		return metricSpec{label: label, candidates: [][]string{names(append([]string{label}, ns...)...)}}
	}
	m := make([]metricSpec, azMetrics)
	m[azCost] = met("CostInBillingCurrency", "PreTaxCost", "Cost", "CostInBillingCurrencyAmount")
	m[azList] = met("PaygCostInBillingCurrency")
	m[azList].products = [][2][]string{{names("PayGPrice"), names("Quantity", "UsageQuantity")}}
	m[azContracted] = metricSpec{label: "UnitPrice × Quantity", products: [][2][]string{{names("UnitPrice"), names("Quantity", "UsageQuantity")}}}
	m[azQuantity] = met("Quantity", "UsageQuantity", "ConsumedQuantity")
	return &tableSpec{
		format:   FormatAzure,
		day:      dimSpec{label: "Date", names: names("Date", "UsageDateTime", "UsageDate")},
		period:   dimSpec{label: "BillingPeriodStartDate", names: names("BillingPeriodStartDate")},
		dims:     d,
		metrics:  m,
		finalize: func(g *group, row *LedgerRow) error { return finalizeAzure(g, row, amortized) },
	}
}

// azureExtension keeps the Azure columns FOCUS has no place for, under the
// x_ names Microsoft's own FOCUS export uses.
func azureExtension(h string) (string, bool) {
	switch normName(h) {
	case "resourcegroup", "resourcegroupname":
		return "x_ResourceGroupName", true
	case "metercategory":
		return "x_SkuMeterCategory", true
	case "metersubcategory":
		return "x_SkuMeterSubcategory", true
	case "metername":
		return "x_SkuMeterName", true
	case "invoicesectionid":
		return "x_InvoiceSectionId", true
	case "billingprofileid":
		return "x_BillingProfileId", true
	case "pricingmodel":
		return "x_PricingModel", true
	}
	return "", false
}

// finalizeAzure maps one group of Azure cost-details lines to FOCUS 1.2.
func finalizeAzure(g *group, row *LedgerRow, amortized bool) error {
	*row = LedgerRow{
		Provider:           valdrix.Azure,
		BillingAccountID:   g.dim(azBillingAccount),
		BillingAccountName: g.dim(azBillingAccountName),
		SubAccountID:       g.dim(azSubscription),
		SubAccountName:     g.dim(azSubscriptionName),
		ResourceID:         g.dim(azResource),
		ResourceName:       g.dim(azResourceName),
		ResourceType:       armResourceType(g.dim(azResource)),
		AvailabilityZone:   g.dim(azZone),
		SkuID:              g.dim(azMeterID),
		InstanceType:       g.dim(azVMSize),
		UsageType:          g.dim(azMeterName),
		Operation:          g.dim(azMeterSubCategory),
		PricingUnit:        g.dim(azUnit),
		ConsumedUnit:       g.dim(azUnit),
		BillingCurrency:    g.dim(azCurrency),
		Tags:               g.dim(azTags),
		Extensions:         g.dim(azExt),
	}
	if row.BillingAccountID == "" {
		row.BillingAccountID = row.SubAccountID
	}
	row.RegionID = azureRegion(g.dim(azLocation))
	if row.RegionID == "" {
		row.RegionID = azureRegion(g.dim(azMeterRegion))
	}
	cat := g.dim(azMeterCategory)
	row.ServiceName = cat
	if info, ok := g.service(valdrix.Azure, cat); ok {
		row.ServiceName, row.ServiceCategory = info.Name, info.Category
	} else {
		row.ServiceCategory = "Other"
		if row.ServiceName == "" {
			row.ServiceName = g.dim(azServiceFamily)
		}
	}
	chargeType := g.dim(azChargeType)
	model := g.dim(azPricingModel)
	row.ChargeCategory, row.ChargeClass = azureCharge(chargeType)
	row.ChargeFrequency = azureFrequency(g.dim(azFrequency), row.ChargeCategory)
	committed := strings.EqualFold(model, "Reservation") || strings.EqualFold(model, "SavingsPlan")
	row.PricingCategory = azurePricingCategory(model, row.ChargeCategory)
	row.CommitmentDiscountID = g.dim(azBenefitID)
	if row.CommitmentDiscountID == "" {
		row.CommitmentDiscountID = g.dim(azReservationID)
	}
	if row.CommitmentDiscountID != "" {
		row.CommitmentDiscountType = "Reservation"
		if strings.EqualFold(model, "SavingsPlan") || strings.EqualFold(chargeType, "UnusedSavingsPlan") {
			row.CommitmentDiscountType = "Savings Plan"
		}
		switch {
		case strings.HasPrefix(strings.ToLower(chargeType), "unused"):
			row.CommitmentDiscountStatus = "Unused"
			if row.ResourceID == "" {
				// Cost Management bills unused hours to no resource: they
				// belong to the reservation or savings plan itself.
				row.ResourceID = row.CommitmentDiscountID
				row.ResourceType = armResourceType(row.ResourceID)
			}
		case committed && row.ChargeCategory == "Usage":
			row.CommitmentDiscountStatus = "Used"
		}
	}
	setVCPUs(row, g.dim(azVCPUs))
	cost, _ := g.metric(azCost)
	row.BilledCost, row.EffectiveCost = cost, cost
	switch {
	case !amortized && row.ChargeCategory == "Purchase" && row.CommitmentDiscountID != "":
		// A commitment purchase covers future usage: FOCUS wants EffectiveCost 0.
		row.EffectiveCost = 0
	case amortized && committed && (row.ChargeCategory == "Usage"):
		// Amortized commitment usage was billed through the purchase.
		row.BilledCost = 0
	}
	g.optional(row, &row.ListCost, MissingListCost, azList)
	g.optional(row, &row.ContractedCost, MissingContractedCost, azContracted)
	has := g.optional(row, &row.ConsumedQuantity, MissingConsumedQuantity, azQuantity)
	row.PricingQuantity = row.ConsumedQuantity
	setMissing(row, MissingPricingQuantity, has)
	return nil
}

// azureRegion normalises "East US", "eastus" and "EastUS" to "eastus".
func azureRegion(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c == ' ':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// armResourceType extracts "microsoft.compute/virtualmachines" from an ARM id.
func armResourceType(id string) string {
	l := strings.ToLower(id)
	i := strings.LastIndex(l, "/providers/")
	if i < 0 {
		return ""
	}
	parts := strings.Split(l[i+len("/providers/"):], "/")
	if len(parts) < 2 {
		return ""
	}
	t := parts[0] + "/" + parts[1]
	for k := 3; k < len(parts); k += 2 {
		t += "/" + parts[k]
	}
	return t
}

// azureCharge maps ChargeType to ChargeCategory and ChargeClass.
func azureCharge(t string) (string, string) {
	switch strings.ToLower(t) {
	case "", "usage", "unusedreservation", "unusedsavingsplan":
		return "Usage", ""
	case "purchase":
		return "Purchase", ""
	case "refund":
		return "Credit", "Correction"
	case "tax":
		return "Tax", ""
	case "credit":
		return "Credit", ""
	}
	return "Adjustment", ""
}

func azureFrequency(f, category string) string {
	switch strings.ToLower(strings.ReplaceAll(f, "-", "")) {
	case "usagebased":
		return "Usage-Based"
	case "recurring":
		return "Recurring"
	case "onetime":
		return "One-Time"
	}
	if category == "Usage" {
		return "Usage-Based"
	}
	return "One-Time"
}

func azurePricingCategory(model, category string) string {
	if category != "Usage" {
		return ""
	}
	switch strings.ToLower(model) {
	case "", "ondemand":
		return "Standard"
	case "reservation", "savingsplan":
		return "Committed"
	case "spot":
		return "Dynamic"
	}
	return "Other"
}
