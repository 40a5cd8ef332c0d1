package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/store/sqlite"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ledgerColumns are the ledger's columns in insert order.
var ledgerColumns = []string{
	"tenant_id", "source_id", "billing_period", "import_id", "charge_day", "charge_month", "provider",
	"billing_account_id", "billing_account_name", "sub_account_id", "sub_account_name", "service_name",
	"service_category", "region_id", "availability_zone", "resource_id", "resource_name", "resource_type",
	"sku_id", "instance_type", "usage_type", "operation", "charge_category", "charge_class", "charge_frequency",
	"pricing_category", "pricing_unit", "consumed_unit", "billing_currency", "commitment_discount_id",
	"commitment_discount_status", "commitment_discount_type", "capacity_reservation_id",
	"capacity_reservation_status", "tags", "extensions", "consumed_quantity", "pricing_quantity", "billed_cost",
	"effective_cost", "list_cost", "contracted_cost", "vcpus", "line_count", "missing",
}

func ledgerValues(tenant valdrix.TenantID, source string, importID string, r *ingestion.LedgerRow) []any {
	return []any{
		string(tenant), source, int64(r.BillingPeriod), importID, int64(r.ChargeDay), int64(r.ChargeDay.Month()), string(r.Provider),
		r.BillingAccountID, r.BillingAccountName, r.SubAccountID, r.SubAccountName, r.ServiceName,
		r.ServiceCategory, r.RegionID, r.AvailabilityZone, r.ResourceID, r.ResourceName, r.ResourceType,
		r.SkuID, r.InstanceType, r.UsageType, r.Operation, r.ChargeCategory, r.ChargeClass, r.ChargeFrequency,
		r.PricingCategory, r.PricingUnit, r.ConsumedUnit, r.BillingCurrency, r.CommitmentDiscountID,
		r.CommitmentDiscountStatus, r.CommitmentDiscountType, r.CapacityReservationID,
		r.CapacityReservationStatus, r.Tags, r.Extensions, int64(r.ConsumedQuantity), int64(r.PricingQuantity), int64(r.BilledCost),
		int64(r.EffectiveCost), int64(r.ListCost), int64(r.ContractedCost), int64(r.VCPUs), r.LineCount, int64(r.Missing),
	}
}

// InsertLedgerRows writes an import's rows. They stay invisible to readers
// until SwapLedgerPeriod makes the import current. On PostgreSQL the rows go
// in with COPY into the billing period's partition (created on first use);
// on SQLite with batched multi-row inserts.
func (db *DB) InsertLedgerRows(ctx context.Context, tenant valdrix.TenantID, source, importID string, rows []ingestion.LedgerRow) error {
	if len(rows) == 0 {
		return nil
	}
	if db.pg != nil {
		// Partitions are made in their own short transaction, so a long load
		// does not hold the partition lock other imports may wait on.
		if err := db.ensurePartitions(ctx, tenant, rows); err != nil {
			return err
		}
	}
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		if db.pg != nil {
			return db.copyLedgerPG(ctx, s, tenant, source, importID, rows)
		}
		return db.insertLedgerLite(ctx, s, tenant, source, importID, rows)
	})
}

func (db *DB) copyLedgerPG(ctx context.Context, s *scope, tenant valdrix.TenantID, source, importID string, rows []ingestion.LedgerRow) error {
	// COPY cannot write into a table with row-level security, so the rows go
	// into a transaction-local table first and move with one INSERT, which
	// the policies check.
	if _, err := s.exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS ledger_load (LIKE ledger INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
		return db.translate(err, "Ledger load table")
	}
	tx := s.q.(pgQuerier).tx
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= len(rows) {
			return nil, nil
		}
		v := ledgerValues(tenant, source, importID, &rows[i])
		i++
		return v, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_load"}, ledgerColumns, src); err != nil {
		return db.translate(err, "Ledger rows")
	}
	cols := strings.Join(ledgerColumns, ", ")
	if _, err := s.exec(ctx, "INSERT INTO ledger ("+cols+") SELECT "+cols+" FROM ledger_load"); err != nil {
		return db.translate(err, "Ledger rows")
	}
	_, err := s.exec(ctx, "TRUNCATE ledger_load")
	return db.translate(err, "Ledger load table")
}

