package zombie

import (
	"math/bits"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// MonthDays is the month length that costs are normalised to: 30.44 days
// (365.25 / 12), as the carbon estimates are.
const MonthDays = 30.44

// monthCenti is MonthDays in hundredths, for exact decimal scaling.
const monthCenti = 3044

// MaxWindowDays bounds the detection window: the day sets of the ledger
// summaries hold 128 days from the start of the window's first billing month.
const MaxWindowDays = 90

// Window is the range of charge days the detection reads. Usage is read from
// Start (inclusive) to End (exclusive); recurring fees (AWS RIFee lines,
// charged on the first day of the month) are read from FeesFrom, the first
// day of Start's billing month, so that a trailing window that starts after
// the 1st still sees its first month's fee.
type Window struct {
	Start    valdrix.Date `json:"start"`
	End      valdrix.Date `json:"end"`
	FeesFrom valdrix.Date `json:"fees_from"`
}

// NewWindow returns the window of days days ending before end (exclusive).
func NewWindow(end valdrix.Date, days int) (Window, error) {
	if days < 1 || days > MaxWindowDays {
		return Window{}, valdrix.FieldError("window_days", "the detection window must be 1 to %d days (got %d)", MaxWindowDays, days)
	}
	start := end.AddDays(-days)
	return Window{Start: start, End: end, FeesFrom: start.Month().Start()}, nil
}

// Days returns the number of usage days.
func (w Window) Days() int { return int(w.End - w.Start) }

// Contains reports whether d is a usage day of the window.
func (w Window) Contains(d valdrix.Date) bool { return d >= w.Start && d < w.End }

// DaySet is a set of days counted from a window's FeesFrom.
type DaySet [2]uint64

func (s *DaySet) add(i int) { s[i>>6] |= 1 << (uint(i) & 63) }

// Has reports whether day index i is in the set.
func (s DaySet) Has(i int) bool { return i >= 0 && i < 128 && s[i>>6]&(1<<(uint(i)&63)) != 0 }

// Count returns the number of days in the set.
func (s DaySet) Count() int { return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) }

// Union returns the union of two sets.
func (s DaySet) Union(o DaySet) DaySet { return DaySet{s[0] | o[0], s[1] | o[1]} }

// First returns the smallest day index, or -1 for the empty set.
func (s DaySet) First() int {
	switch {
	case s[0] != 0:
		return bits.TrailingZeros64(s[0])
	case s[1] != 0:
		return 64 + bits.TrailingZeros64(s[1])
	}
	return -1
}

// Last returns the largest day index, or -1 for the empty set.
func (s DaySet) Last() int {
	switch {
	case s[1] != 0:
		return 127 - bits.LeadingZeros64(s[1])
	case s[0] != 0:
		return 63 - bits.LeadingZeros64(s[0])
	}
	return -1
}

// LineKey is what identifies a ledger line of a resource apart from the
// day: the ledger row's dimensions. Keys are interned, so resources billed
// alike share one.
type LineKey struct {
	Provider                  valdrix.Provider
	SubAccountID              string
	RegionID                  string
	ServiceName               string
	ServiceCategory           string
	ResourceType              string
	UsageType                 string
	Operation                 string
	ChargeCategory            string
	ChargeFrequency           string
	PricingCategory           string
	PricingUnit               string
	ConsumedUnit              string
	BillingCurrency           string
	CommitmentDiscountID      string
	CommitmentDiscountType    string
	CommitmentDiscountStatus  string
	CapacityReservationStatus string
	InstanceType              string
	VCPUs                     valdrix.Decimal
	Extensions                string
}

func keyOf(r *ingestion.LedgerRow) LineKey {
	return LineKey{
		Provider: r.Provider, SubAccountID: r.SubAccountID, RegionID: r.RegionID, ServiceName: r.ServiceName,
		ServiceCategory: r.ServiceCategory, ResourceType: r.ResourceType, UsageType: r.UsageType, Operation: r.Operation,
		ChargeCategory: r.ChargeCategory, ChargeFrequency: r.ChargeFrequency, PricingCategory: r.PricingCategory,
		PricingUnit: r.PricingUnit, ConsumedUnit: r.ConsumedUnit, BillingCurrency: r.BillingCurrency,
		CommitmentDiscountID: r.CommitmentDiscountID, CommitmentDiscountType: r.CommitmentDiscountType,
		CommitmentDiscountStatus: r.CommitmentDiscountStatus, CapacityReservationStatus: r.CapacityReservationStatus,
		InstanceType: r.InstanceType, VCPUs: r.VCPUs, Extensions: r.Extensions,
	}
}

