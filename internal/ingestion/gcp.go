package ingestion

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// CommitmentTypeCUD is the FOCUS CommitmentDiscountType of a GCP committed
// use discount: its fee rows and the credits it gives.
const CommitmentTypeCUD = "Committed Use Discount"

// GCPRecord is one row of the GCP Cloud Billing export to BigQuery, standard
// (gcp_billing_export_v1_*) or resource-level (gcp_billing_export_resource_v1_*,
// which adds Resource and Price). Field tags name the BigQuery columns, so a
// BigQuery client can load rows straight into it. Floats are what BigQuery
// stores (FLOAT64); they become exact decimals rounded to nine places.
type GCPRecord struct {
	BillingAccountID string       `json:"billing_account_id" bigquery:"billing_account_id"`
	Service          GCPService   `json:"service" bigquery:"service"`
	SKU              GCPSKU       `json:"sku" bigquery:"sku"`
	UsageStartTime   time.Time    `json:"usage_start_time" bigquery:"usage_start_time"`
	UsageEndTime     time.Time    `json:"usage_end_time" bigquery:"usage_end_time"`
	Project          GCPProject   `json:"project" bigquery:"project"`
	Labels           []GCPLabel   `json:"labels" bigquery:"labels"`
	SystemLabels     []GCPLabel   `json:"system_labels" bigquery:"system_labels"`
	Location         GCPLocation  `json:"location" bigquery:"location"`
	Resource         GCPResource  `json:"resource" bigquery:"resource"`
	ExportTime       time.Time    `json:"export_time" bigquery:"export_time"`
	Cost             float64      `json:"cost" bigquery:"cost"`
	CostAtList       *float64     `json:"cost_at_list" bigquery:"cost_at_list"`
	Currency         string       `json:"currency" bigquery:"currency"`
	ConversionRate   float64      `json:"currency_conversion_rate" bigquery:"currency_conversion_rate"`
	Usage            GCPUsage     `json:"usage" bigquery:"usage"`
	Credits          []GCPCredit  `json:"credits" bigquery:"credits"`
	Invoice          GCPInvoice   `json:"invoice" bigquery:"invoice"`
	CostType         string       `json:"cost_type" bigquery:"cost_type"`
	Price            *GCPPrice    `json:"price" bigquery:"price"`
	TransactionType  string       `json:"transaction_type" bigquery:"transaction_type"`
	SellerName       string       `json:"seller_name" bigquery:"seller_name"`
	AdjustmentInfo   *GCPAdjusted `json:"adjustment_info" bigquery:"adjustment_info"`
}

// GCPService is the record's service.
type GCPService struct {
	ID          string `json:"id" bigquery:"id"`
	Description string `json:"description" bigquery:"description"`
}

// GCPSKU is the record's SKU.
type GCPSKU struct {
	ID          string `json:"id" bigquery:"id"`
	Description string `json:"description" bigquery:"description"`
}

// GCPProject is the project the usage belongs to.
type GCPProject struct {
	ID     string `json:"id" bigquery:"id"`
	Number string `json:"number" bigquery:"number"`
	Name   string `json:"name" bigquery:"name"`
}

// GCPLabel is one label (labels, system_labels).
type GCPLabel struct {
	Key   string `json:"key" bigquery:"key"`
	Value string `json:"value" bigquery:"value"`
}

// GCPLocation is where the usage happened.
type GCPLocation struct {
	Location string `json:"location" bigquery:"location"`
	Country  string `json:"country" bigquery:"country"`
	Region   string `json:"region" bigquery:"region"`
	Zone     string `json:"zone" bigquery:"zone"`
}

// GCPResource is the resource-level export's resource.
type GCPResource struct {
	Name       string `json:"name" bigquery:"name"`
	GlobalName string `json:"global_name" bigquery:"global_name"`
}

// GCPUsage is the usage quantity.
type GCPUsage struct {
	Amount               *float64 `json:"amount" bigquery:"amount"`
	Unit                 string   `json:"unit" bigquery:"unit"`
	AmountInPricingUnits *float64 `json:"amount_in_pricing_units" bigquery:"amount_in_pricing_units"`
	PricingUnit          string   `json:"pricing_unit" bigquery:"pricing_unit"`
}

// GCPCredit is one credit applied to the record (negative amounts).
type GCPCredit struct {
	Name     string  `json:"name" bigquery:"name"`
	Amount   float64 `json:"amount" bigquery:"amount"`
	FullName string  `json:"full_name" bigquery:"full_name"`
	ID       string  `json:"id" bigquery:"id"`
	Type     string  `json:"type" bigquery:"type"`
}

