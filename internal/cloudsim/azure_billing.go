package cloudsim

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// The billing model shared by the Azure export and the GCP BigQuery
// export: each resource is billed per UTC day for the seconds it ran
// (hourly prices) and the seconds it existed (storage, prorated from a
// 730-hour month), at the simulator's list prices in its region.

// BillingMonths returns the billing periods the simulator's exports hold:
// the two months before the estate's Now and the current month when it has
// at least one full day.
func (e *Estate) BillingMonths() []valdrix.Month {
	now := valdrix.MonthOf(e.Now)
	months := []valdrix.Month{now - 2, now - 1}
	if valdrix.DateOf(e.Now) > now.Start() {
		months = append(months, now)
	}
	return months
}

// billingDays returns the days of month m that are billed (before Now).
func (e *Estate) billingDays(m valdrix.Month) []valdrix.Date {
	var out []valdrix.Date
	last := valdrix.DateOf(e.Now)
	for d := m.Start(); d < m.End() && d < last; d++ {
		out = append(out, d)
	}
	return out
}

// alwaysBilled lists the kinds billed by the hour whatever their state.
func alwaysBilled(k Kind) bool {
	switch k {
	case AzurePublicIP, AzureLoadBalancer, AzureAppServicePlan, AzureSQLDatabase, GCPAddress, GCPSQLInstance:
		return true
	}
	return false
}

// usageOn returns how many seconds of day d resource i ran (for hourly
// prices) and existed (for storage).
func (e *Estate) usageOn(i int, d valdrix.Date) (run, exist int64) {
	x := &e.Resources[i]
	start, end := d.Time().Unix(), d.AddDays(1).Time().Unix()
	end = min(end, e.Now.Unix())
	overlap := func(lo, hi int64) int64 { return max(0, min(hi, end)-max(lo, start)) }
	exist = overlap(x.Created, end)
	switch {
	case alwaysBilled(x.Kind):
		run = exist
	case x.State == "stopped" || x.State == "deallocated" || x.State == "TERMINATED":
		if x.Changed != 0 {
			run = overlap(x.Created, x.Changed)
		}
	default:
		run = exist
	}
	return run, exist
}

// dayCharges returns resource i's hourly charge (rate × hours) and
// storage charge (monthly × share of a 730-hour month) for day d, with the
// hours and month share as quantities.
func (e *Estate) dayCharges(i int, d valdrix.Date) (hourly, hours, storage, monthShare valdrix.Decimal) {
	run, exist := e.usageOn(i, d)
	if run > 0 {
		if r := e.HourlyRate(i); r != 0 {
			hourly, _ = r.MulRatio(run, 3600)
			hours, _ = valdrix.NewDecimal(run, 0).MulRatio(1, 3600)
		}
	}
	if exist > 0 {
		if m := e.StorageMonthly(i); m != 0 {
			storage, _ = m.MulRatio(exist, hoursPerMonth*3600)
			monthShare, _ = valdrix.NewDecimal(exist, 0).MulRatio(1, hoursPerMonth*3600)
		}
	}
	return hourly, hours, storage, monthShare
}

// AzureCostExport configures a Cost Management export into Blob storage.
type AzureCostExport struct {
	// Subscription owns the storage account (default the estate's first
	// Azure subscription).
	Subscription   string
	StorageAccount string
	Container      string
	// Prefix is the export's root folder (may be empty).
	Prefix string
	// Name is the export's name (default "valdrix-actual", or
	// "valdrix-amortized" for the amortized dataset).
	Name string
	// Dataset is the export type: ActualCost (default) bills reservation
	// purchases as they are bought; AmortizedCost spreads them over the
	// usage they cover and bills what no VM used as UnusedReservation.
	Dataset string
	// Months are the billing periods delivered (default BillingMonths).
	Months []valdrix.Month
	// RowsPerFile splits a period into several part files (default 20000).
	RowsPerFile int
}

// Azure cost export datasets.
const (
	DatasetActualCost    = "ActualCost"
	DatasetAmortizedCost = "AmortizedCost"
)

// AzureCostExportManifest returns the blob name of the manifest of month m
// of export x (after defaults).
func (x AzureCostExport) manifestName(m valdrix.Month, runID string) string {
	return x.folder(m, runID) + "/manifest.json"
}

func (x AzureCostExport) folder(m valdrix.Month, runID string) string {
	p := strings.Trim(x.Prefix, "/")
	if p != "" {
		p += "/"
	}
	return fmt.Sprintf("%s%s/%s-%s/%s", p, x.Name, m.Start().Time().Format("20060102"), (m.End() - 1).Time().Format("20060102"), runID)
}

