package ingestion

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// ImportStatus is where an import is in its life.
type ImportStatus string

// Import statuses.
const (
	ImportRunning    ImportStatus = "running"
	ImportSucceeded  ImportStatus = "succeeded"
	ImportUnchanged  ImportStatus = "unchanged"  // same manifest or same rows as the current version: nothing swapped
	ImportFailed     ImportStatus = "failed"     // nothing stored changed
	ImportSuperseded ImportStatus = "superseded" // was current, then replaced by a later import of its period
)

// Import records one attempt to load a billing period into the ledger.
type Import struct {
	ID               string           `json:"id"`
	TenantID         valdrix.TenantID `json:"tenant_id"`
	SourceID         string           `json:"source_id" doc:"Connection id, or local:<name> for files"`
	BillingPeriod    valdrix.Month    `json:"billing_period,omitzero"`
	Format           Format           `json:"format"`
	FormatReason     string           `json:"format_reason,omitempty"`
	Status           ImportStatus     `json:"status"`
	ManifestID       string           `json:"manifest_id,omitempty"`
	ManifestChecksum string           `json:"manifest_checksum,omitempty"`
	ContentHash      string           `json:"content_hash,omitempty"`
	Files            []string         `json:"files"`
	RowsRead         int64            `json:"rows_read"`
	LinesKept        int64            `json:"lines_kept"`
	LedgerRows       int64            `json:"ledger_rows"`
	Totals           []CategoryTotal  `json:"totals"`
	ExportTotals     *ExportTotals    `json:"export_totals,omitempty"`
	Error            string           `json:"error,omitempty"`
	ErrorLocation    string           `json:"error_location,omitempty" doc:"File, row and column of a parse error"`
	Actor            string           `json:"actor"`
	StartedAt        time.Time        `json:"started_at"`
	FinishedAt       *time.Time       `json:"finished_at,omitempty"`
}

// Duration is how long the import ran.
func (i Import) Duration() time.Duration {
	if i.FinishedAt == nil {
		return 0
	}
	return i.FinishedAt.Sub(i.StartedAt)
}

// ImportFilter narrows an import listing.
type ImportFilter struct {
	Source        string
	BillingPeriod valdrix.Month
	Status        ImportStatus
}

// LedgerPeriod is the import a source's billing period currently shows.
type LedgerPeriod struct {
	ImportID  string
	Version   int
	SwappedAt time.Time
}

// ReconciliationAlert says a period's totals moved more than the tenant's
// threshold between imports, or disagree with what the export declares.
type ReconciliationAlert struct {
	ID             string           `json:"id"`
	TenantID       valdrix.TenantID `json:"tenant_id"`
	ImportID       string           `json:"import_id"`
	SourceID       string           `json:"source_id"`
	BillingPeriod  valdrix.Month    `json:"billing_period"`
	Kind           string           `json:"kind" enum:"previous_import,export_rows" doc:"What was compared"`
	ChargeCategory string           `json:"charge_category,omitempty"`
	Currency       string           `json:"currency,omitempty"`
	Expected       valdrix.Decimal  `json:"expected" doc:"The earlier or declared figure"`
	Actual         valdrix.Decimal  `json:"actual" doc:"The figure of this import"`
	DifferencePct  valdrix.Decimal  `json:"difference_pct"`
	ThresholdPct   valdrix.Decimal  `json:"threshold_pct"`
	Message        string           `json:"message"`
	CreatedAt      time.Time        `json:"created_at"`
}

// Reconciliation kinds.
const (
	ReconcilePrevious    = "previous_import"
	ReconcileExportTotal = "export_rows"
)

// DefaultReconciliationThreshold is the relative change (percent) of a
// period's totals that raises an alert.
var DefaultReconciliationThreshold = valdrix.NewDecimal(2, 0)

