package ingestion

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Detection is what Detect chose and why, in a short sentence for people.
type Detection struct {
	Format Format
	Reason string
}

// DetectColumns chooses a format from column names: a CSV header, the
// top-level fields of a Parquet schema or the keys of a JSON record. kind
// says where the names come from ("CSV header", "Parquet schema", "JSON
// record") for the reason. ok is false when no format fits.
func DetectColumns(kind string, columns []string) (Detection, bool) {
	has := map[string]bool{}
	slash, mapCols, legacyTags := false, false, false
	for _, c := range columns {
		has[normName(c)] = true
		if strings.Contains(c, "/") {
			slash = true
		}
		switch strings.ToLower(c) {
		case "resource_tags", "product", "cost_category", "discount":
			mapCols = true
		}
		if strings.HasPrefix(strings.ToLower(c), "resource_tags_") {
			legacyTags = true
		}
	}
	hasAll := func(ns ...string) bool {
		for _, n := range ns {
			if !has[normName(n)] {
				return false
			}
		}
		return true
	}
	hasAny := func(ns ...string) bool {
		for _, n := range ns {
			if has[normName(n)] {
				return true
			}
		}
		return false
	}
	switch {
	case hasAll("ChargePeriodStart", "BilledCost") && hasAny("ChargeCategory", "ChargeType"):
		reason := fmt.Sprintf("%s has the FOCUS columns ChargePeriodStart, BilledCost and ChargeCategory", kind)
		if hasAny("x_SkuMeterCategory", "x_ResourceGroupName", "x_BillingProfileId") {
			reason += " (with Azure's x_ columns: a FocusCost export)"
		}
		return Detection{FormatFOCUS, reason}, true
	case hasAll("line_item_line_item_type", "line_item_usage_start_date") && hasAny("bill_payer_account_id", "line_item_usage_account_id"):
		switch {
		case slash:
			return Detection{FormatCUR, kind + " has lineItem/LineItemType-style columns: a legacy AWS Cost and Usage Report"}, true
		case mapCols && !legacyTags:
			return Detection{FormatCUR2, kind + " has line_item_line_item_type with the resource_tags/product map columns: AWS CUR 2.0 (Data Exports)"}, true
		case legacyTags || has["productproductname"]:
			return Detection{FormatCUR, kind + " has line_item_* columns with resource_tags_* tag columns: a legacy AWS CUR in Athena/Parquet style"}, true
		}
		return Detection{FormatCUR2, kind + " has line_item_* columns without legacy tag columns: assuming AWS CUR 2.0"}, true
	case hasAny("MeterCategory", "MeterId", "MeterName") && hasAny("SubscriptionId", "SubscriptionGuid"):
		layout := "EA/MCA cost details"
		switch {
		case has["pretaxcost"] || has["usagedatetime"]:
			layout = "the legacy v1 usage layout"
		case len(columns) > 0 && columns[0] != "" && columns[0][0] >= 'a' && columns[0][0] <= 'z':
			layout = "MCA cost details (camelCase headers)"
		}
		return Detection{FormatAzure, kind + " has MeterCategory and SubscriptionId: an Azure Cost Management export in " + layout}, true
	case hasAny("usage_start_time") && hasAny("billing_account_id") && (hasAny("service", "service.description", "service_description") || has["cost"]):
		return Detection{FormatGCP, kind + " has billing_account_id, usage_start_time and cost: the GCP Cloud Billing export"}, true
	}
	return Detection{}, false
}

// Detect opens a billing file and chooses its format from its header,
// Parquet schema or first JSON record.
func Detect(ctx context.Context, f File) (Detection, error) {
	blob, kind, err := openFile(ctx, f)
	if err != nil {
		return Detection{}, err
	}
	defer func() { _ = blob.Close() }()
	cols, where, err := columnsOf(f.Name, blob, kind)
	if err != nil {
		return Detection{}, err
	}
	d, ok := DetectColumns(where, cols)
	if !ok {
		return Detection{}, parseErr(f.Name, 0, 0, "", errorf("unrecognised billing format: the %s matches none of CUR 2.0, legacy CUR, Azure, GCP or FOCUS", where))
	}
	return d, nil
}

// columnsOf returns a file's column names.
func columnsOf(name string, blob Blob, kind fileKind) (cols []string, where string, err error) {
	switch kind {
	case kindParquet:
		defer func() {
			if r := recover(); r != nil {
				err = parseErr(name, 0, 0, "", errorf("corrupt Parquet file: %v", r))
			}
		}()
		_, sc, err := openParquet(name, blob)
		if err != nil {
			return nil, "", err
		}
		for _, f := range sc.fields {
			cols = append(cols, f.name)
		}
		return cols, "Parquet schema", nil
	case kindJSON:
		text, closeFn, err := textReader(blob)
		if err != nil {
			return nil, "", parseErr(name, 0, 0, "", err)
		}
		defer func() { _ = closeFn() }()
		br := bufio.NewReaderSize(text, 64<<10)
		dec := json.NewDecoder(br)
		var rec map[string]json.RawMessage
		if err := dec.Decode(&rec); err != nil {
			return nil, "", parseErr(name, 0, 1, "", errorf("not a JSON record: %w", err))
		}
		for k, v := range rec {
			cols = append(cols, k)
			if len(v) > 0 && v[0] == '{' {
				var sub map[string]json.RawMessage
				if json.Unmarshal(v, &sub) == nil {
					for sk := range sub {
						cols = append(cols, k+"."+sk)
					}
				}
			}
		}
		return cols, "JSON record", nil
	}
	text, closeFn, err := textReader(blob)
	if err != nil {
		return nil, "", parseErr(name, 0, 0, "", err)
	}
	defer func() { _ = closeFn() }()
	_, header, err := csvHeader(name, text)
	if err != nil {
		return nil, "", err
	}
	return header, "CSV header", nil
}

// detectFiles detects the format of every file and requires them to agree.
func detectFiles(ctx context.Context, files []File) (Detection, error) {
	var first Detection
	for i, f := range files {
		d, err := Detect(ctx, f)
		if err != nil {
			return Detection{}, err
		}
		if i == 0 {
			first = d
			continue
		}
		if d.Format != first.Format {
			return Detection{}, parseErr(f.Name, 0, 0, "", errorf("this file is %s but %s is %s; a period is read in one format", d.Format, files[0].Name, first.Format))
		}
	}
	if len(files) > 1 {
		first.Reason += fmt.Sprintf(" (all %d files agree)", len(files))
	}
	return first, nil
}