// AddAzureCostExport creates the export's storage account and container and
// delivers the estate's actual cost for each month: a run folder per
// period with CSV part files and the run's manifest.json, as the improved
// Cost Management exports lay them out.
func (s *Sim) AddAzureCostExport(x AzureCostExport) error {
	e := s.estate
	if x.Subscription == "" {
		subs := e.AccountsOf(valdrix.Azure)
		if len(subs) == 0 {
			return fmt.Errorf("cloudsim: the estate has no Azure subscription")
		}
		x.Subscription = e.Accounts[subs[0]].ID
	}
	switch x.Dataset {
	case "", DatasetActualCost:
		x.Dataset = DatasetActualCost
	case DatasetAmortizedCost:
	default:
		return fmt.Errorf("cloudsim: azure export dataset %q (want %s or %s)", x.Dataset, DatasetActualCost, DatasetAmortizedCost)
	}
	if x.Name == "" {
		x.Name = "valdrix-actual"
		if x.Dataset == DatasetAmortizedCost {
			x.Name = "valdrix-amortized"
		}
	}
	if x.Months == nil {
		x.Months = e.BillingMonths()
	}
	if x.RowsPerFile <= 0 {
		x.RowsPerFile = 20000
	}
	if err := s.CreateAzureStorage(x.Subscription, x.StorageAccount, x.Container); err != nil {
		return err
	}
	for _, m := range x.Months {
		if err := s.deliverAzureMonth(x, m); err != nil {
			return err
		}
	}
	s.azure.mu.Lock()
	s.azure.exports = append(s.azure.exports, x)
	s.azure.mu.Unlock()
	return nil
}

// azureCostHeader is the export's header: the EA/MCA cost-details columns
// (PascalCase), in the order Cost Management writes the common ones.
var azureCostHeader = []string{
	"BillingAccountId", "BillingAccountName", "BillingPeriodStartDate", "BillingPeriodEndDate", "BillingProfileId", "BillingProfileName",
	"AccountOwnerId", "AccountName", "SubscriptionId", "SubscriptionName", "Date", "Product", "PartNumber", "MeterId", "ServiceFamily",
	"MeterCategory", "MeterSubCategory", "MeterRegion", "MeterName", "Quantity", "EffectivePrice", "CostInBillingCurrency", "CostCenter",
	"ConsumedService", "ResourceId", "Tags", "OfferId", "AdditionalInfo", "ServiceInfo1", "ServiceInfo2", "ResourceName", "ReservationId",
	"ReservationName", "UnitPrice", "ProductOrderId", "ProductOrderName", "Term", "PublisherType", "PublisherName", "ChargeType", "Frequency",
	"PricingModel", "AvailabilityZone", "BillingCurrencyCode", "PayGPrice", "ResourceGroup", "ResourceLocation", "UnitOfMeasure",
	"IsAzureCreditEligible",
}

// azureCostLine is one line of the export before it is written.
type azureCostLine struct {
	day                                         valdrix.Date
	acct                                        int
	region, meterCategory, meterSub, meterName  string
	unit, consumed, family, product             string
	resourceID, resourceName, group, zone, info string
	tags                                        map[string]string
	quantity, price, payg, cost                 valdrix.Decimal
	chargeType, frequency, pricingModel         string
	reservationID, reservationName              string
}