// Store is what importing needs from persistence. Every method takes the
// tenant explicitly.
type Store interface {
	CreateImport(ctx context.Context, imp Import) error
	UpdateImport(ctx context.Context, imp Import) error
	GetImport(ctx context.Context, tenant valdrix.TenantID, id string) (Import, error)
	CurrentLedgerPeriod(ctx context.Context, tenant valdrix.TenantID, source string, period valdrix.Month) (LedgerPeriod, bool, error)
	InsertLedgerRows(ctx context.Context, tenant valdrix.TenantID, source, importID string, rows []LedgerRow) error
	// CommitImport records imp's final state and makes it current for every
	// period, in one transaction (all or nothing); it fails with a conflict
	// when imp is no longer running. It returns the import each period
	// showed before ("" for none).
	CommitImport(ctx context.Context, imp Import, periods []valdrix.Month, at time.Time) ([]string, error)
	// RetireImport deletes a replaced import's rows of periods and marks it
	// superseded once no period shows it.
	RetireImport(ctx context.Context, tenant valdrix.TenantID, id string, periods []valdrix.Month) (bool, error)
	DeleteLedgerImport(ctx context.Context, tenant valdrix.TenantID, importID string) (int64, error)
	TouchImport(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) (bool, error)
	// InterruptImports marks failed the source's running imports silent
	// since before (and shown by no period) and deletes their rows, in one
	// transaction; it returns their ids and the rows removed.
	InterruptImports(ctx context.Context, tenant valdrix.TenantID, source string, before, at time.Time, reason string) ([]string, int64, error)
	CreateReconciliationAlert(ctx context.Context, a ReconciliationAlert) error
	ReconciliationThreshold(ctx context.Context, tenant valdrix.TenantID) (valdrix.Decimal, bool, error)
}

// ImporterConfig configures an Importer.
type ImporterConfig struct {
	Store  Store
	Clock  valdrix.Clock
	Logger *slog.Logger
	// Registerer receives the importer's metrics; nil registers nowhere.
	Registerer prometheus.Registerer
	// BatchRows bounds the ledger rows written per transaction (default 20,000).
	BatchRows int
	// StaleAfter is how long a running import may go without a sign of
	// life before the next import of its source judges its process dead:
	// marks it failed (ImportInterrupted) and deletes the rows it wrote,
	// which no reader could see. A live import records one at least every
	// StaleAfter/10 while it reads and writes. Default 10 minutes.
	StaleAfter time.Duration
}

// ImportInterrupted is the error of an import whose process stopped
// before it finished, recorded by the next import of the same source.
const ImportInterrupted = "interrupted: the process running this import stopped before it finished"

// errInterrupted ends an import that another process has judged dead.
var errInterrupted = valdrix.Errorf(valdrix.ECONFLICT, "The import was marked interrupted by another import of the same source (it made no progress for too long); run it again.")

// Importer loads billing periods into the ledger, replacing each period as
// a whole, and reconciles them.
type Importer struct {
	store     Store
	clock     valdrix.Clock
	log       *slog.Logger
	batch     int
	stale     time.Duration
	lines     *prometheus.CounterVec
	imports   *prometheus.CounterVec
	alerts    *prometheus.CounterVec
	durations prometheus.Histogram
}

// NewImporter returns an Importer.
func NewImporter(cfg ImporterConfig) (*Importer, error) {
	if cfg.Store == nil {
		return nil, errors.New("ingestion: Store is required")
	}
	im := &Importer{
		store: cfg.Store,
		clock: cmp.Or[valdrix.Clock](cfg.Clock, valdrix.SystemClock{}),
		log:   cmp.Or(cfg.Logger, slog.New(slog.DiscardHandler)),
		batch: cmp.Or(cfg.BatchRows, 20_000),
		stale: cmp.Or(cfg.StaleAfter, 10*time.Minute),
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_ingested_rows_total", Help: "Billing lines (source rows) ingested by successful imports, by provider.",
		}, []string{"provider"}),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_ingest_imports_total", Help: "Billing period imports by outcome (succeeded, unchanged, failed).",
		}, []string{"status"}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "valdrix_reconciliation_alerts_total", Help: "Reconciliation alerts raised, by kind.",
		}, []string{"kind"}),
		durations: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "valdrix_ingest_duration_seconds", Help: "Duration of billing period imports.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
		}),
	}
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{im.lines, im.imports, im.alerts, im.durations} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("register ingestion metrics: %w", err)
			}
		}
	}
	return im, nil
}

// ImportRequest is one billing period to import.
type ImportRequest struct {
	Tenant valdrix.TenantID
	// Source names where the data comes from: a connection id, or
	// "local:<name>" for files. A period is replaced per source.
	Source string
	Files  PeriodFiles
	Format Format
	Actor  string
	// Read tunes the readers (progress callbacks, workers).
	Read ReadOptions
}