// GCPInvoice is the invoice the record is billed on; Month is "YYYYMM".
type GCPInvoice struct {
	Month string `json:"month" bigquery:"month"`
}

// GCPPrice is the resource-level export's price.
type GCPPrice struct {
	EffectivePrice      *float64 `json:"effective_price" bigquery:"effective_price"`
	TierStartAmount     *float64 `json:"tier_start_amount" bigquery:"tier_start_amount"`
	Unit                string   `json:"unit" bigquery:"unit"`
	PricingUnitQuantity *float64 `json:"pricing_unit_quantity" bigquery:"pricing_unit_quantity"`
}

// GCPAdjusted describes an adjustment record.
type GCPAdjusted struct {
	ID          string `json:"id" bigquery:"id"`
	Description string `json:"description" bigquery:"description"`
	Mode        string `json:"mode" bigquery:"mode"`
	Type        string `json:"type" bigquery:"type"`
}

// ReadGCP rolls GCP billing records from any source (the JSON reader here,
// a BigQuery row iterator elsewhere) up into a period result. source names
// the origin in errors; a record's position in the sequence is its row.
func ReadGCP(ctx context.Context, source string, records iter.Seq2[*GCPRecord, error]) (*PeriodResult, error) {
	roll := NewRollup()
	res := &PeriodResult{Format: FormatGCP}
	n, err := addGCPRecords(ctx, source, records, roll)
	res.RowsRead = n
	if err != nil {
		return nil, err
	}
	if err := finishResult(res, roll, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// addGCPRecords adds every record of the sequence to roll.
func addGCPRecords(ctx context.Context, source string, records iter.Seq2[*GCPRecord, error], roll *Rollup) (int64, error) {
	var row int64
	tags := map[string]string{}
	for rec, err := range records {
		row++
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return row, err
			}
			return row, parseErr(source, 0, row, "", err)
		}
		if row%progressEvery == 0 {
			if err := ctx.Err(); err != nil {
				return row, err
			}
		}
		if err := addGCPRecord(rec, roll, tags); err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return row, parseErr(source, 0, row, pe.Column, pe.Err)
			}
			return row, parseErr(source, 0, row, "", err)
		}
	}
	return row, nil
}

// fieldErr marks a problem with one field of a record; addGCPRecords adds
// the file and row.
func fieldErr(col string, err error) error { return &ParseError{Column: col, Err: err} }