// deliverAzureMonth writes the run folder of month m.
func (s *Sim) deliverAzureMonth(x AzureCostExport, m valdrix.Month) error {
	e := s.estate
	runID := guid(newRand(fmt.Sprintf("run:%s:%s:%s", x.StorageAccount, x.Name, m)))
	var parts [][]byte
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rows, total := 0, 0
	flush := func() error {
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		parts = append(parts, slices.Clone(buf.Bytes()))
		buf.Reset()
		rows = 0
		return nil
	}
	start, end := m.Start().Time().Format("01/02/2006"), (m.End() - 1).Time().Format("01/02/2006")
	var werr error
	e.azureCostLines(m, x.Dataset == DatasetAmortizedCost, func(l azureCostLine) {
		if werr != nil {
			return
		}
		if rows == 0 {
			werr = w.Write(azureCostHeader)
		}
		a := e.Accounts[l.acct]
		tags := ""
		if len(l.tags) > 0 {
			b, _ := json.Marshal(l.tags)
			tags = string(b)
		}
		rec := []string{
			e.AzureBillingAccount, strings.ToUpper(e.Config.Company[:1]) + e.Config.Company[1:], start, end, e.AzureBillingAccount, "Default billing profile",
			"owner@" + e.Config.Company + ".example", "Default account", a.ID, a.Name, l.day.Time().Format("01/02/2006"), l.product, "",
			guid(newRand("meter:" + l.meterName + l.region)), l.family, l.meterCategory, l.meterSub, regionDisplay(l.region), l.meterName,
			l.quantity.String(), l.price.String(), l.cost.String(), l.tags["costCenter"], l.consumed, l.resourceID, tags, "MS-AZR-0017P", l.info,
			"", "", l.resourceName, l.reservationID, l.reservationName, l.price.String(), "", "", "", "Azure", "Microsoft", l.chargeType,
			l.frequency, l.pricingModel, l.zone, "USD", l.payg.String(), l.group, l.region, l.unit, "True",
		}
		if werr = w.Write(rec); werr != nil {
			return
		}
		rows++
		total++
		if rows >= x.RowsPerFile {
			werr = flush()
		}
	})
	if werr != nil {
		return fmt.Errorf("cloudsim: azure export: %w", werr)
	}
	if rows > 0 || len(parts) == 0 {
		if rows == 0 {
			_ = w.Write(azureCostHeader)
		}
		if err := flush(); err != nil {
			return fmt.Errorf("cloudsim: azure export: %w", err)
		}
	}
	folder := x.folder(m, runID)
	type blobInfo struct {
		BlobName     string `json:"blobName"`
		ByteCount    int    `json:"byteCount"`
		DataRowCount int    `json:"dataRowCount"`
	}
	var blobs []blobInfo
	bytesTotal := 0
	for n, p := range parts {
		name := fmt.Sprintf("%s/part_1_%04d.csv", folder, n+1)
		if err := s.PutAzureBlob(x.StorageAccount, x.Container, name, "text/csv", p); err != nil {
			return err
		}
		blobs = append(blobs, blobInfo{name, len(p), bytes.Count(p, []byte("\n")) - 1})
		bytesTotal += len(p)
	}
	exportID := fmt.Sprintf("/subscriptions/%s/providers/Microsoft.CostManagement/exports/%s", x.Subscription, x.Name)
	man := map[string]any{
		"manifestVersion": "2024-04-01", "byteCount": bytesTotal, "blobCount": len(blobs), "dataRowCount": total,
		"exportConfig": map[string]any{
			"exportName": x.Name, "resourceId": exportID, "dataVersion": "2023-12-01-preview", "apiVersion": "2023-07-01-preview",
			"type": x.Dataset, "timeFrame": "Custom", "granularity": "Daily",
		},
		"deliveryConfig": map[string]any{
			"partitionData": true, "dataOverwriteBehavior": "OverwritePreviousReport", "fileFormat": "Csv", "compressionMode": "None",
			"containerUri":   fmt.Sprintf("/subscriptions/%s/resourceGroups/cost-exports/providers/Microsoft.Storage/storageAccounts/%s", x.Subscription, x.StorageAccount),
			"rootFolderPath": strings.Trim(x.Prefix, "/"),
		},
		"runInfo": map[string]any{
			"executionType": "Scheduled", "submittedTime": e.Now.Add(-2 * time.Hour).Format("2006-01-02T15:04:05.0000000Z"), "runId": runID,
			"startDate": m.Start().Time().Format("2006-01-02T15:04:05"), "endDate": m.End().Time().Add(-time.Second).Format("2006-01-02T15:04:05"),
		},
		"blobs": blobs,
	}
	raw, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("cloudsim: azure manifest: %w", err)
	}
	return s.PutAzureBlob(x.StorageAccount, x.Container, x.manifestName(m, runID), "application/json", raw)
}

func regionDisplay(region string) string {
	for _, r := range azureRegions {
		if r.Name == region {
			return r.Code
		}
	}
	return region
}

