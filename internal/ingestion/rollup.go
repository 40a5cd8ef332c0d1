package ingestion

import (
	"cmp"
	"hash/maphash"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/cespare/xxhash/v2"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// metricBits are the Missing bits that describe summed metrics. MissingVCPUs
// is not one: vCPUs are an attribute of the row's identity.
const metricBits = MissingListCost | MissingContractedCost | MissingConsumedQuantity | MissingPricingQuantity

// Rollup sums normalised FOCUS lines into ledger rows: one row per charge day
// and natural key (every LedgerRow field except the metrics, LineCount and the
// metric bits of Missing). Sums are exact; an overflow is an error. A Rollup
// is not safe for concurrent use.
type Rollup struct {
	seed   maphash.Seed
	index  map[uint64]int32 // key hash → first row with that hash
	next   []int32          // rows with the same hash, chained; -1 ends
	rows   []LedgerRow
	totals map[totalKey]*CategoryTotal
	last   *CategoryTotal // the total of the previous line: most lines share it
	lines  int64
}

// CategoryTotal is the sum of one charge category in one currency, for
// reconciliation against invoices and the export's own totals.
type CategoryTotal struct {
	ChargeCategory  string
	BillingCurrency string
	BilledCost      valdrix.Decimal
	EffectiveCost   valdrix.Decimal
	ListCost        valdrix.Decimal
	ContractedCost  valdrix.Decimal
	Lines           int64
}

type totalKey struct{ category, currency string }

// NewRollup returns an empty roll-up.
func NewRollup() *Rollup {
	return &Rollup{seed: maphash.MakeSeed(), index: map[uint64]int32{}, totals: map[totalKey]*CategoryTotal{}}
}

// Lines returns the number of source lines added (the sum of LineCount).
func (r *Rollup) Lines() int64 { return r.lines }

// Len returns the number of ledger rows so far.
func (r *Rollup) Len() int { return len(r.rows) }

// Add adds one line (a LedgerRow for one hourly or daily source line, or a
// pre-aggregated group with LineCount set). Metrics the line lacks must be
// zero with their Missing bit set. ChargeDay must be the day of the charge.
func (r *Rollup) Add(line *LedgerRow) error {
	if line.LineCount <= 0 {
		line.LineCount = 1
	}
	return r.insert(line, r.hash(line))
}

// insert adds line with key hash h.
func (r *Rollup) insert(line *LedgerRow, h uint64) error {
	if line.LineCount <= 0 {
		line.LineCount = 1
	}
	if err := r.addTotals(line); err != nil {
		return err
	}
	i, ok := r.index[h]
	if !ok {
		r.index[h] = int32(len(r.rows))
		r.next = append(r.next, -1)
		r.rows = append(r.rows, *line)
		r.lines += line.LineCount
		return nil
	}
	for {
		if sameKey(&r.rows[i], line) {
			if err := addMetrics(&r.rows[i], line); err != nil {
				return err
			}
			r.lines += line.LineCount
			return nil
		}
		if r.next[i] < 0 {
			break
		}
		i = r.next[i]
	}
	r.next[i] = int32(len(r.rows))
	r.next = append(r.next, -1)
	r.rows = append(r.rows, *line)
	r.lines += line.LineCount
	return nil
}

func (r *Rollup) addTotals(line *LedgerRow) error {
	t := r.last
	if t == nil || t.ChargeCategory != line.ChargeCategory || t.BillingCurrency != line.BillingCurrency {
		k := totalKey{line.ChargeCategory, line.BillingCurrency}
		if t = r.totals[k]; t == nil {
			t = &CategoryTotal{ChargeCategory: k.category, BillingCurrency: k.currency}
			r.totals[k] = t
		}
		r.last = t
	}
	var ok1, ok2, ok3, ok4 bool
	b, ok1 := t.BilledCost.Add(line.BilledCost)
	e, ok2 := t.EffectiveCost.Add(line.EffectiveCost)
	l, ok3 := t.ListCost.Add(line.ListCost)
	c, ok4 := t.ContractedCost.Add(line.ContractedCost)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return errorf("the %s total of %s costs is out of range (more than 9.2 billion)", line.ChargeCategory, line.BillingCurrency)
	}
	t.BilledCost, t.EffectiveCost, t.ListCost, t.ContractedCost = b, e, l, c
	t.Lines += line.LineCount
	return nil
}

