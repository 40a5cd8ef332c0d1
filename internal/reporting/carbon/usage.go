package carbon

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Extension columns (keys of LedgerRow.Extensions) that the estimator reads,
// matched without regard to case. Each field also accepts the provider-native
// column names listed in extensionAliases.
const (
	// ExtInstanceType: AWS product_instance_type, Azure VM size
	// ("Standard_D2s_v3"), GCP machine type ("n1-standard-4").
	ExtInstanceType = "x_InstanceType"
	// ExtVCPUs: vCPUs of the instance (CUR product['vcpu'], Azure
	// AdditionalInfo.VCPUs, GCP system label compute.googleapis.com/cores).
	ExtVCPUs = "x_VCPUs"
	// ExtServiceCode: AWS line_item_product_code ("AmazonEC2").
	ExtServiceCode = "x_ServiceCode"
	// ExtLineItemType: AWS line_item_line_item_type ("SavingsPlanNegation").
	ExtLineItemType = "x_LineItemType"
	// ExtMeterCategory and ExtMeterSubcategory: Azure MeterCategory ("Storage")
	// and MeterSubCategory ("Premium SSD Managed Disks").
	ExtMeterCategory    = "x_SkuMeterCategory"
	ExtMeterSubcategory = "x_SkuMeterSubcategory"
	// ExtSkuDetails: Azure FOCUS x_SkuDetails (JSON with VCPUs, ServiceType).
	ExtSkuDetails = "x_SkuDetails"
)

// extensionAliases lists, per field, the keys accepted in Extensions.
func extensionAliases(field string) []string {
	switch field {
	case ExtInstanceType:
		return []string{ExtInstanceType, "x_ProductInstanceType", "product_instance_type", "x_MachineType",
			"x_MachineSpec", "compute.googleapis.com/machine_spec", "x_ServiceType"}
	case ExtVCPUs:
		return []string{ExtVCPUs, "x_VCPU", "x_ProductVCPU", "product_vcpu", "x_Cores", "compute.googleapis.com/cores"}
	case ExtServiceCode:
		return []string{ExtServiceCode, "x_ProductCode", "line_item_product_code", "x_ServiceCodeName"}
	case ExtLineItemType:
		return []string{ExtLineItemType, "line_item_line_item_type"}
	case ExtMeterCategory:
		return []string{ExtMeterCategory, "x_MeterCategory", "MeterCategory"}
	case ExtMeterSubcategory:
		return []string{ExtMeterSubcategory, "x_MeterSubCategory", "MeterSubCategory"}
	}
	return []string{field}
}

// Usage is the part of a ledger row the estimator reads. EstimateRow maps a
// LedgerRow with UsageFromLedger; callers without a ledger row (a simulated
// estate, a what-if) can fill Usage directly and call Estimate.
type Usage struct {
	Provider  valdrix.Provider
	Day       valdrix.Date // the charge day; month-based units use its month length
	AccountID string
	Region    string

	// Service is the service as billed (FOCUS ServiceName); ServiceCode the
	// AWS product code and MeterCategory/MeterSubcategory the Azure meter
	// classification, when known.
	Service          string
	ServiceCode      string
	MeterCategory    string
	MeterSubcategory string

	// UsageType is the CUR usage type, Azure meter name or GCP SKU description.
	UsageType string
	Operation string

	// Quantity in Unit; HasQuantity is false when the row carries none.
	Quantity    valdrix.Decimal
	HasQuantity bool
	Unit        string

	// InstanceType and VCPUs, when the export carries them (0 = unknown).
	InstanceType string
	VCPUs        float64

	ChargeCategory           string
	LineItemType             string
	CommitmentDiscountStatus string

	// Cost is the row's EffectiveCost in Currency (for the ratio fallback).
	Cost     valdrix.Decimal
	Currency string
}

