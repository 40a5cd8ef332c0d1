package optimization_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// The billing of a simulated estate, through the real ingestion readers:
// AWS lines as CUR 2.0 Parquet (ingestion.CUR2Writer), Azure and GCP lines
// as FOCUS 1.2 CSV (the simulator generates AWS lines only; the Azure and
// GCP lines below follow the same prices and the estate's state), each read
// back with ingestion.ReadPeriod into ledger rows.

// awsLedger returns the ledger rows of the estate's AWS billing over
// [start, end), read back from one CUR 2.0 Parquet file per billing period.
func awsLedger(t *testing.T, e *cloudsim.Estate, start, end time.Time) []ingestion.LedgerRow {
	t.Helper()
	bufs := map[valdrix.Month]*bytes.Buffer{}
	writers := map[valdrix.Month]*ingestion.CUR2Writer{}
	var months []valdrix.Month
	require.NoError(t, e.BillingLines(cloudsim.BillingConfig{Start: start, End: end}, func(l *cloudsim.BillingLine) error {
		w, ok := writers[l.BillingPeriod]
		if !ok {
			bufs[l.BillingPeriod] = &bytes.Buffer{}
			var err error
			if w, err = ingestion.NewCUR2Writer(bufs[l.BillingPeriod], ingestion.CUR2WriterOpts{}); err != nil {
				return err
			}
			writers[l.BillingPeriod] = w
			months = append(months, l.BillingPeriod)
		}
		return w.Write(cur2Line(l))
	}))
	var rows []ingestion.LedgerRow
	for _, m := range months {
		require.NoError(t, writers[m].Close())
		name := fmt.Sprintf("cur2/data/BILLING_PERIOD=%s/valdrix-00001.snappy.parquet", m)
		res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile(name, bufs[m].Bytes())}, ingestion.FormatCUR2, ingestion.ReadOptions{})
		require.NoError(t, err)
		rows = append(rows, res.Rows...)
	}
	return rows
}

// cur2Line is the CUR 2.0 line of a simulator billing line.
func cur2Line(l *cloudsim.BillingLine) ingestion.CUR2Line {
	f := func(d valdrix.Decimal) float64 { return d.Float64() }
	p := func(d valdrix.Decimal) *float64 { v := d.Float64(); return &v }
	c := ingestion.CUR2Line{
		BillBillType: "Anniversary", BillBillingEntity: "AWS", BillInvoicingEntity: "Amazon Web Services, Inc.",
		BillBillingPeriodStartDate: l.BillingPeriod.Start().Time(), BillBillingPeriodEndDate: l.BillingPeriod.End().Time(),
		BillPayerAccountID: l.PayerAccountID, BillPayerAccountName: l.PayerAccountName,
		LineItemAvailabilityZone: l.AvailabilityZone, LineItemCurrencyCode: "USD", LineItemLineItemDescription: l.Description,
		LineItemLineItemType: l.LineItemType, LineItemOperation: l.Operation, LineItemProductCode: l.ProductCode,
		LineItemResourceID: l.ResourceID, LineItemUsageAccountID: l.UsageAccountID, LineItemUsageAccountName: l.UsageAccountName,
		LineItemUsageType: l.UsageType, LineItemUsageStartDate: l.Start, LineItemUsageEndDate: l.End,
		LineItemUsageAmount: f(l.UsageAmount), LineItemUnblendedRate: f(l.UnblendedRate), LineItemUnblendedCost: f(l.UnblendedCost),
		LineItemBlendedCost: f(l.UnblendedCost), PricingPublicOnDemandCost: f(l.PublicOnDemandCost),
		PricingPublicOnDemandRate: f(l.PublicOnDemandRate), PricingPurchaseOption: l.PurchaseOption, PricingTerm: l.PricingTerm,
		PricingUnit: l.PricingUnit, ProductInstanceType: l.InstanceType, ProductProductFamily: l.ProductFamily,
		ProductRegionCode: l.Region, ProductUsagetype: l.UsageType, ReservationReservationARN: l.ReservationARN,
	}
	if l.VCPU > 0 {
		c.Product = []ingestion.MapEntry{{Key: "vcpu", Value: fmt.Sprint(l.VCPU)}}
	}
	switch l.LineItemType {
	case "DiscountedUsage":
		c.ReservationEffectiveCost = p(l.ReservationEffectiveCost)
	case "RIFee":
		c.ReservationUnusedRecurringFee = p(l.ReservationUnusedRecurringFee)
		c.ReservationUnusedAmortizedUpfrontFeeForBillingPeriod = p(0)
		c.ReservationTotalReservedUnits = p(l.UsageAmount)
	}
	keys := make([]string, 0, len(l.Tags))
	for k := range l.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		c.ResourceTags = append(c.ResourceTags, ingestion.MapEntry{Key: k, Value: l.Tags[k]})
	}
	return c
}