func (db *DB) ensurePartitions(ctx context.Context, tenant valdrix.TenantID, rows []ingestion.LedgerRow) error {
	var periods []valdrix.Month
	for i := range rows {
		if p := rows[i].BillingPeriod; !slices.Contains(periods, p) {
			periods = append(periods, p)
		}
	}
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		for _, p := range periods {
			if _, err := s.exec(ctx, "SELECT valdrix_ledger_partition($1)", int64(p)); err != nil {
				return db.translate(err, "Ledger partition")
			}
		}
		return nil
	})
}

// liteBatch is how many rows go in one INSERT (SQLite allows 32766 bound
// parameters per statement).
const liteBatch = 500

func (db *DB) insertLedgerLite(ctx context.Context, s *scope, tenant valdrix.TenantID, source, importID string, rows []ingestion.LedgerRow) error {
	args := make([]any, 0, liteBatch*len(ledgerColumns))
	// Full batches share one prepared statement: parsing an INSERT of
	// thousands of parameters costs as much as running it.
	var full *sqlite.Stmt
	defer func() {
		if full != nil {
			_ = full.Close()
		}
	}()
	for start := 0; start < len(rows); start += liteBatch {
		batch := rows[start:min(start+liteBatch, len(rows))]
		args = args[:0]
		for i := range batch {
			args = append(args, ledgerValues(tenant, source, importID, &batch[i])...)
		}
		var err error
		if len(batch) < liteBatch {
			_, err = s.exec(ctx, ledgerInsertSQL(len(batch)), args...)
			return db.translate(err, "Ledger rows")
		}
		if full == nil {
			q := ledgerInsertSQL(liteBatch)
			if err := s.check(ctx, q); err != nil {
				return err
			}
			if full, err = s.q.(liteQuerier).q.Prepare(ctx, q); err != nil {
				return db.translate(err, "Ledger rows")
			}
		}
		if _, err = full.Exec(ctx, args...); err != nil {
			return db.translate(err, "Ledger rows")
		}
	}
	return nil
}

// ledgerInsertSQL is a multi-row INSERT for SQLite. It uses anonymous ?
// parameters: SQLite resolves $N names with a linear search per parameter,
// which is quadratic at thousands of parameters.
func ledgerInsertSQL(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO ledger (")
	b.WriteString(strings.Join(ledgerColumns, ", "))
	b.WriteString(") VALUES ")
	row := "(" + strings.Repeat("?,", len(ledgerColumns)-1) + "?)"
	for r := range n {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// CurrentLedgerPeriod returns the import a source's billing period shows,
// and false when it has none.
func (db *DB) CurrentLedgerPeriod(ctx context.Context, tenant valdrix.TenantID, source string, period valdrix.Month) (ingestion.LedgerPeriod, bool, error) {
	var v ingestion.LedgerPeriod
	found := true
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		err := s.queryRow(ctx, `SELECT import_id, version, swapped_at FROM ledger_periods
			WHERE tenant_id = $1 AND source_id = $2 AND billing_period = $3`,
			[]any{string(tenant), source, int64(period)}, &v.ImportID, &v.Version, &v.SwappedAt)
		if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
			found = false
			return nil
		}
		return db.translate(err, "Ledger period")
	})
	return v, found, err
}

// SwapLedgerPeriod makes importID the current version of a source's billing
// period, atomically: readers see either the old rows or the new ones. It
// returns the import it replaced ("" for none). The replaced rows are deleted
// later (DeleteLedgerImport); they are invisible from now on.
func (db *DB) SwapLedgerPeriod(ctx context.Context, tenant valdrix.TenantID, source string, period valdrix.Month, importID string, at time.Time) (string, error) {
	prev, err := db.SwapLedgerPeriods(ctx, tenant, source, []valdrix.Month{period}, importID, at)
	if err != nil {
		return "", err
	}
	return prev[0], nil
}

// SwapLedgerPeriods swaps several billing periods of one import in a single
// transaction: all become current or none does. It returns, per period in
// the order given, the import replaced ("" for none). Periods are locked in
// ascending order, so that concurrent swaps of overlapping periods cannot
// deadlock.
func (db *DB) SwapLedgerPeriods(ctx context.Context, tenant valdrix.TenantID, source string, periods []valdrix.Month, importID string, at time.Time) ([]string, error) {
	var prev []string
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		prev, err = db.swapPeriods(ctx, s, tenant, source, periods, importID, at)
		return err
	})
	return prev, err
}