// azureCostLines emits the estate's Azure cost lines of month m, by day,
// subscription and resource, then the reservation purchases (actual cost)
// or each day's unused reservation hours (amortized cost).
func (e *Estate) azureCostLines(m valdrix.Month, amortized bool, emit func(azureCostLine)) {
	accts := e.AccountsOf(valdrix.Azure)
	for _, d := range e.billingDays(m) {
		for _, ai := range accts {
			for _, ci := range e.Accounts[ai].Cells {
				c := &e.Cells[ci]
				for _, k := range Kinds(valdrix.Azure) {
					lo, hi := c.Span(k)
					for i := lo; i < hi; i++ {
						e.azureResourceLines(i, d, amortized, emit)
					}
				}
			}
		}
	}
	if amortized {
		e.azureUnusedReservationLines(m, emit)
		return
	}
	// Reservations are bought monthly: one Purchase line on the month's
	// first day (ActualCost shows purchases, not amortized use).
	first := m.Start()
	if first >= valdrix.DateOf(e.Now) {
		return
	}
	for ci := range e.Commitments {
		cm := &e.Commitments[ci]
		if cm.Provider != valdrix.Azure || !cm.Start.Before(m.End().Time()) || !cm.End.After(first.Time()) {
			continue
		}
		fee, _ := cm.HourlyFee().MulRatio(int64(m.Days()*24), 1)
		cost, _ := fee.MulRatio(int64(cm.Units), 1)
		emit(azureCostLine{
			day: first, acct: int(cm.Account), region: cm.Region, meterCategory: "Virtual Machines", meterSub: vmSeries(cm.SKU),
			meterName: vmMeter(cm.SKU), unit: "1 Month", consumed: "Microsoft.Capacity", family: "Compute",
			product:  fmt.Sprintf("Reserved VM Instance, %s, %s, 1 Year", cm.SKU, regionDisplay(cm.Region)),
			quantity: valdrix.NewDecimal(int64(cm.Units), 0), price: fee, payg: 0, cost: cost,
			chargeType: "Purchase", frequency: "Recurring", pricingModel: "Reservation",
			reservationID: cm.ID, reservationName: "VM_RI_" + cm.SKU,
		})
	}
}

// azureUnusedReservationLines emits, per day of month m, the hours of each
// reservation that no VM used, at the reservation's hourly fee: the
// AmortizedCost dataset's UnusedReservation charges. As in Cost
// Management, the line names the reservation but no resource.
func (e *Estate) azureUnusedReservationLines(m valdrix.Month, emit func(azureCostLine)) {
	for _, d := range e.billingDays(m) {
		for ci := range e.Commitments {
			cm := &e.Commitments[ci]
			if cm.Provider != valdrix.Azure || cm.Unused == 0 || d < valdrix.DateOf(cm.Start) || !d.Time().Before(cm.End) {
				continue
			}
			hours := valdrix.NewDecimal(int64(cm.Unused)*24, 0)
			cost, _ := cm.HourlyFee().MulRatio(int64(cm.Unused)*24, 1)
			emit(azureCostLine{
				day: d, acct: int(cm.Account), region: cm.Region, meterCategory: "Virtual Machines", meterSub: vmSeries(cm.SKU),
				meterName: vmMeter(cm.SKU), unit: "1 Hour", consumed: "Microsoft.Capacity", family: "Compute",
				product:  fmt.Sprintf("Reserved VM Instance, %s, %s, 1 Year", cm.SKU, regionDisplay(cm.Region)),
				quantity: hours, price: cm.HourlyFee(), payg: azureVMHourly(cm.SKU), cost: cost,
				chargeType: "UnusedReservation", frequency: "UsageBased", pricingModel: "Reservation",
				reservationID: cm.ID, reservationName: "VM_RI_" + cm.SKU,
			})
		}
	}
}