func addGCPRecord(r *GCPRecord, roll *Rollup, scratch map[string]string) error {
	if r.UsageStartTime.IsZero() {
		return fieldErr("usage_start_time", errorf("usage start time is empty"))
	}
	if err := checkCurrency(r.Currency); err != nil {
		return fieldErr("currency", err)
	}
	day := valdrix.DateOf(r.UsageStartTime)
	period := day.Month()
	if m := r.Invoice.Month; m != "" {
		if len(m) != 6 {
			return fieldErr("invoice.month", errorf("%q is not an invoice month (want YYYYMM)", m))
		}
		p, err := valdrix.ParseMonth("invoice.month", m[:4]+"-"+m[4:])
		if err != nil {
			return fieldErr("invoice.month", errorf("%q is not an invoice month (want YYYYMM)", m))
		}
		period = p
	}
	clear(scratch)
	for _, l := range r.Labels {
		scratch[l.Key] = l.Value
	}
	line := LedgerRow{
		ChargeDay:        day,
		BillingPeriod:    period,
		Provider:         valdrix.GCP,
		BillingAccountID: r.BillingAccountID,
		SubAccountID:     r.Project.ID,
		SubAccountName:   r.Project.Name,
		ServiceName:      r.Service.Description,
		ServiceCategory:  serviceCategory(valdrix.GCP, r.Service.Description),
		RegionID:         r.Location.Region,
		AvailabilityZone: r.Location.Zone,
		ResourceID:       r.Resource.GlobalName,
		ResourceName:     r.Resource.Name,
		SkuID:            r.SKU.ID,
		UsageType:        r.SKU.Description,
		PricingUnit:      r.Usage.PricingUnit,
		ConsumedUnit:     r.Usage.Unit,
		BillingCurrency:  r.Currency,
		Tags:             canonicalStrings(scratch),
		LineCount:        1,
	}
	if line.RegionID == "" {
		line.RegionID = r.Location.Location
	}
	if line.ResourceID == "" {
		line.ResourceID = r.Resource.Name
	}
	line.Missing |= MissingVCPUs
	for _, l := range r.SystemLabels {
		switch l.Key {
		case "compute.googleapis.com/machine_spec":
			line.InstanceType = l.Value
		case "compute.googleapis.com/is_unused_reservation":
			// The unused capacity of a reservation, billed at on-demand rates.
			if strings.EqualFold(l.Value, "true") {
				line.CapacityReservationID, line.CapacityReservationStatus = line.ResourceID, "Unused"
			}
		case "compute.googleapis.com/cores":
			if n, err := valdrix.ParseDecimal(l.Value); err == nil {
				line.VCPUs = n
				line.Missing &^= MissingVCPUs
			}
		}
	}
	switch strings.ToLower(r.CostType) {
	case "", "regular":
		line.ChargeCategory, line.ChargeFrequency, line.PricingCategory = "Usage", "Usage-Based", "Standard"
	case "tax":
		line.ChargeCategory, line.ChargeFrequency = "Tax", "Usage-Based"
	case "adjustment":
		line.ChargeCategory, line.ChargeClass, line.ChargeFrequency = "Adjustment", "Correction", "One-Time"
	case "rounding_error":
		line.ChargeCategory, line.ChargeFrequency = "Adjustment", "One-Time"
	default:
		return fieldErr("cost_type", errorf("unknown cost type %q (want regular, tax, adjustment or rounding_error)", r.CostType))
	}
	cost, ok := valdrix.DecimalFromFloat(r.Cost)
	if !ok {
		return fieldErr("cost", errorf("%v is not a finite number in range", r.Cost))
	}
	line.BilledCost, line.EffectiveCost, line.ContractedCost = cost, cost, cost
	if r.CostAtList != nil {
		if line.ListCost, ok = valdrix.DecimalFromFloat(*r.CostAtList); !ok {
			return fieldErr("cost_at_list", errorf("%v is not a finite number in range", *r.CostAtList))
		}
	} else {
		line.Missing |= MissingListCost
	}
	if r.Usage.Amount != nil {
		if line.ConsumedQuantity, ok = valdrix.DecimalFromFloat(*r.Usage.Amount); !ok {
			return fieldErr("usage.amount", errorf("%v is not a finite number in range", *r.Usage.Amount))
		}
	} else {
		line.Missing |= MissingConsumedQuantity
	}
	if r.Usage.AmountInPricingUnits != nil {
		if line.PricingQuantity, ok = valdrix.DecimalFromFloat(*r.Usage.AmountInPricingUnits); !ok {
			return fieldErr("usage.amount_in_pricing_units", errorf("%v is not a finite number in range", *r.Usage.AmountInPricingUnits))
		}
	} else {
		line.Missing |= MissingPricingQuantity
	}
	if strings.HasPrefix(line.UsageType, "Commitment v1:") || strings.HasPrefix(line.UsageType, "Commitment v2:") {
		// A resource-based commitment's fee, billed to the commitment.
		line.CommitmentDiscountID, line.CommitmentDiscountType, line.PricingCategory = line.ResourceID, CommitmentTypeCUD, "Committed"
	}
	if err := roll.Add(&line); err != nil {
		return fieldErr("cost", err)
	}
	// Each credit is a FOCUS Credit line of its own: BilledCost =
	// EffectiveCost = the credit amount, so Σ EffectiveCost = cost + Σ credits.
	for i, c := range r.Credits {
		amount, ok := valdrix.DecimalFromFloat(c.Amount)
		if !ok {
			return fieldErr("credits["+strconv.Itoa(i)+"].amount", errorf("%v is not a finite number in range", c.Amount))
		}
		cl := line
		cl.ChargeCategory, cl.ChargeClass, cl.ChargeFrequency, cl.PricingCategory = "Credit", "", "One-Time", ""
		cl.BilledCost, cl.EffectiveCost, cl.ListCost, cl.ContractedCost = amount, amount, 0, 0
		cl.ConsumedQuantity, cl.PricingQuantity = 0, 0
		cl.Missing = (line.Missing & MissingVCPUs) | MissingConsumedQuantity | MissingPricingQuantity
		cl.Extensions = canonicalStrings(map[string]string{"x_CreditType": c.Type, "x_CreditName": c.Name})
		if strings.HasPrefix(c.Type, "COMMITTED_USAGE_DISCOUNT") {
			cl.CommitmentDiscountID, cl.CommitmentDiscountType, cl.CommitmentDiscountStatus = c.ID, CommitmentTypeCUD, "Used"
		}
		if err := roll.Add(&cl); err != nil {
			return fieldErr("credits["+strconv.Itoa(i)+"].amount", err)
		}
	}
	return nil
}

