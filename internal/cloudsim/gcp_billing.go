package cloudsim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// GCP service ids of the Cloud Billing catalog.
const (
	gcpComputeService = "6F81-5844-456A"
	gcpSQLService     = "9662-B51E-5089"
)

// gcpBillingRow is one row of the detailed (resource-level) billing export.
type gcpBillingRow struct {
	serviceID, serviceDesc string
	skuDesc                string
	day                    valdrix.Date
	project                int
	labels                 map[string]string
	systemLabels           [][2]string
	region, zone           string
	resourceName           string
	globalName             string
	cost                   valdrix.Decimal
	amount, pricingAmount  valdrix.Decimal
	unit, pricingUnit      string
	price                  valdrix.Decimal
	credits                []gcpCredit
}

type gcpCredit struct {
	name, id, fullName, typ string
	amount                  valdrix.Decimal
}

// partition returns the row's ingestion-time partition: the export lands
// the day after the usage.
func (r *gcpBillingRow) partition() valdrix.Date { return r.day.AddDays(1) }

// exportTime is when the row was exported: three hours into the next day.
func (r *gcpBillingRow) exportTime() time.Time {
	return r.day.AddDays(1).Time().Add(3*time.Hour + time.Duration(len(r.globalName)%60)*time.Minute)
}

// skuID derives a stable catalog-style SKU id ("ABCD-1234-EF56") from its
// description.
func skuID(desc string) string {
	h := hexID(newRand("sku:"+desc), 12)
	return strings.ToUpper(h[0:4] + "-" + h[4:8] + "-" + h[8:12])
}

func gcpRegionName(region string) string {
	for _, r := range gcpRegions {
		if r.Name == region {
			return r.Code
		}
	}
	return region
}

// gcpBillingRows emits the estate's GCP billing rows for usage days in
// [from, to), by day, project and resource, then commitments.
func (e *Estate) gcpBillingRows(from, to valdrix.Date, emit func(*gcpBillingRow)) {
	last := valdrix.DateOf(e.Now)
	for d := from; d < to && d < last; d++ {
		for _, ai := range e.AccountsOf(valdrix.GCP) {
			for _, ci := range e.Accounts[ai].Cells {
				c := &e.Cells[ci]
				cud := e.cudShare(int32(ci))
				for _, k := range Kinds(valdrix.GCP) {
					lo, hi := c.Span(k)
					for i := lo; i < hi; i++ {
						e.gcpResourceRows(i, d, cud, emit)
					}
				}
			}
		}
		for ci := range e.Commitments {
			e.gcpCommitmentRows(ci, d, emit)
		}
	}
}

// cudShare returns the share of running vCPUs a cell's committed use
// discount covers (0 without one).
func (e *Estate) cudShare(cell int32) valdrix.Decimal {
	c := &e.Cells[cell]
	for ci := range e.Commitments {
		cm := &e.Commitments[ci]
		if cm.Kind != "gcp_cud" || cm.Account != c.Account || cm.Region != c.Region {
			continue
		}
		used := cm.Units - cm.Unused
		total := 0
		lo, hi := c.Span(GCPInstance)
		for i := lo; i < hi; i++ {
			if e.Resources[i].State == "RUNNING" {
				total += vcpus(e.Resources[i].SKU)
			}
		}
		if total == 0 {
			return 0
		}
		share, _ := valdrix.NewDecimal(int64(min(used, total)), 0).MulRatio(1, int64(total))
		return share
	}
	return 0
}

