package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ---- findings

var findingCols = []string{"id", "tenant_id", "connection_id", "finding_key", "rule_id", "rule_version", "code", "provider",
	"account_id", "region", "resource_id", "billing_id", "resource_type", "resource_name", "title", "action", "currency",
	"cost_state", "monthly_cost", "savings_state", "monthly_savings", "carbon_kg", "confidence",
	"status", "status_reason", "status_by", "status_at", "snoozed_until", "first_seen", "last_seen", "resolved_at",
	"tags", "covers", "body"}

// findingBatch bounds the rows of one upsert statement.
const findingBatch = 200

// money returns the amount of a known figure, nil otherwise (never 0 for
// unknown).
func money(m zombie.Money) any {
	if !m.Known() {
		return nil
	}
	return int64(m.Amount)
}

func findingArgs(r *optimization.Record) ([]any, error) {
	tags, err := json.Marshal(nonNil(r.Tags))
	if err != nil {
		return nil, err
	}
	covers, err := json.Marshal(r.Covers())
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(&r.Finding)
	if err != nil {
		return nil, err
	}
	var kg any
	if r.Carbon.Known {
		kg = int64(r.Carbon.KgCO2ePerMonth)
	}
	f := &r.Finding
	return []any{r.ID, string(r.TenantID), r.ConnectionID, f.Key, f.RuleID, f.RuleVersion, f.Code, string(f.Provider),
		f.AccountID, f.Region, f.ResourceID, f.BillingID, f.ResourceType, f.ResourceName, f.Title, string(f.Action.Kind),
		currencyOf(f), string(f.MonthlyCost.State), money(f.MonthlyCost), string(f.MonthlySavings.State), money(f.MonthlySavings), kg,
		f.Confidence, string(r.Status), r.StatusReason, r.StatusBy, r.StatusAt, r.SnoozedUntil, r.FirstSeen, r.LastSeen, r.ResolvedAt,
		string(tags), string(covers), string(body)}, nil
}

func currencyOf(f *optimization.Finding) string {
	if f.MonthlySavings.Currency != "" {
		return f.MonthlySavings.Currency
	}
	return f.MonthlyCost.Currency
}

// FindingStates returns the connection's findings for a detection run. On
// PostgreSQL it locks the connection, so runs over one connection apply one
// after the other, and the findings, so a person's decision waits for the
// run (SQLite has one writer: the transaction already excludes both).
func (db *DB) FindingStates(ctx context.Context, tenant valdrix.TenantID, connection string) ([]optimization.State, error) {
	var out []optimization.State
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		lock := ""
		if db.pg != nil {
			lock = " FOR UPDATE"
		}
		var id string
		if err := s.queryRow(ctx, "SELECT id FROM connections WHERE tenant_id = $1 AND id = $2"+lock,
			[]any{string(tenant), connection}, &id); err != nil {
			return db.translate(err, "Connection")
		}
		r, err := s.query(ctx, `SELECT id, finding_key, rule_id, resource_id, body, status, snoozed_until FROM findings
			WHERE tenant_id = $1 AND connection_id = $2`+lock, string(tenant), connection)
		if err != nil {
			return db.translate(err, "Findings")
		}
		defer r.Close()
		for r.Next() {
			var st optimization.State
			var status, body string
			if err := r.Scan(&st.ID, &st.Key, &st.RuleID, &st.ResourceID, &body, &status, &st.SnoozedUntil); err != nil {
				return err
			}
			var f struct {
				BillingOnly bool `json:"billing_only"`
			}
			if err := json.Unmarshal([]byte(body), &f); err != nil {
				return fmt.Errorf("finding %s: %w", st.ID, err)
			}
			st.Status, st.BillingOnly = optimization.Status(status), f.BillingOnly
			out = append(out, st)
		}
		return r.Err()
	})
	return out, err
}

