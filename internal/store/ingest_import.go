package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/valdrix"
)

const importCols = `id, tenant_id, source_id, billing_period, format, format_reason, status, manifest_id, manifest_checksum,
	content_hash, files, rows_read, lines_kept, ledger_rows, totals, export_totals, error, error_location, actor, started_at, finished_at`

func importArgs(imp ingestion.Import) ([]any, error) {
	files, err := json.Marshal(imp.Files)
	if err != nil {
		return nil, err
	}
	totals, err := json.Marshal(imp.Totals)
	if err != nil {
		return nil, err
	}
	export := ""
	if imp.ExportTotals != nil {
		b, err := json.Marshal(imp.ExportTotals)
		if err != nil {
			return nil, err
		}
		export = string(b)
	}
	var period any
	if imp.BillingPeriod != 0 {
		period = int64(imp.BillingPeriod)
	}
	return []any{imp.ID, string(imp.TenantID), imp.SourceID, period, string(imp.Format), imp.FormatReason, string(imp.Status),
		imp.ManifestID, imp.ManifestChecksum, imp.ContentHash, string(files), imp.RowsRead, imp.LinesKept, imp.LedgerRows,
		string(totals), export, imp.Error, imp.ErrorLocation, imp.Actor, imp.StartedAt, imp.FinishedAt}, nil
}

// CreateImport records an import.
func (db *DB) CreateImport(ctx context.Context, imp ingestion.Import) error {
	args, err := importArgs(imp)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, imp.TenantID, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "INSERT INTO ledger_imports ("+importCols+`) VALUES
			($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`, args...)
		return db.translate(err, "Import")
	})
}

// UpdateImport rewrites an import's record.
func (db *DB) UpdateImport(ctx context.Context, imp ingestion.Import) error {
	args, err := importArgs(imp)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, imp.TenantID, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, updateImportSQL, args...)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Import")
	})
}

const updateImportSQL = `UPDATE ledger_imports SET source_id = $3, billing_period = $4, format = $5, format_reason = $6, status = $7,
	manifest_id = $8, manifest_checksum = $9, content_hash = $10, files = $11, rows_read = $12, lines_kept = $13, ledger_rows = $14,
	totals = $15, export_totals = $16, error = $17, error_location = $18, actor = $19, started_at = $20, finished_at = $21
	WHERE id = $1 AND tenant_id = $2`

// CommitImport records imp's final state (its Status, normally succeeded)
// and makes it the current version of periods, in one transaction: an
// import is current exactly when its record says it finished. It fails with
// a conflict, changing nothing, when the import is no longer running
// (another import judged it dead and marked it interrupted). It returns,
// per period, the import replaced ("" for none).
func (db *DB) CommitImport(ctx context.Context, imp ingestion.Import, periods []valdrix.Month, at time.Time) ([]string, error) {
	args, err := importArgs(imp)
	if err != nil {
		return nil, err
	}
	var prev []string
	err = db.tenantWrite(ctx, imp.TenantID, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, updateImportSQL+" AND status = $22", append(args, string(ingestion.ImportRunning))...)
		if err != nil {
			return db.translate(err, "Import")
		}
		if n == 0 {
			return valdrix.Errorf(valdrix.ECONFLICT, "The import is no longer running: another import of the same source marked it interrupted (it made no progress for too long). Run it again.")
		}
		prev, err = db.swapPeriods(ctx, s, imp.TenantID, imp.SourceID, periods, imp.ID, at)
		return err
	})
	return prev, err
}