// Import reads one billing period and swaps it into the ledger. An
// unchanged manifest (same checksum as the current version) or unchanged
// content is a no-op recorded as ImportUnchanged. A failure leaves the ledger
// as it was and is recorded as ImportFailed with the error's location.
func (im *Importer) Import(ctx context.Context, req ImportRequest) (Import, error) {
	start := im.clock.Now()
	imp := Import{
		ID: valdrix.NewID(), TenantID: req.Tenant, SourceID: req.Source, BillingPeriod: req.Files.Period,
		Format: req.Format, Status: ImportRunning, Actor: req.Actor, StartedAt: start, Files: []string{},
	}
	for _, f := range req.Files.Files {
		imp.Files = append(imp.Files, f.Name)
	}
	if m := req.Files.Manifest; m != nil {
		imp.ManifestID, imp.ManifestChecksum = m.ID, m.Checksum
		if imp.BillingPeriod == 0 {
			imp.BillingPeriod = m.BillingPeriod
		}
	}
	if req.Source == "" {
		return imp, valdrix.FieldError("source", "is required")
	}
	if err := im.reap(ctx, req.Tenant, req.Source); err != nil {
		return imp, err
	}
	// An unchanged manifest: nothing to read.
	if imp.ManifestChecksum != "" && imp.BillingPeriod != 0 {
		if cur, ok, err := im.current(ctx, req.Tenant, req.Source, imp.BillingPeriod); err != nil {
			return imp, err
		} else if ok && cur.ManifestChecksum == imp.ManifestChecksum {
			return im.finishUnchanged(ctx, imp, cur, "the manifest is unchanged")
		}
	}
	if err := im.store.CreateImport(ctx, imp); err != nil {
		return imp, err
	}
	// Rows are written under this import's id as the reader produces them,
	// a day at a time: invisible until swapped in, removed if the import
	// fails or turns out unchanged. The period is never all in memory.
	fingerprint := newContentHasher()
	lines := map[valdrix.Provider]int64{}
	beat := im.heartbeat(ctx, imp)
	var pending []LedgerRow
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := im.store.InsertLedgerRows(ctx, req.Tenant, req.Source, imp.ID, pending)
		clear(pending)
		pending = pending[:0]
		if err != nil {
			return err
		}
		return beat()
	}
	opts := req.Read
	opts.Manifest = req.Files.Manifest
	progress := opts.Progress
	opts.Progress = func(file string, rows, bytes int64) {
		if progress != nil {
			progress(file, rows, bytes)
		}
		_ = beat() // reading goes on; the next write stops an interrupted import
	}
	opts.Emit = func(rows []LedgerRow) error {
		fingerprint.add(rows)
		for i := range rows {
			lines[rows[i].Provider] += rows[i].LineCount
		}
		for len(rows) > 0 {
			n := min(len(rows), im.batch-len(pending))
			pending = append(pending, rows[:n]...)
			rows = rows[n:]
			if len(pending) >= im.batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	res, err := ReadPeriod(ctx, req.Files.Files, req.Format, opts)
	if err == nil {
		err = flush()
	}
	if err != nil {
		return im.fail(ctx, imp, err)
	}
	imp.Format, imp.FormatReason = res.Format, res.FormatReason
	imp.RowsRead, imp.LinesKept, imp.LedgerRows = res.RowsRead, res.LinesKept, res.LedgerRows
	imp.Totals, imp.ExportTotals = res.Totals, res.ExportTotals
	if imp.ManifestID == "" {
		imp.ManifestID, imp.ManifestChecksum = res.ManifestID, res.ManifestChecksum
	}
	if res.LedgerRows == 0 {
		return im.fail(ctx, imp, valdrix.Errorf(valdrix.EINVALID, "The files hold no billing rows."))
	}
	periods := res.Periods
	if imp.BillingPeriod == 0 && len(periods) > 0 {
		imp.BillingPeriod = periods[0]
	}
	imp.ContentHash = fingerprint.sum()
	if len(periods) == 1 {
		if cur, ok, err := im.current(ctx, req.Tenant, req.Source, periods[0]); err != nil {
			return im.fail(ctx, imp, err)
		} else if ok && cur.ContentHash == imp.ContentHash {
			if _, err := im.store.DeleteLedgerImport(ctx, req.Tenant, imp.ID); err != nil {
				return im.fail(ctx, imp, err)
			}
			return im.finishUnchanged(ctx, imp, cur, "the rows are identical to the current version")
		}
	}
	previous := map[valdrix.Month]Import{}
	for _, p := range periods {
		if cur, ok, err := im.current(ctx, req.Tenant, req.Source, p); err != nil {
			return im.fail(ctx, imp, err)
		} else if ok {
			previous[p] = cur
		}
	}
	// The record says succeeded in the same transaction that makes the
	// periods current (all at once), and only if the import is still
	// running: one judged dead meanwhile, its rows deleted, is not swapped in.
	imp.Status = ImportSucceeded
	finished := im.clock.Now()
	imp.FinishedAt = &finished
	prevs, err := im.store.CommitImport(ctx, imp, periods, finished)
	if err != nil {
		return im.fail(ctx, imp, err)
	}
	// Replaced imports lose the rows of the periods they no longer show;
	// cleanup that must happen even if the caller has gone.
	replaced := map[string][]valdrix.Month{}
	var order []string
	for i, prev := range prevs {
		if prev == "" || prev == imp.ID {
			continue
		}
		if replaced[prev] == nil {
			order = append(order, prev)
		}
		replaced[prev] = append(replaced[prev], periods[i])
	}
	for _, prev := range order {
		if _, err := im.store.RetireImport(context.WithoutCancel(ctx), req.Tenant, prev, replaced[prev]); err != nil {
			im.log.ErrorContext(ctx, "retire replaced import", "import_id", prev, "error", err)
		}
	}
	for provider, n := range lines {
		im.lines.WithLabelValues(string(provider)).Add(float64(n))
	}
	im.imports.WithLabelValues(string(ImportSucceeded)).Inc()
	im.durations.Observe(finished.Sub(start).Seconds())
	if err := im.reconcile(ctx, imp, previous); err != nil {
		im.log.ErrorContext(ctx, "reconcile import", "tenant_id", string(req.Tenant), "import_id", imp.ID, "error", err)
	}
	return imp, nil
}

func (im *Importer) current(ctx context.Context, tenant valdrix.TenantID, source string, period valdrix.Month) (Import, bool, error) {
	lp, ok, err := im.store.CurrentLedgerPeriod(ctx, tenant, source, period)
	if err != nil || !ok {
		return Import{}, false, err
	}
	imp, err := im.store.GetImport(ctx, tenant, lp.ImportID)
	if err != nil {
		return Import{}, false, err
	}
	return imp, true, nil
}

func (im *Importer) finishUnchanged(ctx context.Context, imp Import, cur Import, why string) (Import, error) {
	now := im.clock.Now()
	imp.Status, imp.FinishedAt, imp.Error = ImportUnchanged, &now, why
	imp.Totals, imp.LedgerRows, imp.ContentHash = cur.Totals, cur.LedgerRows, cur.ContentHash
	if imp.Format == "" || imp.Format == FormatAuto {
		imp.Format = cur.Format
	}
	var err error
	if _, getErr := im.store.GetImport(ctx, imp.TenantID, imp.ID); getErr == nil {
		err = im.store.UpdateImport(ctx, imp)
	} else {
		err = im.store.CreateImport(ctx, imp)
	}
	im.imports.WithLabelValues(string(ImportUnchanged)).Inc()
	return imp, err
}

// reap marks failed the source's imports whose process died while they
// ran, and deletes the rows they wrote.
func (im *Importer) reap(ctx context.Context, tenant valdrix.TenantID, source string) error {
	now := im.clock.Now()
	ids, rows, err := im.store.InterruptImports(ctx, tenant, source, now.Add(-im.stale), now, ImportInterrupted)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		im.imports.WithLabelValues(string(ImportFailed)).Add(float64(len(ids)))
		im.log.WarnContext(ctx, "imports left running by a stopped process marked interrupted", "tenant_id", string(tenant),
			"source", source, "import_ids", ids, "rows_removed", rows)
	}
	return nil
}