// focusColumns are the FOCUS 1.2 columns focusLedger writes.
var focusColumns = []string{
	"BillingAccountId", "SubAccountId", "SubAccountName", "ServiceProviderName", "ServiceName", "ServiceCategory",
	"RegionId", "ResourceId", "ResourceType", "ChargeCategory", "ChargeFrequency", "PricingCategory", "PricingUnit",
	"ConsumedUnit", "BillingCurrency", "CommitmentDiscountId", "CommitmentDiscountStatus", "CommitmentDiscountType",
	"CapacityReservationId", "CapacityReservationStatus", "x_UsageType", "ChargePeriodStart", "ChargePeriodEnd",
	"BillingPeriodStart", "BillingPeriodEnd", "BilledCost", "EffectiveCost", "ListCost", "ConsumedQuantity", "PricingQuantity",
}

// focusRow is one FOCUS line being built.
type focusRow struct {
	service, category, resourceID, resourceType, usageType, unit                  string
	pricing, commitmentID, commitmentStatus, commitmentType, capacityID, capacity string
	quantity, billed, effective                                                   valdrix.Decimal
}

// activeHours returns the hours of [t, end) in which resource i existed and,
// for running-billed kinds, ran (as the simulator's own billing does).
func activeHours(e *cloudsim.Estate, i int, t, end time.Time, running bool) valdrix.Decimal {
	x := &e.Resources[i]
	from, to := max(t.Unix(), x.Created), end.Unix()
	if running && (x.State == "stopped" || x.State == "deallocated" || x.State == "TERMINATED") {
		to = min(to, x.Changed)
	}
	if to <= from {
		return 0
	}
	return valdrix.Decimal((to - from) * valdrix.DecimalScale / 3600)
}

func mul(a valdrix.Decimal, num, den int64) valdrix.Decimal {
	v, _ := a.MulRatio(num, den)
	return v
}

// commitmentOf returns the id of the commitment of kind and SKU in the
// account and region of resource i.
func commitmentOf(e *cloudsim.Estate, i int, kind string) string {
	c := e.CellOfResource(i)
	for _, cm := range e.Commitments {
		if cm.Kind == kind && cm.SKU == e.Resources[i].SKU && cm.Region == c.Region && cm.Account == c.Account {
			return cm.BillingID()
		}
	}
	return ""
}