// swapPeriods is SwapLedgerPeriods inside the caller's transaction.
func (db *DB) swapPeriods(ctx context.Context, s *scope, tenant valdrix.TenantID, source string, periods []valdrix.Month, importID string, at time.Time) ([]string, error) {
	order := slices.Clone(periods)
	slices.Sort(order)
	order = slices.Compact(order)
	replaced := map[valdrix.Month]string{}
	for _, period := range order {
		// Take the period's row lock first so that concurrent swaps serialise.
		if _, err := s.exec(ctx, `INSERT INTO ledger_periods (tenant_id, source_id, billing_period, import_id, version, swapped_at)
			VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (tenant_id, source_id, billing_period) DO NOTHING`,
			string(tenant), source, int64(period), importID, at); err != nil {
			return nil, db.translate(err, "Ledger period")
		}
		var prev string
		var version int
		if err := s.queryRow(ctx, `UPDATE ledger_periods SET version = version + 1 WHERE tenant_id = $1 AND source_id = $2 AND billing_period = $3
			RETURNING import_id, version`, []any{string(tenant), source, int64(period)}, &prev, &version); err != nil {
			return nil, db.translate(err, "Ledger period")
		}
		if version == 1 {
			prev = "" // this swap created the period
		}
		replaced[period] = prev
		if _, err := s.exec(ctx, `UPDATE ledger_periods SET import_id = $1, swapped_at = $2 WHERE tenant_id = $3 AND source_id = $4 AND billing_period = $5`,
			importID, at, string(tenant), source, int64(period)); err != nil {
			return nil, db.translate(err, "Ledger period")
		}
	}
	out := make([]string, len(periods))
	for i, p := range periods {
		out[i] = replaced[p]
	}
	return out, nil
}

// DeleteLedgerImport removes an import's rows (a replaced or failed import).
func (db *DB) DeleteLedgerImport(ctx context.Context, tenant valdrix.TenantID, importID string) (int64, error) {
	var n int64
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		n, err = s.exec(ctx, "DELETE FROM ledger WHERE tenant_id = $1 AND import_id = $2", string(tenant), importID)
		return db.translate(err, "Ledger rows")
	})
	return n, err
}

// currentLedger restricts ledger rows (alias l) to the current version of
// each period; $1 must be the tenant.
const currentLedger = ` JOIN ledger_periods lp ON lp.tenant_id = l.tenant_id AND lp.source_id = l.source_id
	AND lp.billing_period = l.billing_period AND lp.import_id = l.import_id`

// WalkLedger calls fn for every current ledger row of tenant with a charge
// day in [from, to), ordered by day. fn must not keep the row.
func (db *DB) WalkLedger(ctx context.Context, tenant valdrix.TenantID, from, to valdrix.Date, fn func(r *ingestion.LedgerRow) error) error {
	return db.walkLedger(ctx, tenant, ledgerFilter{}, from, to, fn)
}

type periodAccount struct {
	period  valdrix.Month
	account string
}

// ownPeriods returns the (billing period, lower-case account) pairs of
// accounts that source's current rows in [from, to) hold.
func (db *DB) ownPeriods(ctx context.Context, s *scope, tenant valdrix.TenantID, source string, accounts []string, from, to valdrix.Date) ([]periodAccount, error) {
	b := newSQL("SELECT DISTINCT l.billing_period, LOWER(l.sub_account_id) FROM ledger l"+currentLedger+
		" WHERE l.tenant_id = $1 AND l.source_id = $2 AND l.charge_day >= $3 AND l.charge_day < $4", string(tenant), source, int64(from), int64(to))
	b.sql += " AND LOWER(l.sub_account_id) IN (" + b.args1(accounts) + ")"
	r, err := s.query(ctx, b.sql, b.args...)
	if err != nil {
		return nil, db.translate(err, "Ledger")
	}
	defer r.Close()
	var out []periodAccount
	for r.Next() {
		var p int64
		var a string
		if err := r.Scan(&p, &a); err != nil {
			return nil, err
		}
		out = append(out, periodAccount{valdrix.Month(p), a})
	}
	return out, r.Err()
}