// heartbeat returns a function recording that imp is alive, at most every
// stale/10 (safe for concurrent use). It returns errInterrupted once another
// import has marked imp failed; a store that cannot record the heartbeat is
// only logged, and tried again stale/10 later (the writes themselves will
// say if it is down).
func (im *Importer) heartbeat(ctx context.Context, imp Import) func() error {
	var (
		mu   sync.Mutex
		last = imp.StartedAt
		gone bool
	)
	return func() error {
		mu.Lock()
		defer mu.Unlock()
		now := im.clock.Now()
		if gone {
			return errInterrupted
		}
		if now.Sub(last) < im.stale/10 {
			return nil
		}
		last = now
		alive, err := im.store.TouchImport(ctx, imp.TenantID, imp.ID, now)
		if err != nil {
			im.log.WarnContext(ctx, "record import heartbeat", "import_id", imp.ID, "error", err)
			return nil
		}
		if !alive {
			gone = true
			return errInterrupted
		}
		return nil
	}
}

// fail records the failure, removes any rows written, and returns err.
func (im *Importer) fail(ctx context.Context, imp Import, cause error) (Import, error) {
	now := im.clock.Now()
	imp.Status, imp.FinishedAt = ImportFailed, &now
	imp.Error = valdrix.ErrorMessage(cause)
	if valdrix.ErrorCode(cause) == valdrix.EINTERNAL {
		imp.Error = "internal error: " + cause.Error()
	}
	var pe *ParseError
	if errors.As(cause, &pe) {
		imp.ErrorLocation = pe.Location()
	}
	// The context may be what failed; clean up regardless.
	cctx := context.WithoutCancel(ctx)
	if _, err := im.store.DeleteLedgerImport(cctx, imp.TenantID, imp.ID); err != nil {
		im.log.ErrorContext(ctx, "remove rows of failed import", "import_id", imp.ID, "error", err)
	}
	if err := im.store.UpdateImport(cctx, imp); err != nil {
		im.log.ErrorContext(ctx, "record failed import", "import_id", imp.ID, "error", err)
	}
	im.imports.WithLabelValues(string(ImportFailed)).Inc()
	return imp, cause
}