// RetireImport removes a replaced import's rows of the given periods and,
// once no period shows it any more, marks it superseded. It reports whether
// it did.
func (db *DB) RetireImport(ctx context.Context, tenant valdrix.TenantID, id string, periods []valdrix.Month) (bool, error) {
	var superseded bool
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		for _, p := range periods {
			if _, err := s.exec(ctx, "DELETE FROM ledger WHERE tenant_id = $1 AND import_id = $2 AND billing_period = $3",
				string(tenant), id, int64(p)); err != nil {
				return db.translate(err, "Ledger rows")
			}
		}
		var shown int64
		if err := s.queryRow(ctx, "SELECT COUNT(*) FROM ledger_periods WHERE tenant_id = $1 AND import_id = $2",
			[]any{string(tenant), id}, &shown); err != nil {
			return db.translate(err, "Ledger period")
		}
		if shown > 0 {
			return nil
		}
		if _, err := s.exec(ctx, "DELETE FROM ledger WHERE tenant_id = $1 AND import_id = $2", string(tenant), id); err != nil {
			return db.translate(err, "Ledger rows")
		}
		n, err := s.exec(ctx, "UPDATE ledger_imports SET status = $1 WHERE tenant_id = $2 AND id = $3",
			string(ingestion.ImportSuperseded), string(tenant), id)
		superseded = n > 0
		return db.translate(err, "Import")
	})
	return superseded, err
}

func scanImport(r interface{ Scan(...any) error }) (ingestion.Import, error) {
	var imp ingestion.Import
	var tenant, format, status, files, totals, export string
	var period sql.NullInt64
	err := r.Scan(&imp.ID, &tenant, &imp.SourceID, &period, &format, &imp.FormatReason, &status, &imp.ManifestID, &imp.ManifestChecksum,
		&imp.ContentHash, &files, &imp.RowsRead, &imp.LinesKept, &imp.LedgerRows, &totals, &export, &imp.Error, &imp.ErrorLocation,
		&imp.Actor, &imp.StartedAt, &imp.FinishedAt)
	if err != nil {
		return imp, err
	}
	imp.TenantID, imp.Format, imp.Status = valdrix.TenantID(tenant), ingestion.Format(format), ingestion.ImportStatus(status)
	imp.BillingPeriod = valdrix.Month(period.Int64)
	if err := json.Unmarshal([]byte(files), &imp.Files); err != nil {
		return imp, fmt.Errorf("import %s files: %w", imp.ID, err)
	}
	if err := json.Unmarshal([]byte(totals), &imp.Totals); err != nil {
		return imp, fmt.Errorf("import %s totals: %w", imp.ID, err)
	}
	if export != "" {
		imp.ExportTotals = &ingestion.ExportTotals{}
		if err := json.Unmarshal([]byte(export), imp.ExportTotals); err != nil {
			return imp, fmt.Errorf("import %s export totals: %w", imp.ID, err)
		}
	}
	return imp, nil
}

// TouchImport records that a running import is alive at `at`. It reports
// false when the import is no longer running (another process judged it
// dead and marked it failed).
func (db *DB) TouchImport(ctx context.Context, tenant valdrix.TenantID, id string, at time.Time) (bool, error) {
	var n int64
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		n, err = s.exec(ctx, "UPDATE ledger_imports SET heartbeat_at = $1 WHERE tenant_id = $2 AND id = $3 AND status = $4",
			at.UTC(), string(tenant), id, string(ingestion.ImportRunning))
		return db.translate(err, "Import")
	})
	return n > 0, err
}