// focusLines returns the FOCUS lines of resource i over one day [t, end).
func focusLines(e *cloudsim.Estate, i int, t, end time.Time) []focusRow {
	x := &e.Resources[i]
	hourly := func(running bool, r focusRow) []focusRow {
		h := activeHours(e, i, t, end, running)
		if h == 0 {
			return nil
		}
		rate := e.HourlyRate(i)
		r.unit, r.quantity = "1 Hour", h
		r.billed, _ = h.Mul(rate)
		r.effective, r.pricing = r.billed, "Standard"
		return []focusRow{r}
	}
	storage := func(r focusRow) []focusRow {
		h := activeHours(e, i, t, end, false)
		if h == 0 {
			return nil
		}
		days := int64(valdrix.MonthOf(t).Days())
		r.unit, r.quantity = "1/Month", mul(h, 1, 24*days)
		r.billed = mul(e.StorageMonthly(i), int64(h), int64(24*days)*valdrix.DecimalScale)
		r.effective, r.pricing = r.billed, "Standard"
		return []focusRow{r}
	}
	switch x.Kind {
	case cloudsim.AzureVirtualMachine:
		rows := hourly(true, focusRow{service: "Virtual Machines", category: "Compute", usageType: x.SKU})
		if len(rows) == 1 && x.Flags&cloudsim.FlagReserved != 0 {
			rows[0].pricing, rows[0].commitmentStatus, rows[0].commitmentType = "Committed", "Used", "Reservation"
			rows[0].commitmentID = commitmentOf(e, i, "azure_reservation")
			rows[0].effective, rows[0].billed = mul(rows[0].billed, 62, 100), 0
		}
		return rows
	case cloudsim.AzureDisk, cloudsim.AzureSnapshot, cloudsim.AzureImage:
		return storage(focusRow{service: "Storage", category: "Storage", usageType: x.SKU + " " + strings.TrimPrefix(x.Kind.Type(), "azure.compute.")})
	case cloudsim.AzurePublicIP:
		return hourly(false, focusRow{service: "Virtual Network", category: "Networking", usageType: x.SKU + " IPv4 Static Public IP"})
	case cloudsim.AzureLoadBalancer:
		return hourly(false, focusRow{service: "Load Balancer", category: "Networking", usageType: "Standard Included LB Rules and Outbound Rules"})
	case cloudsim.AzureAppServicePlan:
		return hourly(false, focusRow{service: "Azure App Service", category: "Compute", usageType: x.SKU + " App"})
	case cloudsim.AzureSQLDatabase:
		ut := x.SKU + " DTUs"
		if cloudsim.IsVCore(x.SKU) {
			ut = "vCore"
		}
		rows := hourly(false, focusRow{service: "SQL Database", category: "Databases", usageType: ut})
		if len(rows) == 1 && x.Flags&cloudsim.FlagReserved != 0 && cloudsim.IsVCore(x.SKU) {
			rows[0].pricing, rows[0].commitmentStatus, rows[0].commitmentType = "Committed", "Used", "Reservation"
			rows[0].commitmentID = "/providers/microsoft.capacity/reservationorders/sql/reservations/" + x.Name
			rows[0].effective, rows[0].billed = mul(rows[0].billed, 67, 100), 0
		}
		return rows
	case cloudsim.GCPInstance:
		return hourly(true, focusRow{service: "Compute Engine", category: "Compute", usageType: x.SKU + " Instance Core running"})
	case cloudsim.GCPDisk, cloudsim.GCPSnapshot, cloudsim.GCPImage:
		return storage(focusRow{service: "Compute Engine", category: "Storage", usageType: "Storage " + x.SKU + " " + strings.TrimPrefix(x.Kind.Type(), "gcp.compute.")})
	case cloudsim.GCPAddress:
		return hourly(false, focusRow{service: "Compute Engine", category: "Networking", usageType: "Static Ip Charge"})
	case cloudsim.GCPSQLInstance:
		return append(hourly(false, focusRow{service: "Cloud SQL", category: "Databases", usageType: x.SKU + " vCPU and RAM"}),
			storage(focusRow{service: "Cloud SQL", category: "Storage", usageType: "Storage SSD"})...)
	}
	return nil
}

// commitmentLines returns the FOCUS lines of the unused part of Azure
// reservations, GCP reservations and GCP committed use discounts over one
// day.
func commitmentLines(cm *cloudsim.Commitment, t, end time.Time) []focusRow {
	if cm.Unused == 0 || cm.Start.After(t) {
		return nil
	}
	amount := mul(cm.HourlyFee(), int64(cm.Unused)*int64(end.Sub(t)/time.Hour), 1)
	qty := valdrix.NewDecimal(int64(cm.Unused)*int64(end.Sub(t)/time.Hour), 0)
	r := focusRow{resourceID: cm.BillingID(), usageType: cm.SKU, unit: "1 Hour", quantity: qty, billed: amount, effective: amount}
	switch cm.Kind {
	case "azure_reservation":
		r.service, r.category, r.pricing = "Virtual Machines", "Compute", "Committed"
		r.commitmentID, r.commitmentStatus, r.commitmentType, r.billed = cm.BillingID(), "Unused", "Reservation", 0
	case "gcp_reservation":
		r.service, r.category, r.pricing = "Compute Engine", "Compute", "Standard"
		r.capacityID, r.capacity = cm.BillingID(), "Unused"
	case "gcp_cud":
		r.service, r.category, r.pricing, r.usageType = "Compute Engine", "Compute", "Committed", "Commitment v1: Cpu for 1 Year"
		r.commitmentID, r.commitmentStatus, r.commitmentType = cm.BillingID(), "Unused", "Committed Use Discount"
	default:
		return nil
	}
	return []focusRow{r}
}