// SaveFindings writes a detection run's or a person's changes in one
// transaction: upserts by key (an existing finding keeps its id, first
// sighting and status), then status transitions, then their events.
func (db *DB) SaveFindings(ctx context.Context, tenant valdrix.TenantID, w optimization.FindingWrite) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		for lo := 0; lo < len(w.Upserts); lo += findingBatch {
			hi := min(lo+findingBatch, len(w.Upserts))
			args := make([]any, 0, (hi-lo)*len(findingCols))
			for i := lo; i < hi; i++ {
				rec := &w.Upserts[i]
				if rec.TenantID != tenant {
					return valdrix.Errorf(valdrix.EINTERNAL, "finding %s belongs to another tenant", rec.ID)
				}
				a, err := findingArgs(rec)
				if err != nil {
					return err
				}
				args = append(args, a...)
			}
			q := "INSERT INTO findings (" + strings.Join(findingCols, ", ") + ") VALUES " + db.valuesSQL(hi-lo, len(findingCols), 0) +
				` ON CONFLICT (tenant_id, finding_key) DO UPDATE SET rule_version = excluded.rule_version, code = excluded.code,
				account_id = excluded.account_id, region = excluded.region, billing_id = excluded.billing_id,
				resource_type = excluded.resource_type, resource_name = excluded.resource_name, title = excluded.title,
				action = excluded.action, currency = excluded.currency, cost_state = excluded.cost_state,
				monthly_cost = excluded.monthly_cost, savings_state = excluded.savings_state, monthly_savings = excluded.monthly_savings,
				carbon_kg = excluded.carbon_kg, confidence = excluded.confidence, last_seen = excluded.last_seen,
				tags = excluded.tags, covers = excluded.covers, body = excluded.body`
			if _, err := s.exec(ctx, q, args...); err != nil {
				return db.translate(err, "Findings")
			}
		}
		for _, t := range w.Transitions {
			var resolved any
			if t.To == optimization.StatusResolved {
				resolved = t.At
			}
			n, err := s.exec(ctx, `UPDATE findings SET status = $1, status_reason = $2, status_by = $3, status_at = $4,
				snoozed_until = $5, resolved_at = $6 WHERE tenant_id = $7 AND id = $8`,
				string(t.To), t.Reason, t.By, t.At, t.SnoozedUntil, resolved, string(tenant), t.ID)
			if err != nil {
				return db.translate(err, "Finding")
			}
			if n == 0 {
				return valdrix.Errorf(valdrix.ENOTFOUND, "There is no such finding.")
			}
		}
		cols := []string{"id", "tenant_id", "finding_id", "at", "actor", "from_status", "to_status", "reason"}
		for lo := 0; lo < len(w.Events); lo += findingBatch {
			hi := min(lo+findingBatch, len(w.Events))
			args := make([]any, 0, (hi-lo)*len(cols))
			for _, e := range w.Events[lo:hi] {
				args = append(args, e.ID, string(tenant), e.FindingID, e.At, e.Actor, string(e.From), string(e.To), e.Reason)
			}
			q := "INSERT INTO finding_events (" + strings.Join(cols, ", ") + ") VALUES " + db.valuesSQL(hi-lo, len(cols), 0)
			if _, err := s.exec(ctx, q, args...); err != nil {
				return db.translate(err, "Finding events")
			}
		}
		return nil
	})
}

// findingWhere appends f's conditions (statuses only when withStatus).
func (db *DB) findingWhere(b *sqlBuilder, f optimization.Filter, withStatus bool) {
	if withStatus && len(f.Statuses) > 0 {
		ph := make([]string, len(f.Statuses))
		for i, st := range f.Statuses {
			ph[i] = b.arg(string(st))
		}
		b.sql += " AND status IN (" + strings.Join(ph, ", ") + ")"
	}
	for _, c := range []struct{ col, v string }{
		{"connection_id", f.Connection}, {"provider", string(f.Provider)}, {"rule_id", f.RuleID},
		{"account_id", f.AccountID}, {"region", f.Region},
	} {
		if c.v != "" {
			b.where(c.col+" = %s", c.v)
		}
	}
	db.tagFilter(b, f.Tag)
	if f.MinSavings != nil {
		b.where("monthly_savings >= %s", int64(*f.MinSavings))
	}
}