// matches reports whether a row of the same resource belongs to line k.
// Within one resource, the line is told apart by what it bills and how it
// is priced; the fields that describe the resource itself (provider,
// account, region, currency, service, extension columns) are taken from the
// line's first row, which keeps the per-row comparison short.
func (k *LineKey) matches(r *ingestion.LedgerRow) bool {
	return k.UsageType == r.UsageType && k.Operation == r.Operation && k.ChargeCategory == r.ChargeCategory &&
		k.PricingCategory == r.PricingCategory && k.CommitmentDiscountID == r.CommitmentDiscountID &&
		k.CommitmentDiscountStatus == r.CommitmentDiscountStatus && k.CapacityReservationStatus == r.CapacityReservationStatus &&
		k.ChargeFrequency == r.ChargeFrequency && k.PricingUnit == r.PricingUnit && k.InstanceType == r.InstanceType &&
		k.ResourceType == r.ResourceType
}

// awsRegionCodes are the region prefixes of AWS usage types
// ("USE1-BoxUsage:m5.large"), from the AWS price list's usagetype values.
var awsRegionCodes = map[string]bool{
	"USE1": true, "USE2": true, "USW1": true, "USW2": true, "UGW1": true, "UGE1": true, "CAN1": true, "CAW1": true,
	"EU": true, "EUC1": true, "EUC2": true, "EUW1": true, "EUW2": true, "EUW3": true, "EUN1": true, "EUS1": true, "EUS2": true,
	"APN1": true, "APN2": true, "APN3": true, "APS1": true, "APS2": true, "APS3": true, "APS4": true, "APS5": true,
	"APS6": true, "APS7": true, "APE1": true, "SAE1": true, "MES1": true, "MEC1": true, "AFS1": true, "ILC1": true,
	"MXC1": true, "CPT": true,
}

// Base returns the usage type without an AWS region prefix:
// "USE1-BoxUsage:m5.large" → "BoxUsage:m5.large". Azure meters and GCP SKU
// descriptions are returned unchanged.
func (k *LineKey) Base() string {
	if p, rest, ok := strings.Cut(k.UsageType, "-"); ok && rest != "" && awsRegionCodes[p] {
		return rest
	}
	return k.UsageType
}

// IsCommitted reports whether the line is usage covered by a commitment
// (reservation, savings plan, committed use discount).
func (k *LineKey) IsCommitted() bool {
	return k.PricingCategory == "Committed" || k.CommitmentDiscountStatus == "Used"
}

// IsOnDemand reports whether the line is usage at on-demand (standard) rates.
func (k *LineKey) IsOnDemand() bool {
	return k.ChargeCategory == "Usage" && k.PricingCategory == "Standard" && k.CommitmentDiscountID == ""
}

// Line is one ledger line of a resource summed over the days of one billing
// month inside the window.
type Line struct {
	*LineKey
	Month valdrix.Month
	// Days holds the days with rows, counted from the window's FeesFrom.
	Days             DaySet
	ConsumedQuantity valdrix.Decimal
	PricingQuantity  valdrix.Decimal
	BilledCost       valdrix.Decimal
	EffectiveCost    valdrix.Decimal
	ListCost         valdrix.Decimal
	// Missing has a bit set when some row lacked that optional metric.
	Missing ingestion.Missing
	Rows    int
}

// IsFee reports whether the line is a monthly recurring fee (one row on the
// first day of its month, as AWS bills RIFee), normalised per billing month
// rather than per day.
func (l *Line) IsFee(w Window) bool {
	return l.ChargeFrequency == "Recurring" && l.Days.Count() == 1 && w.FeesFrom.AddDays(l.Days.First()) == l.Month.Start()
}

// entry is the compact form of a Line in the Ledger. It holds no pointer
// (the key is an index), so the garbage collector does not scan the
// entries of a million resources.
type entry struct {
	key       uint32
	next      int32
	month     valdrix.Month
	days      DaySet
	consumed  valdrix.Decimal
	pricing   valdrix.Decimal
	billed    valdrix.Decimal
	effective valdrix.Decimal
	list      valdrix.Decimal
	missing   ingestion.Missing
	rows      int32
}