// focusLedger returns the ledger rows of provider p's billing (Azure or GCP)
// over [start, end), written as FOCUS CSV per billing period and read back.
func focusLedger(t *testing.T, e *cloudsim.Estate, p valdrix.Provider, start, end time.Time) []ingestion.LedgerRow {
	t.Helper()
	name := map[valdrix.Provider]string{valdrix.Azure: "Microsoft", valdrix.GCP: "Google Cloud"}[p]
	billing := map[valdrix.Provider]string{valdrix.Azure: e.AzureBillingAccount, valdrix.GCP: e.GCPBillingAccount}[p]
	files := map[valdrix.Month]*bytes.Buffer{}
	writers := map[valdrix.Month]*csv.Writer{}
	var months []valdrix.Month
	write := func(acct *cloudsim.Account, region string, day, dayEnd time.Time, r focusRow) {
		m := valdrix.MonthOf(day)
		w, ok := writers[m]
		if !ok {
			files[m] = &bytes.Buffer{}
			w = csv.NewWriter(files[m])
			require.NoError(t, w.Write(focusColumns))
			writers[m] = w
			months = append(months, m)
		}
		ts := func(x time.Time) string { return x.UTC().Format(time.RFC3339) }
		require.NoError(t, w.Write([]string{
			billing, acct.ID, acct.Name, name, r.service, r.category, region, r.resourceID, r.resourceType, "Usage",
			"Usage-Based", r.pricing, r.unit, r.unit, "USD", r.commitmentID, r.commitmentStatus, r.commitmentType,
			r.capacityID, r.capacity, r.usageType, ts(day), ts(dayEnd), ts(m.Start().Time()), ts(m.End().Time()),
			r.billed.String(), r.effective.String(), r.billed.String(), r.billed.String(), r.quantity.String(), r.quantity.String(),
		}))
	}
	for day := start; day.Before(end); day = day.Add(24 * time.Hour) {
		dayEnd := day.Add(24 * time.Hour)
		for ai := range e.Accounts {
			acct := &e.Accounts[ai]
			if acct.Provider != p {
				continue
			}
			for _, ci := range acct.Cells {
				c := &e.Cells[ci]
				for _, k := range cloudsim.Kinds(p) {
					lo, hi := c.Span(k)
					for i := lo; i < hi; i++ {
						for _, r := range focusLines(e, i, day, dayEnd) {
							r.resourceID, r.resourceType = e.BillingID(i), k.Type()
							write(acct, c.Region, day, dayEnd, r)
						}
					}
				}
			}
			for k := range e.Commitments {
				cm := &e.Commitments[k]
				if int(cm.Account) == ai {
					for _, r := range commitmentLines(cm, day, dayEnd) {
						write(acct, cm.Region, day, dayEnd, r)
					}
				}
			}
		}
	}
	var rows []ingestion.LedgerRow
	for _, m := range months {
		writers[m].Flush()
		require.NoError(t, writers[m].Error())
		res, err := ingestion.ReadPeriod(context.Background(), []ingestion.File{ingestion.MemoryFile(fmt.Sprintf("focus-%s-%s.csv", p, m), files[m].Bytes())},
			ingestion.FormatFOCUS, ingestion.ReadOptions{})
		require.NoError(t, err)
		rows = append(rows, res.Rows...)
	}
	return rows
}

// simMetrics is a cloud.Metrics answering from the estate's metric series
// (Estate.MetricStat). Resources are found by their CloudWatch dimension
// (instance, volume, function id; RDS and Redshift identifier) or, for Azure
// and GCP, the resource_id dimension. No datapoints is unknown, never zero.
type simMetrics struct {
	e     *cloudsim.Estate
	calls int
}

func (m *simMetrics) QueryMetrics(_ context.Context, _ cloud.Connection, qs []cloud.MetricQuery) ([]cloud.MetricResult, error) {
	m.calls++
	out := make([]cloud.MetricResult, len(qs))
	for k, q := range qs {
		i, ok := m.resolve(q)
		if !ok {
			out[k] = cloud.Unknown(q.ID, cloud.ReasonNoData, "no such resource")
			continue
		}
		stat := q.Stat
		switch stat {
		case "Total", "Count":
			stat = "Sum"
		}
		times, vals := m.e.MetricStat(i, q.Metric, stat, q.Start, q.End, q.Period)
		if len(vals) == 0 {
			out[k] = cloud.Unknown(q.ID, cloud.ReasonNoData, "no datapoints")
			continue
		}
		res := cloud.MetricResult{ID: q.ID, Status: cloud.MetricOK}
		for j := range vals {
			res.Points = append(res.Points, cloud.MetricPoint{Time: times[j], Value: vals[j]})
		}
		out[k] = res
	}
	return out, nil
}

func (m *simMetrics) resolve(q cloud.MetricQuery) (int, bool) {
	for _, d := range q.Dimensions {
		switch d.Name {
		case "DBInstanceIdentifier", "ClusterIdentifier":
			return m.e.LookupName(d.Value, q.Region)
		case "resource_id":
			if i, ok := m.e.Lookup(valdrix.Azure, d.Value); ok {
				return i, true
			}
			return m.e.Lookup(valdrix.GCP, d.Value)
		default:
			return m.e.Lookup(valdrix.AWS, d.Value)
		}
	}
	return 0, false
}