// ledgerFilter narrows walkLedger.
type ledgerFilter struct {
	// source keeps one source's rows.
	source string
	// accounts keeps the rows of these sub-accounts (any case), from
	// prefer alone for the billing periods prefer holds.
	accounts []string
	prefer   string
}

// walkLedger streams current ledger rows f selects.
func (db *DB) walkLedger(ctx context.Context, tenant valdrix.TenantID, f ledgerFilter, from, to valdrix.Date, fn func(r *ingestion.LedgerRow) error) error {
	cols := make([]string, 0, len(ledgerColumns))
	for _, c := range ledgerColumns[4:] { // skip tenant, source, period, import
		cols = append(cols, "l."+c)
	}
	return db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT l.billing_period, "+strings.Join(cols, ", ")+" FROM ledger l"+currentLedger+
			" WHERE l.tenant_id = $1 AND l.charge_day >= $2 AND l.charge_day < $3", string(tenant), int64(from), int64(to))
		if f.source != "" {
			b.where("l.source_id = %s", f.source)
		}
		if len(f.accounts) > 0 {
			accounts := make([]string, len(f.accounts))
			for i, a := range f.accounts {
				accounts[i] = strings.ToLower(a)
			}
			b.sql += " AND LOWER(l.sub_account_id) IN (" + b.args1(accounts) + ")"
			if f.prefer != "" {
				// The (period, account) pairs the preferred source holds
				// come from it alone.
				own, err := db.ownPeriods(ctx, s, tenant, f.prefer, accounts, from, to)
				if err != nil {
					return err
				}
				if len(own) > 0 {
					p := b.arg(f.prefer)
					conds := make([]string, len(own))
					for i, o := range own {
						conds[i] = "(l.billing_period = " + b.arg(int64(o.period)) + " AND LOWER(l.sub_account_id) = " + b.arg(o.account) + ")"
					}
					b.sql += " AND (l.source_id = " + p + " OR NOT (" + strings.Join(conds, " OR ") + "))"
				}
			}
		}
		b.sql += " ORDER BY l.charge_day, l.provider, l.sub_account_id, l.service_name, l.resource_id"
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Ledger")
		}
		defer r.Close()
		var row ingestion.LedgerRow
		for r.Next() {
			var period, day, month, qty, pqty, billed, eff, list, contracted, vcpus, missing int64
			var provider string
			if err := r.Scan(&period, &day, &month, &provider,
				&row.BillingAccountID, &row.BillingAccountName, &row.SubAccountID, &row.SubAccountName, &row.ServiceName,
				&row.ServiceCategory, &row.RegionID, &row.AvailabilityZone, &row.ResourceID, &row.ResourceName, &row.ResourceType,
				&row.SkuID, &row.InstanceType, &row.UsageType, &row.Operation, &row.ChargeCategory, &row.ChargeClass, &row.ChargeFrequency,
				&row.PricingCategory, &row.PricingUnit, &row.ConsumedUnit, &row.BillingCurrency, &row.CommitmentDiscountID,
				&row.CommitmentDiscountStatus, &row.CommitmentDiscountType, &row.CapacityReservationID,
				&row.CapacityReservationStatus, &row.Tags, &row.Extensions, &qty, &pqty, &billed,
				&eff, &list, &contracted, &vcpus, &row.LineCount, &missing); err != nil {
				return fmt.Errorf("scan ledger: %w", err)
			}
			row.BillingPeriod, row.ChargeDay, row.Provider = valdrix.Month(period), valdrix.Date(day), valdrix.Provider(provider)
			row.ConsumedQuantity, row.PricingQuantity, row.BilledCost = valdrix.Decimal(qty), valdrix.Decimal(pqty), valdrix.Decimal(billed)
			row.EffectiveCost, row.ListCost, row.ContractedCost = valdrix.Decimal(eff), valdrix.Decimal(list), valdrix.Decimal(contracted)
			row.VCPUs, row.Missing = valdrix.Decimal(vcpus), ingestion.Missing(missing)
			if err := fn(&row); err != nil {
				return err
			}
		}
		return db.translate(r.Err(), "Ledger")
	})
}