// Ledger aggregates ledger rows per billed resource into Lines as they
// stream by, so detection over millions of rows holds one small entry per
// resource, line and month. Resources are slots numbered in order of first
// appearance; Scope.Finish joins them to the inventory by billing id. It is
// not safe for concurrent use, but is independent of the inventory, so the
// two can be filled at the same time.
type Ledger struct {
	w       Window
	keys    map[LineKey]uint32
	keyList []*LineKey
	entries chunked[entry]
	heads   []int32
	ids     idIndex
	slots   chunked[slot]
	strs    strTable
	last    int32 // the slot of the previous row (−1 before the first)
	// succ is, per slot, the slot whose row followed it last time.
	succ []int32
	// lastAccount is the account last marked covered.
	lastAccount string
	// monthDay and month cache the billing month of the last row's day.
	monthDay valdrix.Date
	month    valdrix.Month
	through  valdrix.Date
	covered  map[string]bool
	// used sums, per commitment id, the effective cost of the usage it
	// covered in the window (rows with CommitmentDiscountStatus Used).
	used map[string]valdrix.Decimal
	// cud sums GCP committed use discount fees and credits per account,
	// region and day of the window: a standard GCP export does not say
	// which commitment a credit came from (see RegionalCommitments).
	cud     map[cudKey]cudDay
	rows    int64
	skipped int64
	err     error
}

// slot is a billed resource: what its first row says about it. Account and
// region are indexes into the ledger's string table.
type slot struct {
	id       string
	tags     string
	account  uint32
	region   uint32
	provider uint8
}

// NewLedger returns an empty ledger for window w.
func NewLedger(w Window) *Ledger {
	return &Ledger{w: w, keys: map[LineKey]uint32{}, ids: newIDIndex(), covered: map[string]bool{}, strs: newStrTable(),
		used: map[string]valdrix.Decimal{}, cud: map[cudKey]cudDay{}, through: w.Start - 1, last: -1}
}

// CUDType is the FOCUS CommitmentDiscountType of a GCP committed use
// discount.
const CUDType = ingestion.CommitmentTypeCUD

type cudKey struct {
	account, region string
	day             valdrix.Date
}

// cudDay is a day's committed use discount fees and credits (credits are
// negative) in one account and region.
type cudDay struct{ fee, credit valdrix.Decimal }

// addCUD counts a GCP commitment fee row (billed to the commitment) or a
// committed use discount credit (billed to the usage it covered).
func (l *Ledger) addCUD(row *ingestion.LedgerRow) {
	k := cudKey{account: row.SubAccountID, region: row.RegionID, day: row.ChargeDay}
	d := l.cud[k]
	switch {
	case row.ChargeCategory == "Credit":
		d.credit, _ = d.credit.Add(row.EffectiveCost)
	case row.ResourceID != "" && row.ResourceID == row.CommitmentDiscountID && isCUDFee(row.ChargeCategory, row.CommitmentDiscountStatus):
		d.fee, _ = d.fee.Add(row.EffectiveCost)
	default:
		return
	}
	l.cud[k] = d
}

// isCUDFee reports whether a GCP committed use discount row billed to the
// commitment itself is its fee as the standard billing export bills it:
// usage with no FOCUS commitment status (FOCUS exports bill a Purchase).
func isCUDFee(category, status string) bool { return category == "Usage" && status == "" }

// RegionalCommitments sums the committed use discount fees and credits
// (negative) billed in an account and region from day from to the end of
// the window; false when no fee was billed there.
func (l *Ledger) RegionalCommitments(account, region string, from valdrix.Date) (fee, credit valdrix.Decimal, ok bool) {
	for k, d := range l.cud {
		if k.account != account || k.region != region || k.day < from {
			continue
		}
		fee, _ = fee.Add(d.fee)
		credit, _ = credit.Add(d.credit)
	}
	return fee, credit, fee > 0
}

// AddRow adds a row to the resource it bills. Rows without a resource id
// only count towards the ledger's freshness; rows outside the window are
// counted as skipped.
func (l *Ledger) AddRow(row *ingestion.LedgerRow) {
	if row.CommitmentDiscountType == CUDType && row.Provider == valdrix.GCP && l.w.Contains(row.ChargeDay) {
		l.addCUD(row)
	}
	if row.ResourceID == "" {
		l.Observe(row)
		return
	}
	if !l.Accepts(row) {
		l.skipped++
		return
	}
	if row.CommitmentDiscountStatus == "Used" && row.CommitmentDiscountID != "" && l.w.Contains(row.ChargeDay) {
		id := billingKey(row.Provider, row.CommitmentDiscountID)
		l.used[id], _ = l.used[id].Add(row.EffectiveCost)
	}
	k := billingKey(row.Provider, row.ResourceID)
	i := l.predict(k)
	if i < 0 {
		var ok bool
		if i, ok = l.ids.find(k, l.slotID); !ok {
			i = int32(l.slots.add(slot{id: k, provider: l.strs.provider(row.Provider), account: l.strs.index(row.SubAccountID),
				region: l.strs.index(row.RegionID), tags: row.Tags}))
			l.succ = append(l.succ, -1)
			l.ids.insert(k, i)
		}
		if l.last >= 0 {
			l.succ[l.last] = i
		}
	}
	l.last = i
	l.add(i, row)
}