// azureResourceLines emits resource i's usage lines of day d; a reserved
// VM's hours cost nothing in the actual dataset and the reservation's
// hourly fee in the amortized one.
func (e *Estate) azureResourceLines(i int, d valdrix.Date, amortized bool, emit func(azureCostLine)) {
	x := &e.Resources[i]
	if x.Kind == AzureResourceGroup || x.Kind == AzureNetworkInterface {
		return // free
	}
	hourly, hours, storage, share := e.dayCharges(i, d)
	if hours == 0 && share == 0 {
		return
	}
	c := e.CellOfResource(i)
	l := azureCostLine{
		day: d, acct: int(c.Account), region: c.Region, resourceID: e.BillingID(i), resourceName: x.Name, tags: e.Tags(i),
		chargeType: "Usage", frequency: "UsageBased", pricingModel: "OnDemand",
	}
	if x.Ref2 >= 0 {
		l.group = e.Resources[x.Ref2].Name
	}
	if x.Kind == AzureVirtualMachine || x.Kind == AzureDisk {
		l.zone = itoa(int(x.Zone) + 1)
	}
	rate := e.HourlyRate(i)
	switch x.Kind {
	case AzureVirtualMachine:
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "Virtual Machines", vmSeries(x.SKU), vmMeter(x.SKU), "Compute", "Microsoft.Compute"
		info, _ := json.Marshal(map[string]any{"UsageType": "ComputeHR", "ImageType": "Canonical", "ServiceType": x.SKU, "VCPUs": vcpus(x.SKU)})
		l.info = string(info)
	case AzureDisk:
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "Storage", diskSeries(x.SKU), diskTier(x.SKU, x.Size)+" Disk", "Storage", "Microsoft.Compute"
	case AzureSnapshot, AzureImage:
		red := "LRS"
		if strings.HasSuffix(x.SKU, "ZRS") {
			red = "ZRS"
		}
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "Storage", "Standard HDD Managed Disks", red+" Snapshots", "Storage", "Microsoft.Compute"
	case AzurePublicIP:
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "Virtual Network", "IP Addresses", x.SKU+" IPv4 Static Public IP", "Networking", "Microsoft.Network"
	case AzureLoadBalancer:
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "Load Balancer", "", "Standard Included LB Rules and Outbound Rules", "Networking", "Microsoft.Network"
	case AzureAppServicePlan:
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "Azure App Service", planTier(x.SKU)+" Plan", x.SKU+" App", "Compute", "Microsoft.Web"
	case AzureSQLDatabase:
		l.meterCategory, l.meterSub, l.meterName, l.family, l.consumed = "SQL Database", sqlTier(x.SKU)+" - Compute Gen5", "vCore", "Databases", "Microsoft.Sql"
	}
	l.product = l.meterCategory + " " + l.meterSub + " - " + l.meterName + " - " + regionDisplay(c.Region)
	if hours != 0 {
		h := l
		h.unit, h.quantity, h.price, h.payg, h.cost = "1 Hour", hours, rate, rate, hourly
		if x.Flags&FlagReserved != 0 {
			h.pricingModel, h.price, h.cost = "Reservation", 0, 0
			cm, id := e.azureReservationOf(i)
			h.reservationID, h.reservationName = id, "VM_RI_"+x.SKU
			if amortized && cm != nil {
				h.price = cm.HourlyFee()
				h.cost, _ = h.price.Mul(hours)
			}
		}
		emit(h)
	}
	if share != 0 {
		st := l
		monthly := e.StorageMonthly(i)
		st.unit, st.quantity, st.price, st.payg, st.cost = "1/Month", share, monthly, monthly, storage
		if x.Kind == AzureSnapshot || x.Kind == AzureImage {
			gb, _ := share.MulRatio(int64(x.Size), 1)
			perGB, _ := monthly.MulRatio(1, int64(max(x.Size, 1)))
			st.unit, st.quantity, st.price, st.payg = "1 GB/Month", gb, perGB, perGB
		}
		emit(st)
	}
}

// azureReservationOf returns the reservation covering reserved resource i
// and its id: its cell's VM reservation, or (nil and) a SQL reserved
// capacity id, which the estate does not model as a commitment.
func (e *Estate) azureReservationOf(i int) (*Commitment, string) {
	x := &e.Resources[i]
	for ci := range e.Commitments {
		cm := &e.Commitments[ci]
		if cm.Provider == valdrix.Azure && int(cm.Account) == int(e.CellOfResource(i).Account) && cm.Region == e.CellOfResource(i).Region && cm.SKU == x.SKU {
			return cm, cm.ID
		}
	}
	return nil, fmt.Sprintf("/providers/Microsoft.Capacity/reservationOrders/%s/reservations/%s", guid(newRand("sqlro:"+x.ID)), guid(newRand("sqlr:"+x.ID)))
}

// vmSeries returns a VM size's meter subcategory ("Dsv3 Series").
func vmSeries(size string) string {
	fam, ver, _ := strings.Cut(strings.TrimPrefix(size, "Standard_"), "_")
	letters := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return -1
		}
		return r
	}, fam)
	return letters + ver + " Series"
}

// vmMeter returns a VM size's meter name ("D2s v3").
func vmMeter(size string) string {
	s := strings.TrimPrefix(size, "Standard_")
	fam, ver, _ := strings.Cut(s, "_")
	if ver != "" {
		return fam + " " + ver
	}
	return fam
}

func diskSeries(sku string) string {
	switch sku {
	case "Premium_LRS":
		return "Premium SSD Managed Disks"
	case "StandardSSD_LRS":
		return "Standard SSD Managed Disks"
	}
	return "Standard HDD Managed Disks"
}

// diskTier names a managed disk's size tier ("P10 LRS").
func diskTier(sku string, gib int32) string {
	letter := "S"
	switch sku {
	case "Premium_LRS":
		letter = "P"
	case "StandardSSD_LRS":
		letter = "E"
	}
	tiers := []int32{32, 64, 128, 256, 512, 1024}
	names := []string{"4", "6", "10", "15", "20", "30"}
	for n, t := range tiers {
		if gib <= t {
			return letter + names[n] + " LRS"
		}
	}
	return letter + "30 LRS"
}
