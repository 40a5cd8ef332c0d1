package ingestion

import (
	"cmp"
	"hash/maphash"
	"slices"
	"strings"
	"sync"

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
	k := totalKey{line.ChargeCategory, line.BillingCurrency}
	t := r.totals[k]
	if t == nil {
		t = &CategoryTotal{ChargeCategory: k.category, BillingCurrency: k.currency}
		r.totals[k] = t
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
	for _, f := range [...]func(*LedgerRow) string{
		func(r *LedgerRow) string { return string(r.Provider) },
		func(r *LedgerRow) string { return r.BillingAccountID },
		func(r *LedgerRow) string { return r.SubAccountID },
		func(r *LedgerRow) string { return r.ServiceName },
		func(r *LedgerRow) string { return r.ResourceID },
		func(r *LedgerRow) string { return r.UsageType },
		func(r *LedgerRow) string { return r.Operation },
		func(r *LedgerRow) string { return r.ChargeCategory },
		func(r *LedgerRow) string { return r.ChargeClass },
		func(r *LedgerRow) string { return r.BillingAccountName },
		func(r *LedgerRow) string { return r.SubAccountName },
		func(r *LedgerRow) string { return r.ServiceCategory },
		func(r *LedgerRow) string { return r.RegionID },
		func(r *LedgerRow) string { return r.AvailabilityZone },
		func(r *LedgerRow) string { return r.ResourceName },
		func(r *LedgerRow) string { return r.ResourceType },
		func(r *LedgerRow) string { return r.SkuID },
		func(r *LedgerRow) string { return r.InstanceType },
		func(r *LedgerRow) string { return r.ChargeFrequency },
		func(r *LedgerRow) string { return r.PricingCategory },
		func(r *LedgerRow) string { return r.PricingUnit },
		func(r *LedgerRow) string { return r.ConsumedUnit },
		func(r *LedgerRow) string { return r.BillingCurrency },
		func(r *LedgerRow) string { return r.CommitmentDiscountID },
		func(r *LedgerRow) string { return r.CommitmentDiscountStatus },
		func(r *LedgerRow) string { return r.CommitmentDiscountType },
		func(r *LedgerRow) string { return r.CapacityReservationID },
		func(r *LedgerRow) string { return r.CapacityReservationStatus },
		func(r *LedgerRow) string { return r.Tags },
		func(r *LedgerRow) string { return r.Extensions },
	} {
		if x, y := f(a), f(b); x != y {
			return strings.Compare(x, y)
		}
	}
	if c := cmp.Compare(a.VCPUs, b.VCPUs); c != 0 {
		return c
	}
	return cmp.Compare(a.Missing&^metricBits, b.Missing&^metricBits)
}

// addHashed adds many lines whose key hashes are known.
func (r *Rollup) addHashed(lines []LedgerRow, hashes []uint64) error {
	r.Grow(len(lines))
	for i := range lines {
		if err := r.insert(&lines[i], hashes[i]); err != nil {
			return err
		}
	}
	return nil
}

// Grow makes room for n more rows.
func (r *Rollup) Grow(n int) {
	if cap(r.rows)-len(r.rows) >= n {
		return
	}
	r.rows = slices.Grow(r.rows, n)
	r.next = slices.Grow(r.next, n)
	if len(r.index) == 0 && n > 0 {
		r.index = make(map[uint64]int32, n)
	}
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
	// idx[i] is the row that belongs at position i.
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