// gcpResourceRows emits resource i's rows of day d.
func (e *Estate) gcpResourceRows(i int, d valdrix.Date, cud valdrix.Decimal, emit func(*gcpBillingRow)) {
	x := &e.Resources[i]
	hourly, hours, storage, share := e.dayCharges(i, d)
	if hours == 0 && share == 0 {
		return
	}
	c := e.CellOfResource(i)
	run, exist := e.usageOn(i, d)
	base := gcpBillingRow{
		serviceID: gcpComputeService, serviceDesc: "Compute Engine", day: d, project: int(c.Account), labels: e.Tags(i),
		region: c.Region, resourceName: x.Name, globalName: e.BillingID(i),
	}
	where := gcpRegionName(c.Region)
	if x.Kind == GCPInstance || x.Kind == GCPDisk {
		base.zone = zoneName(c.Region, x.Zone)
	}
	if x.Kind == GCPSQLInstance {
		base.serviceID, base.serviceDesc = gcpSQLService, "Cloud SQL"
	}
	if hours != 0 {
		r := base
		r.cost, r.price = hourly, e.HourlyRate(i)
		r.amount, r.unit, r.pricingAmount, r.pricingUnit = valdrix.NewDecimal(run, 0), "seconds", hours, "hour"
		switch x.Kind {
		case GCPInstance:
			fam, _, _ := strings.Cut(x.SKU, "-")
			r.skuDesc = strings.ToUpper(fam) + " Predefined Instance running in " + where
			r.systemLabels = [][2]string{{"compute.googleapis.com/machine_spec", x.SKU}, {"compute.googleapis.com/cores", itoa(vcpus(x.SKU))}}
			if cud != 0 {
				// The credit is the on-demand price of the vCPU hours the
				// commitment covered (memory is not committed here).
				cpu, _ := e.regional(i, gcpCPUHourly).MulRatio(int64(vcpus(x.SKU)), 1)
				cpuDay, _ := cpu.Mul(hours)
				credit, _ := cpuDay.MulRatio(-int64(cud), valdrix.DecimalScale)
				r.credits = []gcpCredit{{name: "Committed use discount: CPU", id: "committed-use-discount", fullName: "Committed use discount: CPU",
					typ: "COMMITTED_USAGE_DISCOUNT", amount: credit}}
			}
		case GCPAddress:
			r.skuDesc = "Static Ip Charge in " + where
			if x.State == "IN_USE" {
				r.skuDesc = "External IP Charge on a Standard VM in " + where
			}
		case GCPSQLInstance:
			r.skuDesc = "Cloud SQL for " + sqlEngine(x.Extra) + ": Zonal - " + x.SKU + " in " + where
		}
		emit(&r)
	}
	if share != 0 {
		r := base
		r.cost, r.price = storage, e.StorageMonthly(i)
		gib := valdrix.NewDecimal(int64(x.Size), 0)
		r.amount, r.unit = valdrix.NewDecimal(int64(x.Size)*exist, 0), "gibibyte-seconds"
		r.pricingAmount, _ = share.MulRatio(int64(x.Size), 1)
		r.pricingUnit = "gibibyte month"
		if x.Size > 0 {
			r.price, _ = r.price.Div(gib)
		}
		switch x.Kind {
		case GCPDisk:
			r.skuDesc = map[string]string{"pd-ssd": "SSD backed PD Capacity", "pd-standard": "Storage PD Capacity"}[x.SKU]
			if r.skuDesc == "" {
				r.skuDesc = "Balanced PD Capacity"
			}
			r.skuDesc += " in " + where
		case GCPSnapshot:
			r.skuDesc = "Storage PD Snapshot in " + where
		case GCPImage:
			r.skuDesc = "Storage Image"
		case GCPSQLInstance:
			r.skuDesc = "Cloud SQL for " + sqlEngine(x.Extra) + ": Zonal - Standard storage in " + where
		}
		emit(&r)
	}
}

func sqlEngine(version string) string {
	switch {
	case strings.HasPrefix(version, "POSTGRES"):
		return "PostgreSQL"
	case strings.HasPrefix(version, "MYSQL"):
		return "MySQL"
	}
	return "SQL Server"
}

// gcpCommitmentRows emits the day's fee of a committed use discount and the
// cost of a reservation's unused capacity.
func (e *Estate) gcpCommitmentRows(ci int, d valdrix.Date, emit func(*gcpBillingRow)) {
	cm := &e.Commitments[ci]
	if cm.Provider != valdrix.GCP || d.Time().Before(cm.Start.Truncate(24*time.Hour)) || !d.Time().Before(cm.End) {
		return
	}
	r := gcpBillingRow{
		serviceID: gcpComputeService, serviceDesc: "Compute Engine", day: d, project: int(cm.Account), labels: map[string]string{},
		region: cm.Region, resourceName: cm.ID[strings.LastIndexByte(cm.ID, '/')+1:], globalName: cm.BillingID(),
		unit: "seconds", pricingUnit: "hour", price: cm.HourlyFee(),
	}
	where := gcpRegionName(cm.Region)
	units := cm.Units
	switch cm.Kind {
	case "gcp_cud":
		r.skuDesc = "Commitment v1: Cpu in " + where + " for 1 Year"
	case "gcp_reservation":
		if cm.Unused == 0 {
			return
		}
		units = cm.Unused
		r.zone = zoneName(cm.Region, 0)
		fam, _, _ := strings.Cut(cm.SKU, "-")
		r.skuDesc = strings.ToUpper(fam) + " Predefined Instance running in " + where
		r.systemLabels = [][2]string{{"compute.googleapis.com/machine_spec", cm.SKU}, {"compute.googleapis.com/cores", itoa(vcpus(cm.SKU))},
			{"compute.googleapis.com/is_unused_reservation", "true"}}
	default:
		return
	}
	r.cost, _ = cm.HourlyFee().MulRatio(int64(units)*24, 1)
	r.amount = valdrix.NewDecimal(int64(units)*86400, 0)
	r.pricingAmount = valdrix.NewDecimal(int64(units)*24, 0)
	emit(&r)
}