// InterruptImports marks failed, with reason, the source's imports still
// running whose last sign of life (heartbeat, else start) is before
// `before`, and deletes their ledger rows, in one transaction. An import
// that some period shows is never touched (only a finished import should
// be; this guards records left running before imports committed their
// status with the swap). It returns the ids and the rows removed.
func (db *DB) InterruptImports(ctx context.Context, tenant valdrix.TenantID, source string, before, at time.Time, reason string) ([]string, int64, error) {
	var (
		ids     []string
		removed int64
	)
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		ids, removed = nil, 0
		r, err := s.query(ctx, `UPDATE ledger_imports SET status = $1, finished_at = $2, error = $3
			WHERE tenant_id = $4 AND source_id = $5 AND status = $6 AND COALESCE(heartbeat_at, started_at) < $7
			AND NOT EXISTS (SELECT 1 FROM ledger_periods lp WHERE lp.tenant_id = ledger_imports.tenant_id AND lp.import_id = ledger_imports.id)
			RETURNING id`,
			string(ingestion.ImportFailed), at.UTC(), reason, string(tenant), source, string(ingestion.ImportRunning), before.UTC())
		if err != nil {
			return db.translate(err, "Import")
		}
		for r.Next() {
			var id string
			if err := r.Scan(&id); err != nil {
				r.Close()
				return err
			}
			ids = append(ids, id)
		}
		r.Close()
		if err := r.Err(); err != nil {
			return db.translate(err, "Import")
		}
		for _, id := range ids {
			n, err := s.exec(ctx, "DELETE FROM ledger WHERE tenant_id = $1 AND import_id = $2", string(tenant), id)
			if err != nil {
				return db.translate(err, "Ledger rows")
			}
			removed += n
		}
		return nil
	})
	return ids, removed, err
}

// GetImport returns one of tenant's imports.
func (db *DB) GetImport(ctx context.Context, tenant valdrix.TenantID, id string) (ingestion.Import, error) {
	var imp ingestion.Import
	if !valdrix.ValidID(id) {
		return imp, db.translate(sql.ErrNoRows, "Import")
	}
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT "+importCols+" FROM ledger_imports WHERE tenant_id = $1 AND id = $2", string(tenant), id)
		if err != nil {
			return db.translate(err, "Import")
		}
		defer r.Close()
		if !r.Next() {
			if err := r.Err(); err != nil {
				return err
			}
			return db.translate(sql.ErrNoRows, "Import")
		}
		imp, err = scanImport(r)
		return err
	})
	return imp, err
}

// ListImports lists tenant's imports, newest first.
func (db *DB) ListImports(ctx context.Context, tenant valdrix.TenantID, f ingestion.ImportFilter, limit int, cursor string) ([]ingestion.Import, string, error) {
	if cursor != "" && !valdrix.ValidID(cursor) {
		return nil, "", valdrix.FieldError("cursor", "is not a cursor returned by this API")
	}
	var out []ingestion.Import
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+importCols+" FROM ledger_imports WHERE tenant_id = $1", string(tenant))
		if f.Source != "" {
			b.where("source_id = %s", f.Source)
		}
		if f.BillingPeriod != 0 {
			b.where("billing_period = %s", int64(f.BillingPeriod))
		}
		if f.Status != "" {
			b.where("status = %s", string(f.Status))
		}
		if cursor != "" {
			b.where("id < %s", cursor)
		}
		b.sql += " ORDER BY id DESC LIMIT " + b.arg(limit+1)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Imports")
		}
		defer r.Close()
		for r.Next() {
			imp, err := scanImport(r)
			if err != nil {
				return err
			}
			out = append(out, imp)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, limit, func(i ingestion.Import) string { return i.ID })
	return out, next, nil
}