// predict returns the slot of billing id k when it is the one that
// followed the previous row's last time, or the previous row's, else −1. A ledger
// read in charge-day order lists a day's resources in the same order every
// day (ingestion and the store sort rows by day and key), so after the
// first day the prediction is almost always right: the map lookup, a cache
// miss per row over a million resources, is skipped.
func (l *Ledger) predict(k string) int32 {
	if l.last < 0 {
		return -1
	}
	if n := l.succ[l.last]; n >= 0 && l.slots.at(int(n)).id == k {
		return n
	}
	if l.slots.at(int(l.last)).id == k {
		return l.last
	}
	return -1
}

// slotOf returns the slot of a billing id.
func (l *Ledger) slotOf(p valdrix.Provider, id string) (int32, bool) {
	return l.ids.find(billingKey(p, id), l.slotID)
}

func (l *Ledger) slotID(i int32) string { return l.slots.at(int(i)).id }

// Window returns the ledger's window.
func (l *Ledger) Window() Window { return l.w }

// Accepts reports whether a row with this day and frequency is read: usage
// days of the window, and recurring fees from FeesFrom.
func (l *Ledger) Accepts(r *ingestion.LedgerRow) bool {
	return l.w.Contains(r.ChargeDay) || (r.ChargeDay >= l.w.FeesFrom && r.ChargeDay < l.w.End && r.ChargeFrequency == "Recurring")
}

// Observe records a row of the connection that belongs to no subject (tax,
// support, rows without a resource id): it still shows that the account has
// billing data through its day.
func (l *Ledger) Observe(r *ingestion.LedgerRow) {
	if !l.w.Contains(r.ChargeDay) {
		return
	}
	l.rows++
	if r.ChargeDay > l.through {
		l.through = r.ChargeDay
	}
}

// add adds an accepted row to a slot.
func (l *Ledger) add(subject int32, r *ingestion.LedgerRow) {
	l.rows++
	if l.w.Contains(r.ChargeDay) {
		if r.ChargeDay > l.through {
			l.through = r.ChargeDay
		}
		if r.SubAccountID != l.lastAccount {
			l.covered[r.SubAccountID] = true
			l.lastAccount = r.SubAccountID
		}
	}
	for int(subject) >= len(l.heads) {
		l.heads = append(l.heads, -1)
	}
	if r.ChargeDay != l.monthDay {
		l.monthDay, l.month = r.ChargeDay, r.ChargeDay.Month()
	}
	month := l.month
	var e *entry
	for i := l.heads[subject]; i >= 0; i = l.entries.at(int(i)).next {
		if c := l.entries.at(int(i)); c.month == month && l.keyList[c.key].matches(r) {
			e = c
			break
		}
	}
	if e == nil {
		k := keyOf(r)
		p, ok := l.keys[k]
		if !ok {
			p = uint32(len(l.keyList))
			l.keyList = append(l.keyList, &k)
			l.keys[k] = p
		}
		n := l.entries.add(entry{key: p, next: l.heads[subject], month: month})
		l.heads[subject] = int32(n)
		e = l.entries.at(n)
	}
	e.days.add(int(r.ChargeDay - l.w.FeesFrom))
	e.rows++
	e.missing |= r.Missing
	for _, s := range [...]struct {
		dst *valdrix.Decimal
		v   valdrix.Decimal
	}{{&e.consumed, r.ConsumedQuantity}, {&e.pricing, r.PricingQuantity}, {&e.billed, r.BilledCost}, {&e.effective, r.EffectiveCost}, {&e.list, r.ListCost}} {
		v, ok := s.dst.Add(s.v)
		if !ok && l.err == nil {
			l.err = valdrix.Errorf(valdrix.EINVALID, "the ledger sums of resource %q overflow", r.ResourceID)
		}
		*s.dst = v
	}
}

// Err returns the first overflow, if any.
func (l *Ledger) Err() error { return l.err }