// addMetrics adds src's metrics into dst, reporting overflow.
func addMetrics(dst, src *LedgerRow) error {
	var ok [6]bool
	dst.ConsumedQuantity, ok[0] = dst.ConsumedQuantity.Add(src.ConsumedQuantity)
	dst.PricingQuantity, ok[1] = dst.PricingQuantity.Add(src.PricingQuantity)
	dst.BilledCost, ok[2] = dst.BilledCost.Add(src.BilledCost)
	dst.EffectiveCost, ok[3] = dst.EffectiveCost.Add(src.EffectiveCost)
	dst.ListCost, ok[4] = dst.ListCost.Add(src.ListCost)
	dst.ContractedCost, ok[5] = dst.ContractedCost.Add(src.ContractedCost)
	for i, name := range [6]string{"ConsumedQuantity", "PricingQuantity", "BilledCost", "EffectiveCost", "ListCost", "ContractedCost"} {
		if !ok[i] {
			return errorf("the daily sum of %s for resource %q on %s is out of range (more than 9.2 billion)", name, dst.ResourceID, dst.ChargeDay)
		}
	}
	dst.LineCount += src.LineCount
	// A metric is missing only when no line carried it.
	dst.Missing = (dst.Missing &^ metricBits) | (dst.Missing & src.Missing & metricBits)
	return nil
}