// findingSort returns the SQL of a sort key: money and carbon with unknown
// figures below every known one; times as they are.
func findingSort(key string) (expr string, isTime bool) {
	switch key {
	case optimization.SortCost:
		return "COALESCE(monthly_cost, -1)", false
	case optimization.SortCarbon:
		return "COALESCE(carbon_kg, -1)", false
	case optimization.SortFirstSeen:
		return "first_seen", true
	case optimization.SortLastSeen:
		return "last_seen", true
	}
	return "COALESCE(monthly_savings, -1)", false
}

type findingCursor struct {
	N  int64     `json:"n,omitempty"`
	T  time.Time `json:"t,omitzero"`
	ID string    `json:"id"`
}

// ListFindings lists the findings f selects in f's order, then by id, with
// keyset pagination.
func (db *DB) ListFindings(ctx context.Context, tenant valdrix.TenantID, f optimization.Filter, page governance.Page) ([]optimization.Record, string, error) {
	expr, isTime := findingSort(f.Sort)
	var out []optimization.Record
	var keys []findingCursor
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+strings.Join(recordCols, ", ")+", "+expr+" FROM findings WHERE tenant_id = $1", string(tenant))
		db.findingWhere(b, f, true)
		op, dir := ">", "ASC"
		if f.Desc {
			op, dir = "<", "DESC"
		}
		if page.Cursor != "" {
			var cur findingCursor
			raw, err := base64.RawURLEncoding.DecodeString(page.Cursor)
			if err != nil || json.Unmarshal(raw, &cur) != nil || !valdrix.ValidID(cur.ID) {
				return valdrix.FieldError("cursor", "is not a cursor returned by this API")
			}
			var v any = cur.N
			if isTime {
				v = cur.T
			}
			pv := b.arg(v)
			b.sql += " AND (" + expr + " " + op + " " + pv + " OR (" + expr + " = " + pv + " AND id " + op + " " + b.arg(cur.ID) + "))"
		}
		b.sql += " ORDER BY " + expr + " " + dir + ", id " + dir + " LIMIT " + b.arg(page.Limit+1)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Findings")
		}
		defer r.Close()
		for r.Next() {
			var row recordRow
			var cur findingCursor
			dest := append(row.dest(), &cur.N)
			if isTime {
				dest[len(dest)-1] = &cur.T
			}
			if err := r.Scan(dest...); err != nil {
				return err
			}
			rec, err := row.record()
			if err != nil {
				return err
			}
			cur.ID = rec.ID
			out = append(out, rec)
			keys = append(keys, cur)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > page.Limit {
		out = out[:page.Limit]
		b, _ := json.Marshal(keys[page.Limit-1])
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, next, nil
}

// recordCols are the columns a Record is read from (the body holds the
// finding with its evidence).
var recordCols = []string{"id", "tenant_id", "connection_id", "status", "status_reason", "status_by", "status_at",
	"snoozed_until", "first_seen", "last_seen", "resolved_at", "tags", "body"}

// recordRow is a Record while it is read.
type recordRow struct {
	rec                        optimization.Record
	tenant, status, tags, body string
}

func (r *recordRow) dest() []any {
	return []any{&r.rec.ID, &r.tenant, &r.rec.ConnectionID, &r.status, &r.rec.StatusReason, &r.rec.StatusBy, &r.rec.StatusAt,
		&r.rec.SnoozedUntil, &r.rec.FirstSeen, &r.rec.LastSeen, &r.rec.ResolvedAt, &r.tags, &r.body}
}

func (r *recordRow) record() (optimization.Record, error) {
	rec := r.rec
	rec.TenantID, rec.Status = valdrix.TenantID(r.tenant), optimization.Status(r.status)
	if err := json.Unmarshal([]byte(r.tags), &rec.Tags); err != nil {
		return rec, fmt.Errorf("finding %s tags: %w", rec.ID, err)
	}
	if err := json.Unmarshal([]byte(r.body), &rec.Finding); err != nil {
		return rec, fmt.Errorf("finding %s: %w", rec.ID, err)
	}
	return rec, nil
}

// GetFinding returns one finding. In a read-write transaction on
// PostgreSQL it locks the finding until the transaction ends.
func (db *DB) GetFinding(ctx context.Context, tenant valdrix.TenantID, id string) (optimization.Record, error) {
	var out optimization.Record
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		q := "SELECT " + strings.Join(recordCols, ", ") + " FROM findings WHERE tenant_id = $1 AND id = $2"
		if db.pg != nil && !s.readOnly {
			q += " FOR UPDATE"
		}
		var row recordRow
		if err := s.queryRow(ctx, q, []any{string(tenant), id}, row.dest()...); err != nil {
			return db.translate(err, "Finding")
		}
		var err error
		out, err = row.record()
		return err
	})
	return out, err
}