// Through returns the last usage day with ledger data, or the day before
// the window when there is none.
func (l *Ledger) Through() valdrix.Date { return l.through }

// Covered reports whether the ledger has resource-level rows for the
// account in the window: a resource of a covered account without rows was
// not billed; one of an uncovered account is unpriced.
func (l *Ledger) Covered(account string) bool { return l.covered[account] }

// Rows returns the number of rows read and skipped (outside the window).
func (l *Ledger) Rows() (read, skipped int64) { return l.rows, l.skipped }

// Entries returns the number of line entries held (for capacity figures).
func (l *Ledger) Entries() int { return l.entries.len() }

// usage returns a slot's lines, sorted by usage type, operation and month
// (no lines for slot −1).
func (l *Ledger) usage(subject int32, account string) Usage {
	u := Usage{Window: l.w, Through: l.through, Covered: l.covered[account]}
	if subject < 0 || int(subject) >= len(l.heads) {
		return u
	}
	for i := l.heads[subject]; i >= 0; i = l.entries.at(int(i)).next {
		e := l.entries.at(int(i))
		u.Lines = append(u.Lines, Line{
			LineKey: l.keyList[e.key], Month: e.month, Days: e.days, ConsumedQuantity: e.consumed, PricingQuantity: e.pricing,
			BilledCost: e.billed, EffectiveCost: e.effective, ListCost: e.list, Missing: e.missing, Rows: int(e.rows),
		})
	}
	slices.SortFunc(u.Lines, func(a, b Line) int {
		return cmpLines(&a, &b)
	})
	return u
}

func cmpLines(a, b *Line) int {
	if c := strings.Compare(a.UsageType, b.UsageType); c != 0 {
		return c
	}
	if c := strings.Compare(a.Operation, b.Operation); c != 0 {
		return c
	}
	if c := strings.Compare(a.ChargeCategory, b.ChargeCategory); c != 0 {
		return c
	}
	if c := strings.Compare(a.CommitmentDiscountID, b.CommitmentDiscountID); c != 0 {
		return c
	}
	return int(a.Month - b.Month)
}

// Usage is one resource's ledger lines over the window.
type Usage struct {
	Window Window
	// Through is the last day with ledger data (for any resource of the
	// connection): "the last N days" are counted back from it, so a ledger
	// that lags a day or two does not read as idle.
	Through valdrix.Date
	// Covered is true when the account has resource-level ledger rows in the
	// window; without them, a resource with no lines is unpriced, not free.
	Covered bool
	Lines   []Line
}

// Empty reports whether the resource has no lines.
func (u Usage) Empty() bool { return len(u.Lines) == 0 }

// Where returns the usage restricted to the lines match accepts.
func (u Usage) Where(match func(*Line) bool) Usage {
	out := u
	out.Lines = nil
	for i := range u.Lines {
		if match(&u.Lines[i]) {
			out.Lines = append(out.Lines, u.Lines[i])
		}
	}
	return out
}

// Has reports whether some line matches.
func (u Usage) Has(match func(*Line) bool) bool {
	for i := range u.Lines {
		if match(&u.Lines[i]) {
			return true
		}
	}
	return false
}

// Days returns the union of the lines' days.
func (u Usage) Days() DaySet {
	var s DaySet
	for i := range u.Lines {
		s = s.Union(u.Lines[i].Days)
	}
	return s
}

// Day returns the date of day index i.
func (u Usage) Day(i int) valdrix.Date { return u.Window.FeesFrom.AddDays(i) }

// Index returns the day index of d.
func (u Usage) Index(d valdrix.Date) int { return int(d - u.Window.FeesFrom) }

// FirstDay and LastDay return the first and last days with lines.
func (u Usage) FirstDay() (valdrix.Date, bool) {
	f := u.Days().First()
	return u.Day(f), f >= 0
}

// LastDay returns the last day with lines.
func (u Usage) LastDay() (valdrix.Date, bool) {
	l := u.Days().Last()
	return u.Day(l), l >= 0
}

// Recent returns the first day of the last n days of data (Through − n + 1),
// not before the window's start, and whether the window holds n days of
// data.
func (u Usage) Recent(n int) (valdrix.Date, bool) {
	from := u.Through.AddDays(1 - n)
	if from < u.Window.Start {
		return u.Window.Start, false
	}
	return from, true
}

// EveryDay reports whether the lines have a row on every day of [from,
// Through].
func (u Usage) EveryDay(from valdrix.Date) bool {
	if from > u.Through {
		return false
	}
	d := u.Days()
	for day := from; day <= u.Through; day++ {
		if !d.Has(u.Index(day)) {
			return false
		}
	}
	return true
}