// gcpBillingValues renders a billing row's columns as BigQuery's REST
// API encodes them (the "f"/"v" cells of jobs.getQueryResults).
func (e *Estate) gcpBillingValues(r *gcpBillingRow) map[string]any {
	acct := e.Accounts[r.project]
	kv := func(m map[string]string) []any {
		out := []any{}
		for _, k := range sortedKeys(m) {
			out = append(out, bqRecord(k, m[k]))
		}
		return out
	}
	sys := []any{}
	for _, l := range r.systemLabels {
		sys = append(sys, bqRecord(l[0], l[1]))
	}
	credits := []any{}
	for _, c := range r.credits {
		credits = append(credits, bqRecord(c.name, c.amount.String(), c.fullName, c.id, c.typ))
	}
	org := digits(newRand(e.Config.Company+"org"), 12)
	start := r.day.Time()
	micros := func(t time.Time) string { return fmt.Sprint(t.UnixMicro()) }
	return map[string]any{
		"billing_account_id": e.GCPBillingAccount,
		"service":            bqRecord(r.serviceID, r.serviceDesc),
		"sku":                bqRecord(skuID(r.skuDesc), r.skuDesc),
		"usage_start_time":   micros(start),
		"usage_end_time":     micros(start.Add(24 * time.Hour)),
		"project": bqRecord(acct.ID, acct.Number, acct.ID, []any{}, "/"+org+"/"+acct.Number+"/",
			[]any{bqRecord("projects/"+acct.Number, acct.ID), bqRecord("organizations/"+org, e.Config.Company+".example")}),
		"labels":                   kv(r.labels),
		"system_labels":            sys,
		"location":                 bqRecord(r.region, "", r.region, nullable(r.zone)),
		"resource":                 bqRecord(r.resourceName, r.globalName),
		"tags":                     []any{},
		"price":                    bqRecord(r.price.String(), "0", r.pricingUnit, "1"),
		"transaction_type":         "GOOGLE",
		"seller_name":              "Google",
		"export_time":              micros(r.exportTime()),
		"cost":                     r.cost.String(),
		"cost_at_list":             r.cost.String(),
		"currency":                 "USD",
		"currency_conversion_rate": "1",
		"usage":                    bqRecord(r.amount.String(), r.unit, r.pricingAmount.String(), r.pricingUnit),
		"credits":                  credits,
		"invoice":                  bqRecord(r.day.Month().Start().Time().Format("200601"), "Google"),
		"cost_type":                "regular",
		"adjustment_info":          nil,
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// bqRecordValue is a RECORD value; its JSON is {"f": [{"v": …}, …]}.
type bqRecordValue []any

// bqRecord makes a RECORD value of its fields' values: strings, nil,
// records and repeated values ([]any).
func bqRecord(vals ...any) bqRecordValue { return bqRecordValue(vals) }

// appendBQ appends the JSON of a cell value as BigQuery's REST API writes
// rows: records as {"f": [...]}, repeated values as [{"v": …}, …].
func appendBQ(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendJSONString(b, x)
	case bqRecordValue:
		b = append(b, `{"f":[`...)
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"v":`...)
			b = appendBQ(b, f)
			b = append(b, '}')
		}
		return append(b, "]}"...)
	case []any:
		b = append(b, '[')
		for i, f := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"v":`...)
			b = appendBQ(b, f)
			b = append(b, '}')
		}
		return append(b, ']')
	}
	raw, _ := json.Marshal(v)
	return append(b, raw...)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			raw, _ := json.Marshal(s)
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