// FindingEvents returns a finding's history, oldest first.
func (db *DB) FindingEvents(ctx context.Context, tenant valdrix.TenantID, id string) ([]optimization.Event, error) {
	var out []optimization.Event
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT id, finding_id, at, actor, from_status, to_status, reason FROM finding_events
			WHERE tenant_id = $1 AND finding_id = $2 ORDER BY id`, string(tenant), id)
		if err != nil {
			return db.translate(err, "Finding events")
		}
		defer r.Close()
		for r.Next() {
			var e optimization.Event
			var from, to string
			if err := r.Scan(&e.ID, &e.FindingID, &e.At, &e.Actor, &from, &to, &e.Reason); err != nil {
				return err
			}
			e.From, e.To = optimization.Status(from), optimization.Status(to)
			out = append(out, e)
		}
		return r.Err()
	})
	return out, err
}

// SummarizeFindings streams what the summary needs of the findings f
// selects, whatever their status.
func (db *DB) SummarizeFindings(ctx context.Context, tenant valdrix.TenantID, f optimization.Filter, fn func(optimization.SummaryRow) error) error {
	return db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL(`SELECT finding_key, status, currency, cost_state, monthly_cost, savings_state, monthly_savings, carbon_kg, covers
			FROM findings WHERE tenant_id = $1`, string(tenant))
		db.findingWhere(b, f, false)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Findings")
		}
		defer r.Close()
		for r.Next() {
			var row optimization.SummaryRow
			var status, currency, costState, savingsState, covers string
			var cost, savings, kg *int64
			if err := r.Scan(&row.Key, &status, &currency, &costState, &cost, &savingsState, &savings, &kg, &covers); err != nil {
				return err
			}
			row.Status = optimization.Status(status)
			row.MonthlyCost = storedMoney(zombie.CostState(costState), cost, currency)
			row.MonthlySavings = storedMoney(zombie.CostState(savingsState), savings, currency)
			if kg != nil {
				d := valdrix.Decimal(*kg)
				row.KgCO2e = &d
			}
			if err := json.Unmarshal([]byte(covers), &row.Covers); err != nil {
				return fmt.Errorf("finding %s covers: %w", row.Key, err)
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		return r.Err()
	})
}

func storedMoney(state zombie.CostState, amount *int64, currency string) zombie.Money {
	m := zombie.Money{State: state, Currency: currency}
	if amount != nil {
		m.Amount = valdrix.Decimal(*amount)
	}
	return m
}

// ExpiredSnoozes returns, across tenants (system scope), up to limit
// snoozed findings whose date is not after now.
func (db *DB) ExpiredSnoozes(ctx context.Context, now time.Time, limit int) (map[valdrix.TenantID][]string, error) {
	out := map[valdrix.TenantID][]string{}
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT tenant_id, id FROM findings WHERE status = 'snoozed' AND snoozed_until <= $1
			ORDER BY snoozed_until, id LIMIT $2`, now, limit)
		if err != nil {
			return db.translate(err, "Findings")
		}
		defer r.Close()
		for r.Next() {
			var tenant, id string
			if err := r.Scan(&tenant, &id); err != nil {
				return err
			}
			out[valdrix.TenantID(tenant)] = append(out[valdrix.TenantID(tenant)], id)
		}
		return r.Err()
	})
	return out, err
}