// gcpJSON mirrors GCPRecord for the BigQuery JSON export, where timestamps
// are text ("2024-09-01 07:00:00 UTC") and numbers may be quoted.
type gcpJSON struct {
	BillingAccountID string        `json:"billing_account_id"`
	Service          GCPService    `json:"service"`
	SKU              GCPSKU        `json:"sku"`
	UsageStartTime   jsonTime      `json:"usage_start_time"`
	UsageEndTime     jsonTime      `json:"usage_end_time"`
	Project          gcpProjectRaw `json:"project"`
	Labels           jsonLabels    `json:"labels"`
	SystemLabels     jsonLabels    `json:"system_labels"`
	Location         GCPLocation   `json:"location"`
	Resource         GCPResource   `json:"resource"`
	ExportTime       jsonTime      `json:"export_time"`
	Cost             *jsonNumber   `json:"cost"`
	CostAtList       *jsonNumber   `json:"cost_at_list"`
	Currency         string        `json:"currency"`
	Usage            struct {
		Amount               *jsonNumber `json:"amount"`
		Unit                 string      `json:"unit"`
		AmountInPricingUnits *jsonNumber `json:"amount_in_pricing_units"`
		PricingUnit          string      `json:"pricing_unit"`
	} `json:"usage"`
	Credits []struct {
		Name     string     `json:"name"`
		Amount   jsonNumber `json:"amount"`
		FullName string     `json:"full_name"`
		ID       string     `json:"id"`
		Type     string     `json:"type"`
	} `json:"credits"`
	Invoice   GCPInvoice   `json:"invoice"`
	CostType  string       `json:"cost_type"`
	TxType    string       `json:"transaction_type"`
	Seller    string       `json:"seller_name"`
	Adjusting *GCPAdjusted `json:"adjustment_info"`
}

type gcpProjectRaw struct {
	ID     string     `json:"id"`
	Number jsonString `json:"number"`
	Name   string     `json:"name"`
}

// jsonString accepts a string or a number.
type jsonString string

func (s *jsonString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = jsonString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errorf("want text, got %s", truncate(string(b)))
	}
	*s = jsonString(n)
	return nil
}

// jsonNumber accepts a number or a quoted number (BigQuery quotes INT64).
type jsonNumber float64

func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	s = strings.Trim(s, `"`)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errorf("%s is not a number", truncate(string(b)))
	}
	*n = jsonNumber(f)
	return nil
}

// jsonTime accepts BigQuery's "2024-09-01 07:00:00 UTC", RFC 3339, or
// epoch seconds.
type jsonTime time.Time

func (t *jsonTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			*t = jsonTime(time.Unix(0, int64(f*1e9)).UTC())
			return nil
		}
		v, err := parseTime(s)
		if err != nil {
			return err
		}
		*t = jsonTime(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return errorf("%s is not a timestamp", truncate(string(b)))
	}
	*t = jsonTime(time.Unix(0, int64(f*1e9)).UTC())
	return nil
}

// jsonLabels accepts BigQuery's [{"key":…,"value":…}] and a plain object.
type jsonLabels []GCPLabel