// reconcile compares the import's totals with the period's previous import
// and with the figures the export declares, raising an alert for each
// difference above the tenant's threshold.
func (im *Importer) reconcile(ctx context.Context, imp Import, previous map[valdrix.Month]Import) error {
	threshold, ok, err := im.store.ReconciliationThreshold(ctx, imp.TenantID)
	if err != nil {
		return err
	}
	if !ok {
		threshold = DefaultReconciliationThreshold
	}
	raise := func(a ReconciliationAlert) error {
		a.ID, a.TenantID, a.ImportID, a.SourceID, a.ThresholdPct, a.CreatedAt = valdrix.NewID(), imp.TenantID, imp.ID, imp.SourceID, threshold, im.clock.Now()
		if err := im.store.CreateReconciliationAlert(ctx, a); err != nil {
			return err
		}
		im.alerts.WithLabelValues(a.Kind).Inc()
		im.log.WarnContext(ctx, "reconciliation alert", "tenant_id", string(imp.TenantID), "import_id", imp.ID, "kind", a.Kind, "detail", a.Message)
		return nil
	}
	var errs []error
	if prev, ok := previous[imp.BillingPeriod]; ok && len(previous) == 1 {
		for _, d := range compareTotals(prev.Totals, imp.Totals, threshold) {
			d.Kind, d.BillingPeriod = ReconcilePrevious, imp.BillingPeriod
			d.Message = fmt.Sprintf("%s %s billed cost of %s changed %s%% from the previous import (%s → %s)",
				d.ChargeCategory, d.Currency, imp.BillingPeriod, d.DifferencePct.StringFixed(2), d.Expected, d.Actual)
			errs = append(errs, raise(d))
		}
	}
	if et := imp.ExportTotals; et != nil && et.DeclaredRows >= 0 {
		declared, actual := valdrix.NewDecimal(et.DeclaredRows, 0), valdrix.NewDecimal(imp.RowsRead, 0)
		if pct, over := exceeds(declared, actual, threshold); over {
			errs = append(errs, raise(ReconciliationAlert{
				Kind: ReconcileExportTotal, BillingPeriod: imp.BillingPeriod, Expected: declared, Actual: actual, DifferencePct: pct,
				Message: fmt.Sprintf("the export (%s) declares %d rows but %d were read", et.Source, et.DeclaredRows, imp.RowsRead),
			}))
		}
	}
	return errors.Join(errs...)
}