// Since returns the usage restricted to days on or after from (sums are
// apportioned per line by day count).
func (u Usage) Since(from valdrix.Date) Usage {
	out := u
	out.Lines = nil
	cut := u.Index(from)
	for _, l := range u.Lines {
		var keep DaySet
		for i := max(cut, 0); i < 128; i++ {
			if l.Days.Has(i) {
				keep.add(i)
			}
		}
		n, all := keep.Count(), l.Days.Count()
		if n == 0 {
			continue
		}
		if n < all {
			for _, f := range []*valdrix.Decimal{&l.ConsumedQuantity, &l.PricingQuantity, &l.BilledCost, &l.EffectiveCost, &l.ListCost} {
				*f, _ = f.MulRatio(int64(n), int64(all))
			}
			l.Days = keep
		}
		out.Lines = append(out.Lines, l)
	}
	return out
}

// Quantity sums the consumed quantity (the pricing quantity where a line has
// none).
func (u Usage) Quantity() valdrix.Decimal {
	var s valdrix.Decimal
	for i := range u.Lines {
		l := &u.Lines[i]
		q := l.ConsumedQuantity
		if !l.Missing.Has(ingestion.MissingConsumedQuantity) {
			q = l.PricingQuantity
		}
		s, _ = s.Add(q)
	}
	return s
}

// Effective sums the effective (amortized) cost over the window.
func (u Usage) Effective() valdrix.Decimal {
	var s valdrix.Decimal
	for i := range u.Lines {
		s, _ = s.Add(u.Lines[i].EffectiveCost)
	}
	return s
}

// Currency returns the lines' billing currency ("" when empty).
func (u Usage) Currency() string {
	if len(u.Lines) == 0 {
		return ""
	}
	return u.Lines[0].BillingCurrency
}

// Monthly returns the lines' effective cost per month of MonthDays days:
// usage lines at their daily run rate from their first day to Through
// (window sum × 30.44 / days), monthly fees at the latest month's fee ×
// 30.44 / days in that month.
func (u Usage) Monthly() valdrix.Decimal {
	return u.monthly(func(l *Line) valdrix.Decimal { return l.EffectiveCost })
}

// MonthlyBilled is Monthly over the billed (invoiced) cost instead of the
// effective cost: a commitment fee's whole amount rather than its unused
// part.
func (u Usage) MonthlyBilled() valdrix.Decimal {
	return u.monthly(func(l *Line) valdrix.Decimal { return l.BilledCost })
}

func (u Usage) monthly(cost func(*Line) valdrix.Decimal) valdrix.Decimal {
	var usage, fees valdrix.Decimal
	first := -1
	var feeMonth valdrix.Month
	for i := range u.Lines {
		l := &u.Lines[i]
		if l.IsFee(u.Window) {
			if l.Month > feeMonth {
				feeMonth = l.Month
			}
			continue
		}
		if f := l.Days.First(); f >= 0 && (first < 0 || f < first) {
			first = f
		}
		usage, _ = usage.Add(cost(l))
	}
	var total valdrix.Decimal
	if first >= 0 {
		if span := int64(u.Through - u.Day(first) + 1); span > 0 {
			total, _ = usage.MulRatio(monthCenti, 100*span)
		}
	}
	if feeMonth != 0 {
		for i := range u.Lines {
			if l := &u.Lines[i]; l.IsFee(u.Window) && l.Month == feeMonth {
				fees, _ = fees.Add(cost(l))
			}
		}
		f, _ := fees.MulRatio(monthCenti, 100*int64(feeMonth.Days()))
		total, _ = total.Add(f)
	}
	return total
}

// Line predicates for Where and Has.

// UsageTypeHas matches lines whose usage type (without the AWS region
// prefix) contains one of subs.
func UsageTypeHas(subs ...string) func(*Line) bool {
	return func(l *Line) bool {
		b := l.Base()
		for _, s := range subs {
			if strings.Contains(b, s) {
				return true
			}
		}
		return false
	}
}

// UsageTypePrefix matches lines whose usage type (without the AWS region
// prefix) starts with one of prefixes.
func UsageTypePrefix(prefixes ...string) func(*Line) bool {
	return func(l *Line) bool {
		b := l.Base()
		for _, p := range prefixes {
			if strings.HasPrefix(b, p) {
				return true
			}
		}
		return false
	}
}