func (l *jsonLabels) UnmarshalJSON(b []byte) error {
	t := strings.TrimSpace(string(b))
	if t == "null" || t == "" {
		return nil
	}
	if t[0] == '{' {
		var m map[string]jsonString
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		for k, v := range m {
			*l = append(*l, GCPLabel{Key: k, Value: string(v)})
		}
		return nil
	}
	var arr []struct {
		Key   string     `json:"key"`
		Value jsonString `json:"value"`
	}
	if err := json.Unmarshal(b, &arr); err != nil {
		return err
	}
	for _, kv := range arr {
		*l = append(*l, GCPLabel{Key: kv.Key, Value: string(kv.Value)})
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func (j *gcpJSON) record() (*GCPRecord, error) {
	r := &GCPRecord{
		BillingAccountID: j.BillingAccountID,
		Service:          j.Service,
		SKU:              j.SKU,
		UsageStartTime:   time.Time(j.UsageStartTime),
		UsageEndTime:     time.Time(j.UsageEndTime),
		Project:          GCPProject{ID: j.Project.ID, Number: string(j.Project.Number), Name: j.Project.Name},
		Labels:           j.Labels,
		SystemLabels:     j.SystemLabels,
		Location:         j.Location,
		Resource:         j.Resource,
		ExportTime:       time.Time(j.ExportTime),
		Currency:         j.Currency,
		Invoice:          j.Invoice,
		CostType:         j.CostType,
		TransactionType:  j.TxType,
		SellerName:       j.Seller,
	}
	if j.Cost == nil {
		return nil, fieldErr("cost", errorf("cost is empty"))
	}
	r.Cost = float64(*j.Cost)
	r.CostAtList = optFloat(j.CostAtList)
	r.Usage = GCPUsage{Amount: optFloat(j.Usage.Amount), Unit: j.Usage.Unit, AmountInPricingUnits: optFloat(j.Usage.AmountInPricingUnits), PricingUnit: j.Usage.PricingUnit}
	for _, c := range j.Credits {
		r.Credits = append(r.Credits, GCPCredit{Name: c.Name, Amount: float64(c.Amount), FullName: c.FullName, ID: c.ID, Type: c.Type})
	}
	return r, nil
}

func optFloat(n *jsonNumber) *float64 {
	if n == nil {
		return nil
	}
	f := float64(*n)
	return &f
}

// gcpJSONRecords iterates the records of a BigQuery JSON-lines export.
func gcpJSONRecords(file string, r io.Reader) iter.Seq2[*GCPRecord, error] {
	return func(yield func(*GCPRecord, error) bool) {
		text, closeFn, err := textReader(r)
		if err != nil {
			yield(nil, parseErr(file, 0, 0, "", err))
			return
		}
		defer func() { _ = closeFn() }()
		sc := bufio.NewScanner(text)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		var row int64
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			row++
			var j gcpJSON
			if err := json.Unmarshal([]byte(line), &j); err != nil {
				col := ""
				var te *json.UnmarshalTypeError
				if errors.As(err, &te) {
					col = te.Field
				}
				if !yield(nil, parseErr(file, 0, row, col, errorf("not a billing export record: %w", err))) {
					return
				}
				return
			}
			rec, err := j.record()
			if err != nil {
				var pe *ParseError
				if errors.As(err, &pe) {
					yield(nil, parseErr(file, 0, row, pe.Column, pe.Err))
					return
				}
				yield(nil, parseErr(file, 0, row, "", err))
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(nil, parseErr(file, 0, row+1, "", csvCause(err)))
			return
		}
		if row == 0 {
			yield(nil, parseErr(file, 0, 0, "", errorf("the file has no records")))
		}
	}
}

// readGCPFiles reads GCP JSON-lines or CSV exports.
func readGCPFiles(ctx context.Context, files []File, roll *Rollup, opts ReadOptions, res *PeriodResult) error {
	for _, f := range files {
		n, err := readGCPFile(ctx, f, roll, opts)
		res.RowsRead += n
		if err != nil {
			return err
		}
	}
	return nil
}

func readGCPFile(ctx context.Context, f File, roll *Rollup, opts ReadOptions) (int64, error) {
	blob, kind, err := openFile(ctx, f)
	if err != nil {
		return 0, err
	}
	defer func() { _ = blob.Close() }()
	cnt := &countingReader{r: blob}
	var records iter.Seq2[*GCPRecord, error]
	switch kind {
	case kindJSON:
		records = gcpJSONRecords(f.Name, cnt)
	case kindText:
		records = gcpCSVRecords(f.Name, cnt)
	default:
		return 0, parseErr(f.Name, 0, 0, "", errorf("GCP billing exports are read from JSON lines or CSV, not Parquet"))
	}
	if opts.Progress != nil {
		inner := records
		records = func(yield func(*GCPRecord, error) bool) {
			var n int64
			for r, err := range inner {
				n++
				if n%progressEvery == 0 {
					opts.Progress(f.Name, n, cnt.n)
				}
				if !yield(r, err) {
					return
				}
			}
			opts.Progress(f.Name, n, cnt.n)
		}
	}
	return addGCPRecords(ctx, f.Name, records, roll)
}

// gcpCSVRecords reads a CSV of the billing export with flattened column
// names (service.description or service_description, …); labels,
// system_labels and credits are JSON text.
func gcpCSVRecords(file string, r io.Reader) iter.Seq2[*GCPRecord, error] {
	return func(yield func(*GCPRecord, error) bool) {
		text, closeFn, err := textReader(r)
		if err != nil {
			yield(nil, parseErr(file, 0, 0, "", err))
			return
		}
		defer func() { _ = closeFn() }()
		cr, header, err := csvHeader(file, text)
		if err != nil {
			yield(nil, err)
			return
		}
		idx := headerIndex(header)
		col := func(n string) int { return findCol(idx, names(n)) }
		for _, req := range []string{"usage_start_time", "cost", "currency"} {
			if col(req) < 0 {
				yield(nil, parseErr(file, 0, 0, req, errorf("required column is missing from the header")))
				return
			}
		}
		c := map[string]int{}
		for _, n := range []string{"billing_account_id", "service.id", "service.description", "sku.id", "sku.description",
			"usage_start_time", "usage_end_time", "project.id", "project.number", "project.name", "labels", "system_labels",
			"location.location", "location.region", "location.zone", "resource.name", "resource.global_name", "cost",
			"cost_at_list", "currency", "usage.amount", "usage.unit", "usage.amount_in_pricing_units", "usage.pricing_unit",
			"credits", "invoice.month", "cost_type"} {
			c[n] = col(n)
		}
		var row int64
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			row++
			if err != nil {
				yield(nil, parseErr(file, 0, row, "", csvCause(err)))
				return
			}
			get := func(n string) string { return csvCell(rec, c[n]) }
			g, err := gcpFromCells(get)
			if err != nil {
				var pe *ParseError
				if errors.As(err, &pe) {
					yield(nil, parseErr(file, 0, row, pe.Column, pe.Err))
				} else {
					yield(nil, parseErr(file, 0, row, "", err))
				}
				return
			}
			if !yield(g, nil) {
				return
			}
		}
		if row == 0 {
			yield(nil, parseErr(file, 0, 0, "", errorf("the file has a header but no data rows")))
		}
	}
}

func gcpFromCells(get func(string) string) (*GCPRecord, error) {
	r := &GCPRecord{
		BillingAccountID: get("billing_account_id"),
		Service:          GCPService{ID: get("service.id"), Description: get("service.description")},
		SKU:              GCPSKU{ID: get("sku.id"), Description: get("sku.description")},
		Project:          GCPProject{ID: get("project.id"), Number: get("project.number"), Name: get("project.name")},
		Location:         GCPLocation{Location: get("location.location"), Region: get("location.region"), Zone: get("location.zone")},
		Resource:         GCPResource{Name: get("resource.name"), GlobalName: get("resource.global_name")},
		Currency:         get("currency"),
		Invoice:          GCPInvoice{Month: get("invoice.month")},
		CostType:         get("cost_type"),
		Usage:            GCPUsage{Unit: get("usage.unit"), PricingUnit: get("usage.pricing_unit")},
	}
	t, err := parseTime(get("usage_start_time"))
	if err != nil {
		return nil, fieldErr("usage_start_time", err)
	}
	r.UsageStartTime = t
	num := func(n string) (*float64, error) {
		v := get(n)
		if v == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fieldErr(n, errorf("%q is not a number", v))
		}
		return &f, nil
	}
	cost, err := num("cost")
	if err != nil {
		return nil, err
	}
	if cost == nil {
		return nil, fieldErr("cost", errorf("cost is empty"))
	}
	r.Cost = *cost
	if r.CostAtList, err = num("cost_at_list"); err != nil {
		return nil, err
	}
	if r.Usage.Amount, err = num("usage.amount"); err != nil {
		return nil, err
	}
	if r.Usage.AmountInPricingUnits, err = num("usage.amount_in_pricing_units"); err != nil {
		return nil, err
	}
	for _, lc := range []struct {
		name string
		dst  *[]GCPLabel
	}{{"labels", &r.Labels}, {"system_labels", &r.SystemLabels}} {
		if v := get(lc.name); v != "" {
			var l jsonLabels
			if err := json.Unmarshal([]byte(v), &l); err != nil {
				return nil, fieldErr(lc.name, errorf("not JSON labels: %w", err))
			}
			*lc.dst = l
		}
	}
	if v := get("credits"); v != "" && v != "[]" {
		var cs []struct {
			Name   string     `json:"name"`
			Amount jsonNumber `json:"amount"`
			ID     string     `json:"id"`
			Type   string     `json:"type"`
		}
		if err := json.Unmarshal([]byte(v), &cs); err != nil {
			return nil, fieldErr("credits", errorf("not a JSON list of credits: %w", err))
		}
		for _, c := range cs {
			r.Credits = append(r.Credits, GCPCredit{Name: c.Name, Amount: float64(c.Amount), ID: c.ID, Type: c.Type})
		}
	}
	return r, nil
}