// compareTotals returns an alert for each charge category and currency whose
// billed cost moved more than threshold percent (a category that appears or
// disappears counts as 100 %).
func compareTotals(before, after []CategoryTotal, threshold valdrix.Decimal) []ReconciliationAlert {
	type key struct{ cat, cur string }
	b := map[key]valdrix.Decimal{}
	a := map[key]valdrix.Decimal{}
	var keys []key
	for _, t := range before {
		k := key{t.ChargeCategory, t.BillingCurrency}
		b[k] = t.BilledCost
		keys = append(keys, k)
	}
	for _, t := range after {
		k := key{t.ChargeCategory, t.BillingCurrency}
		a[k] = t.BilledCost
		if _, ok := b[k]; !ok {
			keys = append(keys, k)
		}
	}
	var out []ReconciliationAlert
	for _, k := range keys {
		if pct, over := exceeds(b[k], a[k], threshold); over {
			out = append(out, ReconciliationAlert{ChargeCategory: k.cat, Currency: k.cur, Expected: b[k], Actual: a[k], DifferencePct: pct})
		}
	}
	return out
}

// exceeds returns |actual − expected| / |expected| in percent and whether it
// is above threshold. A change from zero to anything is 100 %.
func exceeds(expected, actual, threshold valdrix.Decimal) (valdrix.Decimal, bool) {
	diff, ok := actual.Sub(expected)
	if !ok {
		return valdrix.NewDecimal(100, 0), true
	}
	if diff < 0 {
		diff = -diff
	}
	if diff == 0 {
		return 0, false
	}
	base := expected
	if base < 0 {
		base = -base
	}
	if base == 0 {
		return valdrix.NewDecimal(100, 0), true
	}
	pct, ok := diff.MulRatio(100*valdrix.DecimalScale, int64(base)) // percent, as a Decimal
	if !ok {
		return valdrix.NewDecimal(100, 0), true
	}
	return pct, pct > threshold
}

// contentHasher hashes ledger rows in order: two reads with the same hash
// hold the same rows, so an unchanged re-export is recognised.
type contentHasher struct {
	h   hash.Hash
	buf [8]byte
}

func newContentHasher() *contentHasher { return &contentHasher{h: sha256.New()} }

func (c *contentHasher) int(v int64) {
	binary.LittleEndian.PutUint64(c.buf[:], uint64(v))
	c.h.Write(c.buf[:])
}

func (c *contentHasher) str(s string) {
	c.int(int64(len(s)))
	c.h.Write([]byte(s))
}

// add hashes rows.
func (c *contentHasher) add(rows []LedgerRow) {
	for k := range rows {
		r := &rows[k]
		c.int(int64(r.ChargeDay))
		c.int(int64(r.BillingPeriod))
		for _, s := range [...]string{string(r.Provider), r.BillingAccountID, r.BillingAccountName, r.SubAccountID, r.SubAccountName,
			r.ServiceName, r.ServiceCategory, r.RegionID, r.AvailabilityZone, r.ResourceID, r.ResourceName, r.ResourceType,
			r.SkuID, r.InstanceType, r.UsageType, r.Operation, r.ChargeCategory, r.ChargeClass, r.ChargeFrequency,
			r.PricingCategory, r.PricingUnit, r.ConsumedUnit, r.BillingCurrency, r.CommitmentDiscountID,
			r.CommitmentDiscountStatus, r.CommitmentDiscountType, r.CapacityReservationID, r.CapacityReservationStatus,
			r.Tags, r.Extensions} {
			c.str(s)
		}
		for _, v := range [...]valdrix.Decimal{r.ConsumedQuantity, r.PricingQuantity, r.BilledCost, r.EffectiveCost, r.ListCost, r.ContractedCost, r.VCPUs} {
			c.int(int64(v))
		}
		c.int(r.LineCount)
		c.int(int64(r.Missing))
	}
}

// sum returns the hash of every row added, in hex.
func (c *contentHasher) sum() string { return hex.EncodeToString(c.h.Sum(nil)) }