// ---- detection runs

// PutDetectionRun records a connection's last detection run.
func (db *DB) PutDetectionRun(ctx context.Context, tenant valdrix.TenantID, run optimization.DetectionRun) error {
	body, err := json.Marshal(run)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, `INSERT INTO detection_runs (tenant_id, connection_id, started_at, finished_at, summary)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, connection_id) DO UPDATE SET started_at = excluded.started_at,
			finished_at = excluded.finished_at, summary = excluded.summary`,
			string(tenant), run.ConnectionID, run.StartedAt, run.FinishedAt, string(body))
		return db.translate(err, "Detection run")
	})
}

// GetDetectionRun returns a connection's last detection run.
func (db *DB) GetDetectionRun(ctx context.Context, tenant valdrix.TenantID, connection string) (optimization.DetectionRun, error) {
	var out optimization.DetectionRun
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		var body string
		if err := s.queryRow(ctx, "SELECT summary FROM detection_runs WHERE tenant_id = $1 AND connection_id = $2",
			[]any{string(tenant), connection}, &body); err != nil {
			return db.translate(err, "Detection run")
		}
		return json.Unmarshal([]byte(body), &out)
	})
	return out, err
}

// ---- rule overrides

// RuleOverrides returns the tenant's rule overrides.
func (db *DB) RuleOverrides(ctx context.Context, tenant valdrix.TenantID) ([]optimization.StoredOverride, error) {
	var out []optimization.StoredOverride
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT rule_id, enabled, thresholds, updated_at, updated_by FROM rule_overrides
			WHERE tenant_id = $1 ORDER BY rule_id`, string(tenant))
		if err != nil {
			return db.translate(err, "Rule overrides")
		}
		defer r.Close()
		for r.Next() {
			var o optimization.StoredOverride
			var th string
			if err := r.Scan(&o.RuleID, &o.Override.Enabled, &th, &o.UpdatedAt, &o.UpdatedBy); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(th), &o.Override.Thresholds); err != nil {
				return fmt.Errorf("rule override %s: %w", o.RuleID, err)
			}
			out = append(out, o)
		}
		return r.Err()
	})
	return out, err
}

// PutRuleOverride replaces a rule's override; an empty one (no Enabled, no
// thresholds) deletes it.
func (db *DB) PutRuleOverride(ctx context.Context, tenant valdrix.TenantID, o optimization.StoredOverride) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		if o.Override.Enabled == nil && len(o.Override.Thresholds) == 0 {
			_, err := s.exec(ctx, "DELETE FROM rule_overrides WHERE tenant_id = $1 AND rule_id = $2", string(tenant), o.RuleID)
			return db.translate(err, "Rule override")
		}
		th, err := json.Marshal(o.Override.Thresholds)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, `INSERT INTO rule_overrides (tenant_id, rule_id, enabled, thresholds, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, rule_id) DO UPDATE SET enabled = excluded.enabled,
			thresholds = excluded.thresholds, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			string(tenant), o.RuleID, o.Override.Enabled, string(th), o.UpdatedAt, o.UpdatedBy)
		return db.translate(err, "Rule override")
	})
}

// ---- detection input