// hash hashes the natural key of l.
func (r *Rollup) hash(l *LedgerRow) uint64 {
	seed := r.seed
	h := uint64(uint32(l.ChargeDay))<<32 | uint64(uint32(l.BillingPeriod))
	h ^= uint64(l.VCPUs)*0x9E3779B97F4A7C15 + uint64(l.Missing&^metricBits)
	mix := func(s string) {
		h = (h ^ maphash.String(seed, s)) * 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	mix(string(l.Provider))
	mix(l.BillingAccountID)
	mix(l.BillingAccountName)
	mix(l.SubAccountID)
	mix(l.SubAccountName)
	mix(l.ServiceName)
	mix(l.ServiceCategory)
	mix(l.RegionID)
	mix(l.AvailabilityZone)
	mix(l.ResourceID)
	mix(l.ResourceName)
	mix(l.ResourceType)
	mix(l.SkuID)
	mix(l.InstanceType)
	mix(l.UsageType)
	mix(l.Operation)
	mix(l.ChargeCategory)
	mix(l.ChargeClass)
	mix(l.ChargeFrequency)
	mix(l.PricingCategory)
	mix(l.PricingUnit)
	mix(l.ConsumedUnit)
	mix(l.BillingCurrency)
	mix(l.CommitmentDiscountID)
	mix(l.CommitmentDiscountStatus)
	mix(l.CommitmentDiscountType)
	mix(l.CapacityReservationID)
	mix(l.CapacityReservationStatus)
	mix(l.Tags)
	mix(l.Extensions)
	return h
}

// sameKey reports whether a and b have the same natural key.
func sameKey(a, b *LedgerRow) bool {
	return a.ChargeDay == b.ChargeDay && a.BillingPeriod == b.BillingPeriod && a.VCPUs == b.VCPUs &&
		a.Missing&^metricBits == b.Missing&^metricBits &&
		a.ResourceID == b.ResourceID && a.UsageType == b.UsageType && a.SubAccountID == b.SubAccountID &&
		a.Provider == b.Provider && a.BillingAccountID == b.BillingAccountID && a.ServiceName == b.ServiceName &&
		a.Operation == b.Operation && a.ChargeCategory == b.ChargeCategory && a.ChargeClass == b.ChargeClass &&
		a.BillingAccountName == b.BillingAccountName && a.SubAccountName == b.SubAccountName &&
		a.ServiceCategory == b.ServiceCategory && a.RegionID == b.RegionID && a.AvailabilityZone == b.AvailabilityZone &&
		a.ResourceName == b.ResourceName && a.ResourceType == b.ResourceType && a.SkuID == b.SkuID &&
		a.InstanceType == b.InstanceType && a.ChargeFrequency == b.ChargeFrequency && a.PricingCategory == b.PricingCategory &&
		a.PricingUnit == b.PricingUnit && a.ConsumedUnit == b.ConsumedUnit && a.BillingCurrency == b.BillingCurrency &&
		a.CommitmentDiscountID == b.CommitmentDiscountID && a.CommitmentDiscountStatus == b.CommitmentDiscountStatus &&
		a.CommitmentDiscountType == b.CommitmentDiscountType && a.CapacityReservationID == b.CapacityReservationID &&
		a.CapacityReservationStatus == b.CapacityReservationStatus && a.Tags == b.Tags && a.Extensions == b.Extensions
}

// compareRows orders rows by charge day, billing period, then the key
// fields (the most selective first).
func compareRows(a, b *LedgerRow) int {
	if a.ChargeDay != b.ChargeDay {
		return cmp.Compare(a.ChargeDay, b.ChargeDay)
	}
	if a.BillingPeriod != b.BillingPeriod {
		return cmp.Compare(a.BillingPeriod, b.BillingPeriod)
	}
	// Plain comparisons, not a table of accessors: this runs about
	// n·log n times when a large period is sorted.
	if a.Provider != b.Provider {
		return strings.Compare(string(a.Provider), string(b.Provider))
	}
	if a.BillingAccountID != b.BillingAccountID {
		return strings.Compare(a.BillingAccountID, b.BillingAccountID)
	}
	if a.SubAccountID != b.SubAccountID {
		return strings.Compare(a.SubAccountID, b.SubAccountID)
	}
	if a.ServiceName != b.ServiceName {
		return strings.Compare(a.ServiceName, b.ServiceName)
	}
	if a.ResourceID != b.ResourceID {
		return strings.Compare(a.ResourceID, b.ResourceID)
	}
	if a.UsageType != b.UsageType {
		return strings.Compare(a.UsageType, b.UsageType)
	}
	if a.Operation != b.Operation {
		return strings.Compare(a.Operation, b.Operation)
	}
	if a.ChargeCategory != b.ChargeCategory {
		return strings.Compare(a.ChargeCategory, b.ChargeCategory)
	}
	if a.ChargeClass != b.ChargeClass {
		return strings.Compare(a.ChargeClass, b.ChargeClass)
	}
	if a.BillingAccountName != b.BillingAccountName {
		return strings.Compare(a.BillingAccountName, b.BillingAccountName)
	}
	if a.SubAccountName != b.SubAccountName {
		return strings.Compare(a.SubAccountName, b.SubAccountName)
	}
	if a.ServiceCategory != b.ServiceCategory {
		return strings.Compare(a.ServiceCategory, b.ServiceCategory)
	}
	if a.RegionID != b.RegionID {
		return strings.Compare(a.RegionID, b.RegionID)
	}
	if a.AvailabilityZone != b.AvailabilityZone {
		return strings.Compare(a.AvailabilityZone, b.AvailabilityZone)
	}
	if a.ResourceName != b.ResourceName {
		return strings.Compare(a.ResourceName, b.ResourceName)
	}
	if a.ResourceType != b.ResourceType {
		return strings.Compare(a.ResourceType, b.ResourceType)
	}
	if a.SkuID != b.SkuID {
		return strings.Compare(a.SkuID, b.SkuID)
	}
	if a.InstanceType != b.InstanceType {
		return strings.Compare(a.InstanceType, b.InstanceType)
	}
	if a.ChargeFrequency != b.ChargeFrequency {
		return strings.Compare(a.ChargeFrequency, b.ChargeFrequency)
	}
	if a.PricingCategory != b.PricingCategory {
		return strings.Compare(a.PricingCategory, b.PricingCategory)
	}
	if a.PricingUnit != b.PricingUnit {
		return strings.Compare(a.PricingUnit, b.PricingUnit)
	}
	if a.ConsumedUnit != b.ConsumedUnit {
		return strings.Compare(a.ConsumedUnit, b.ConsumedUnit)
	}
	if a.BillingCurrency != b.BillingCurrency {
		return strings.Compare(a.BillingCurrency, b.BillingCurrency)
	}
	if a.CommitmentDiscountID != b.CommitmentDiscountID {
		return strings.Compare(a.CommitmentDiscountID, b.CommitmentDiscountID)
	}
	if a.CommitmentDiscountStatus != b.CommitmentDiscountStatus {
		return strings.Compare(a.CommitmentDiscountStatus, b.CommitmentDiscountStatus)
	}
	if a.CommitmentDiscountType != b.CommitmentDiscountType {
		return strings.Compare(a.CommitmentDiscountType, b.CommitmentDiscountType)
	}
	if a.CapacityReservationID != b.CapacityReservationID {
		return strings.Compare(a.CapacityReservationID, b.CapacityReservationID)
	}
	if a.CapacityReservationStatus != b.CapacityReservationStatus {
		return strings.Compare(a.CapacityReservationStatus, b.CapacityReservationStatus)
	}
	if a.Tags != b.Tags {
		return strings.Compare(a.Tags, b.Tags)
	}
	if a.Extensions != b.Extensions {
		return strings.Compare(a.Extensions, b.Extensions)
	}
	if c := cmp.Compare(a.VCPUs, b.VCPUs); c != 0 {
		return c
	}
	return cmp.Compare(a.Missing&^metricBits, b.Missing&^metricBits)
}

// mergeSorted merges the rows of equal keys in rows, which must be sorted
// (compareRows orders every key field, so equal keys are adjacent), and adds
// every row to the totals. It returns the merged rows, a prefix of rows.
func (r *Rollup) mergeSorted(rows []LedgerRow) ([]LedgerRow, error) {
	out := rows[:0]
	for i := range rows {
		if err := r.addTotals(&rows[i]); err != nil {
			return nil, err
		}
		r.lines += rows[i].LineCount
		if n := len(out); n > 0 && sameKey(&out[n-1], &rows[i]) {
			if err := addMetrics(&out[n-1], &rows[i]); err != nil {
				return nil, err
			}
			continue
		}
		if len(out) == i {
			out = rows[:i+1] // nothing merged yet: the row is in place
			continue
		}
		out = append(out, rows[i])
	}
	return out, nil
}

// Rows returns the ledger rows sorted by charge day and key. The Rollup must
// not be used afterwards: the rows are handed over, not copied.
func (r *Rollup) Rows() []LedgerRow {
	rows := r.rows
	r.rows, r.next, r.index = nil, nil, map[uint64]int32{}
	sortRows(rows)
	return rows
}

// sortRows sorts rows in place: indices are bucketed by charge day and
// each day is sorted on its own (two goroutines share the days), then the
// permutation is applied by cycles, so each 500-byte row moves once.
func sortRows(rows []LedgerRow) {
	if len(rows) == 0 {
		return
	}
	lo, hi := rows[0].ChargeDay, rows[0].ChargeDay
	for i := range rows {
		lo, hi = min(lo, rows[i].ChargeDay), max(hi, rows[i].ChargeDay)
	}
	idx := make([]int32, len(rows))
	var buckets [][]int32
	if span := int(hi-lo) + 1; span <= 1<<16 {
		counts := make([]int, span+1)
		for i := range rows {
			counts[int(rows[i].ChargeDay-lo)+1]++
		}
		for d := 1; d <= span; d++ {
			counts[d] += counts[d-1]
		}
		pos := slices.Clone(counts)
		for i := range rows {
			d := int(rows[i].ChargeDay - lo)
			idx[pos[d]] = int32(i)
			pos[d]++
		}
		for d := 0; d < span; d++ {
			if counts[d+1] > counts[d] {
				buckets = append(buckets, idx[counts[d]:counts[d+1]])
			}
		}
	} else {
		for i := range idx {
			idx[i] = int32(i)
		}
		buckets = [][]int32{idx}
	}
	cmpIdx := func(a, b int32) int { return compareRows(&rows[a], &rows[b]) }
	var wg sync.WaitGroup
	next := make(chan []int32, len(buckets))
	for _, b := range buckets {
		next <- b
	}
	close(next)
	for range min(2, len(buckets)) {
		wg.Go(func() {
			for b := range next {
				slices.SortFunc(b, cmpIdx)
			}
		})
	}
	wg.Wait()
	permute(rows, idx)
}

// orderDay orders one day's rows so that rows of one natural key are
// adjacent, as mergeSorted needs: by an xxHash of the key fields that tell
// rows apart most (sub account, resource, usage type, charge category),
// ties by the whole key. The hash has no seed, so the order is the same on
// every run and for any number of workers. Sorting by the key's text alone
// costs more: ARNs share long prefixes, and each row is compared about
// log₂ n times; hashing the whole key costs as much again.
//
// The hashes are spread over buckets by their top bits in one counting
// pass (about four rows a bucket), and only each bucket is sorted: a
// comparison sort of the whole day cost six times as much.
func orderDay(rows []LedgerRow) {
	n := len(rows)
	keys := make([]hashedRow, n)
	for i := range rows {
		keys[i] = hashedRow{h: dayHash(&rows[i]), i: int32(i)}
	}
	sorted := bucketSort(keys, func(a, b hashedRow) int {
		if a.h != b.h {
			return cmp.Compare(a.h, b.h)
		}
		return compareRows(&rows[a.i], &rows[b.i])
	})
	idx := make([]int32, n)
	for i, k := range sorted {
		idx[i] = k.i
	}
	permute(rows, idx)
}

// dayHash is orderDay's hash of a row's most telling key fields.
func dayHash(l *LedgerRow) uint64 {
	h := xxhash.Sum64String(l.ResourceID)
	for _, s := range [...]string{l.SubAccountID, l.UsageType, l.ChargeCategory} {
		h = (h ^ xxhash.Sum64String(s)) * 0xff51afd7ed558ccd
	}
	return h ^ h>>29
}

// bucketSort returns keys sorted by compare, which must order first by h:
// the keys are counted into buckets by the top bits of h, placed in bucket
// order, and each bucket is sorted on its own (insertion sort when small).
func bucketSort(keys []hashedRow, compare func(a, b hashedRow) int) []hashedRow {
	n := len(keys)
	b := min(max(bits.Len(uint(n/4)), 1), 16)
	shift := 64 - b
	starts := make([]int32, 1<<b+1)
	for _, k := range keys {
		starts[k.h>>shift+1]++
	}
	for x := 1; x < len(starts); x++ {
		starts[x] += starts[x-1]
	}
	out := make([]hashedRow, n)
	next := slices.Clone(starts[:1<<b])
	for _, k := range keys {
		x := k.h >> shift
		out[next[x]] = k
		next[x]++
	}
	for x := range 1 << b {
		bucket := out[starts[x]:starts[x+1]]
		if len(bucket) > 12 {
			slices.SortFunc(bucket, compare)
			continue
		}
		for i := 1; i < len(bucket); i++ {
			for j := i; j > 0 && compare(bucket[j], bucket[j-1]) < 0; j-- {
				bucket[j], bucket[j-1] = bucket[j-1], bucket[j]
			}
		}
	}
	return out
}

// hashedRow is a row's key hash and position, for orderDay.
type hashedRow struct {
	h uint64
	i int32
}

// permute moves rows[idx[i]] to position i for every i, by cycles, so each
// 500-byte row moves once. It consumes idx.
func permute(rows []LedgerRow, idx []int32) {
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp := rows[i]
		j := int32(i)
		for {
			k := idx[j]
			idx[j] = -1
			if k == int32(i) {
				rows[j] = tmp
				break
			}
			rows[j] = rows[k]
			j = k
		}
	}
}

// Totals returns the totals per charge category and currency, sorted.
func (r *Rollup) Totals() []CategoryTotal {
	out := make([]CategoryTotal, 0, len(r.totals))
	for _, t := range r.totals {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b CategoryTotal) int {
		return cmp.Or(cmp.Compare(a.ChargeCategory, b.ChargeCategory), cmp.Compare(a.BillingCurrency, b.BillingCurrency))
	})
	return out
}