// CreateReconciliationAlert stores an alert.
func (db *DB) CreateReconciliationAlert(ctx context.Context, a ingestion.ReconciliationAlert) error {
	return db.tenantWrite(ctx, a.TenantID, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, `INSERT INTO reconciliation_alerts (id, tenant_id, import_id, source_id, billing_period, kind, charge_category,
			currency, expected, actual, difference_pct, threshold_pct, message, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			a.ID, string(a.TenantID), a.ImportID, a.SourceID, int64(a.BillingPeriod), a.Kind, a.ChargeCategory, a.Currency,
			a.Expected.String(), a.Actual.String(), a.DifferencePct.String(), a.ThresholdPct.String(), a.Message, a.CreatedAt)
		return db.translate(err, "Reconciliation alert")
	})
}

// ListReconciliationAlerts lists tenant's alerts, newest first.
func (db *DB) ListReconciliationAlerts(ctx context.Context, tenant valdrix.TenantID, limit int, cursor string) ([]ingestion.ReconciliationAlert, string, error) {
	if cursor != "" && !valdrix.ValidID(cursor) {
		return nil, "", valdrix.FieldError("cursor", "is not a cursor returned by this API")
	}
	var out []ingestion.ReconciliationAlert
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL(`SELECT id, tenant_id, import_id, source_id, billing_period, kind, charge_category, currency, expected, actual,
			difference_pct, threshold_pct, message, created_at FROM reconciliation_alerts WHERE tenant_id = $1`, string(tenant))
		if cursor != "" {
			b.where("id < %s", cursor)
		}
		b.sql += " ORDER BY id DESC LIMIT " + b.arg(limit+1)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Reconciliation alerts")
		}
		defer r.Close()
		for r.Next() {
			var a ingestion.ReconciliationAlert
			var t, exp, act, diff, thr string
			var period int64
			if err := r.Scan(&a.ID, &t, &a.ImportID, &a.SourceID, &period, &a.Kind, &a.ChargeCategory, &a.Currency,
				&exp, &act, &diff, &thr, &a.Message, &a.CreatedAt); err != nil {
				return err
			}
			a.TenantID, a.BillingPeriod = valdrix.TenantID(t), valdrix.Month(period)
			for _, p := range []struct {
				dst *valdrix.Decimal
				src string
			}{{&a.Expected, exp}, {&a.Actual, act}, {&a.DifferencePct, diff}, {&a.ThresholdPct, thr}} {
				v, err := valdrix.ParseDecimal(p.src)
				if err != nil {
					return fmt.Errorf("alert %s: %w", a.ID, err)
				}
				*p.dst = v
			}
			out = append(out, a)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, limit, func(a ingestion.ReconciliationAlert) string { return a.ID })
	return out, next, nil
}

// TenantSettings returns tenant's settings object.
func (db *DB) TenantSettings(ctx context.Context, tenant valdrix.TenantID) (map[string]any, error) {
	out := map[string]any{}
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		var raw string
		if err := s.queryRow(ctx, "SELECT settings FROM tenants WHERE id = $1", []any{string(tenant)}, &raw); err != nil {
			return db.translate(err, "Tenant")
		}
		return json.Unmarshal([]byte(raw), &out)
	})
	return out, err
}

// PutTenantSettings replaces tenant's settings object.
func (db *DB) PutTenantSettings(ctx context.Context, tenant valdrix.TenantID, settings map[string]any) error {
	b, err := json.Marshal(settings)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "UPDATE tenants SET settings = $1 WHERE id = $2", string(b), string(tenant))
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Tenant")
	})
}

// ReconciliationThresholdKey is the tenant setting holding the percentage.
const ReconciliationThresholdKey = "reconciliation_threshold_percent"

// ReconciliationThreshold returns the tenant's reconciliation threshold in
// percent, and false when the tenant has not set one.
func (db *DB) ReconciliationThreshold(ctx context.Context, tenant valdrix.TenantID) (valdrix.Decimal, bool, error) {
	settings, err := db.TenantSettings(ctx, tenant)
	if err != nil {
		return 0, false, err
	}
	v, ok := settings[ReconciliationThresholdKey]
	if !ok {
		return 0, false, nil
	}
	var text string
	switch t := v.(type) {
	case string:
		text = t
	case float64:
		text = strconv.FormatFloat(t, 'f', -1, 64)
	default:
		return 0, false, fmt.Errorf("tenant setting %s has type %T", ReconciliationThresholdKey, v)
	}
	d, err := valdrix.ParseDecimal(text)
	if err != nil {
		return 0, false, fmt.Errorf("tenant setting %s: %w", ReconciliationThresholdKey, err)
	}
	return d, true, nil
}

var (
	_ ingestion.Store = (*DB)(nil)
)