// WalkResources streams the connection's present resources by id. Each
// resource is a new value fn may keep.
func (db *DB) WalkResources(ctx context.Context, tenant valdrix.TenantID, connection string, fn func(*cloud.Resource) error) error {
	return db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT resource_id, provider, account_id, region, type, billing_id, name, state, created_at, tags, attrs
			FROM resources WHERE tenant_id = $1 AND connection_id = $2 AND gone_at IS NULL ORDER BY resource_id`, string(tenant), connection)
		if err != nil {
			return db.translate(err, "Resources")
		}
		defer r.Close()
		for r.Next() {
			res := &cloud.Resource{}
			var provider, tags, attrs string
			var created *time.Time
			if err := r.Scan(&res.ID, &provider, &res.AccountID, &res.Region, &res.Type, &res.BillingID, &res.Name, &res.State,
				&created, &tags, &attrs); err != nil {
				return err
			}
			res.Provider = valdrix.Provider(provider)
			if created != nil {
				res.CreatedAt = *created
			}
			if err := json.Unmarshal([]byte(tags), &res.Tags); err != nil {
				return fmt.Errorf("resource %s tags: %w", res.ID, err)
			}
			if err := json.Unmarshal([]byte(attrs), &res.Attrs); err != nil {
				return fmt.Errorf("resource %s attrs: %w", res.ID, err)
			}
			if err := fn(res); err != nil {
				return err
			}
		}
		return r.Err()
	})
}

// WalkAccountLedger streams the current ledger rows of accounts (AWS
// accounts, Azure subscriptions, GCP projects; compared without regard to
// case) with a charge day in [from, to), whichever source imported them: a
// member account's lines often arrive in its organisation's export. When
// source (the connection's own export) holds a billing period, that
// period's rows come from it alone, so an account exported twice is not
// counted twice. Without accounts it streams source's rows.
func (db *DB) WalkAccountLedger(ctx context.Context, tenant valdrix.TenantID, source string, accounts []string, from, to valdrix.Date, fn func(*ingestion.LedgerRow) error) error {
	if len(accounts) == 0 {
		return db.walkLedger(ctx, tenant, ledgerFilter{source: source}, from, to, fn)
	}
	return db.walkLedger(ctx, tenant, ledgerFilter{accounts: accounts, prefer: source}, from, to, fn)
}

var _ optimization.Store = (*DB)(nil)

// ---- cloud API budget

// ReserveAPIBudget grants up to n units of tenant's daily budget of api
// (limit a day), records what it granted and denied, and returns the grant.
// Concurrent reservations never grant more than the limit together.
func (db *DB) ReserveAPIBudget(ctx context.Context, tenant valdrix.TenantID, api string, day valdrix.Date, n, limit int64) (int64, error) {
	var granted int64
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		if _, err := s.exec(ctx, `INSERT INTO api_budget_usage (tenant_id, api, day, used, denied) VALUES ($1, $2, $3, 0, 0)
			ON CONFLICT (tenant_id, api, day) DO NOTHING`, string(tenant), api, int64(day)); err != nil {
			return db.translate(err, "API budget")
		}
		lock := ""
		if db.pg != nil {
			lock = " FOR UPDATE"
		}
		var used int64
		if err := s.queryRow(ctx, "SELECT used FROM api_budget_usage WHERE tenant_id = $1 AND api = $2 AND day = $3"+lock,
			[]any{string(tenant), api, int64(day)}, &used); err != nil {
			return db.translate(err, "API budget")
		}
		granted = max(0, min(n, limit-used))
		_, err := s.exec(ctx, "UPDATE api_budget_usage SET used = used + $1, denied = denied + $2 WHERE tenant_id = $3 AND api = $4 AND day = $5",
			granted, n-granted, string(tenant), api, int64(day))
		return db.translate(err, "API budget")
	})
	return granted, err
}

// GoneResources returns the ids and billing ids of the connection's
// resources that discovery saw disappear at or after since.
func (db *DB) GoneResources(ctx context.Context, tenant valdrix.TenantID, connection string, since time.Time) (map[string]bool, error) {
	out := map[string]bool{}
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT resource_id, billing_id FROM resources WHERE tenant_id = $1 AND connection_id = $2
			AND gone_at IS NOT NULL AND gone_at >= $3`, string(tenant), connection, since)
		if err != nil {
			return db.translate(err, "Resources")
		}
		defer r.Close()
		for r.Next() {
			var id, billing string
			if err := r.Scan(&id, &billing); err != nil {
				return err
			}
			out[id] = true
			if billing != "" {
				out[billing] = true
			}
		}
		return r.Err()
	})
	return out, err
}