// UsageFromLedger maps a ledger row to Usage. The consumed quantity and unit
// are preferred; without them the pricing quantity (in blocks of the pricing
// unit's leading number, "10 Hours") is used. It fails only when the row's
// Extensions are not a JSON object.
func UsageFromLedger(row ingestion.LedgerRow) (Usage, error) {
	u := Usage{
		Provider:                 row.Provider,
		Day:                      row.ChargeDay,
		AccountID:                row.SubAccountID,
		Region:                   row.RegionID,
		Service:                  row.ServiceName,
		UsageType:                row.UsageType,
		Operation:                row.Operation,
		ChargeCategory:           row.ChargeCategory,
		CommitmentDiscountStatus: row.CommitmentDiscountStatus,
		Cost:                     row.EffectiveCost,
		Currency:                 row.BillingCurrency,
	}
	switch {
	case row.Missing.Has(ingestion.MissingConsumedQuantity):
		u.Quantity, u.HasQuantity = row.ConsumedQuantity, true
		u.Unit = row.ConsumedUnit
		if strings.TrimSpace(u.Unit) == "" {
			u.Unit = row.PricingUnit
		}
	case row.Missing.Has(ingestion.MissingPricingQuantity):
		q, ok := row.PricingQuantity.MulRatio(leadingBlock(row.PricingUnit), 1)
		if !ok {
			return Usage{}, valdrix.FieldError("PricingQuantity", "pricing quantity %s in %q is out of range", row.PricingQuantity, row.PricingUnit)
		}
		u.Quantity, u.HasQuantity, u.Unit = q, true, row.PricingUnit
	}
	ext, err := parseExtensions(row.Extensions)
	if err != nil {
		return Usage{}, err
	}
	u.InstanceType = ext.get(ExtInstanceType)
	u.ServiceCode = ext.get(ExtServiceCode)
	u.LineItemType = ext.get(ExtLineItemType)
	u.MeterCategory = ext.get(ExtMeterCategory)
	u.MeterSubcategory = ext.get(ExtMeterSubcategory)
	if v := ext.get(ExtVCPUs); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 {
			u.VCPUs = f
		}
	}
	if details := ext.get(ExtSkuDetails); details != "" {
		u.applySkuDetails(details)
	}
	if row.Provider == valdrix.Azure && u.MeterSubcategory == "" {
		u.MeterSubcategory = row.Operation // the ledger keeps the meter subcategory as Operation
	}
	return u, nil
}

// leadingBlock returns the block size a unit starts with ("10 Hours" → 10), or 1.
func leadingBlock(unit string) int64 {
	s := strings.TrimSpace(unit)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 1
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || n <= 0 {
		return 1
	}
	return n
}

// extensions is a parsed Extensions object with lower-cased keys.
type extensions map[string]string

func parseExtensions(s string) (extensions, error) {
	if strings.TrimSpace(s) == "" {
		return extensions{}, nil
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, valdrix.Wrap(valdrix.EINVALID, err, "the row's extension columns are not a JSON object")
	}
	ext := make(extensions, len(raw))
	for k, v := range raw {
		ext[strings.ToLower(k)] = anyText(v)
	}
	return ext, nil
}

// anyText renders a JSON value as text: strings as they are, numbers in
// shortest form, objects and arrays as compact JSON.
func anyText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}

// get returns the first non-empty value among the field's aliases.
func (e extensions) get(field string) string {
	for _, k := range extensionAliases(field) {
		if v := e[strings.ToLower(k)]; v != "" {
			return v
		}
	}
	return ""
}

// applySkuDetails reads Azure's x_SkuDetails / AdditionalInfo JSON for the VM
// size (ServiceType) and VCPUs when the row has no better values.
func (u *Usage) applySkuDetails(s string) {
	var d map[string]any
	if json.Unmarshal([]byte(s), &d) != nil {
		return
	}
	for k, v := range d {
		switch strings.ToLower(k) {
		case "vcpus":
			if f, err := strconv.ParseFloat(anyText(v), 64); err == nil && f > 0 && u.VCPUs == 0 {
				u.VCPUs = f
			}
		case "servicetype":
			if u.InstanceType == "" {
				u.InstanceType = anyText(v)
			}
		}
	}
}
