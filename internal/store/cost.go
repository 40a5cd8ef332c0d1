package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var costColumns = map[reporting.CostKey]string{
	reporting.KeyProvider:       "l.provider",
	reporting.KeyBillingAccount: "l.billing_account_id",
	reporting.KeyAccount:        "l.sub_account_id",
	reporting.KeyService:        "l.service_name",
	reporting.KeyCategory:       "l.service_category",
	reporting.KeyRegion:         "l.region_id",
	reporting.KeyResource:       "l.resource_id",
	reporting.KeyResourceType:   "l.resource_type",
	reporting.KeyChargeCategory: "l.charge_category",
	reporting.KeySKU:            "l.sku_id",
	reporting.KeyUsageType:      "l.usage_type",
	reporting.KeyCurrency:       "l.billing_currency",
	reporting.KeyDay:            "l.charge_day",
	reporting.KeyMonth:          "l.charge_month",
	reporting.KeySource:         "l.source_id",
}

// costExpr returns the SQL expression of a dimension, adding its parameter
// (a tag's name) to b.
func (db *DB) costExpr(b *sqlBuilder, k reporting.CostKey) string {
	if name, ok := k.Tag(); ok {
		if db.pg != nil {
			return "(NULLIF(l.tags, '')::jsonb ->> " + b.arg(name) + ")"
		}
		return "json_extract(NULLIF(l.tags, ''), " + b.arg(`$."`+strings.ReplaceAll(name, `"`, `\"`)+`"`) + ")"
	}
	return costColumns[k]
}

// filterValue converts a filter's text to the column's type.
func filterValue(f reporting.CostFilter) any {
	switch f.Key {
	case reporting.KeyDay:
		d, _ := valdrix.ParseDate("filter", f.Value)
		return int64(d)
	case reporting.KeyMonth:
		m, _ := valdrix.ParseMonth("filter", f.Value)
		return int64(m)
	}
	return f.Value
}

// QueryCosts sums the current ledger of tenant by the query's dimensions.
func (db *DB) QueryCosts(ctx context.Context, tenant valdrix.TenantID, q reporting.CostQuery) ([]reporting.CostGroup, error) {
	b := newSQL("", string(tenant))
	var sel []string
	for _, k := range q.GroupBy {
		sel = append(sel, "COALESCE("+db.costExpr(b, k)+", '')")
		if k == reporting.KeyDay || k == reporting.KeyMonth {
			sel[len(sel)-1] = db.costExpr(b, k)
		}
	}
	sel = append(sel, "l.billing_currency",
		"SUM(l.billed_cost)", "SUM(l.effective_cost)",
		"SUM(CASE WHEN (l.missing & 1) = 0 THEN l.list_cost ELSE 0 END)", "SUM(CASE WHEN (l.missing & 1) = 0 THEN 0 ELSE 1 END)",
		"SUM(CASE WHEN (l.missing & 4) = 0 THEN l.consumed_quantity ELSE 0 END)", "SUM(CASE WHEN (l.missing & 4) = 0 THEN 0 ELSE 1 END)",
		"COUNT(*)", "SUM(l.line_count)")
	where := "l.tenant_id = $1 AND l.charge_day >= " + b.arg(int64(q.From)) + " AND l.charge_day < " + b.arg(int64(q.To))
	byKey := map[reporting.CostKey][]reporting.CostFilter{}
	var order []reporting.CostKey
	for _, f := range q.Filters {
		if _, seen := byKey[f.Key]; !seen {
			order = append(order, f.Key)
		}
		byKey[f.Key] = append(byKey[f.Key], f)
	}
	for _, k := range order {
		expr := db.costExpr(b, k)
		var alts []string
		for _, f := range byKey[k] {
			alts = append(alts, expr+" = "+b.arg(filterValue(f)))
		}
		where += " AND (" + strings.Join(alts, " OR ") + ")"
	}
	groupBy := make([]string, 0, len(q.GroupBy)+1)
	for i := range len(q.GroupBy) + 1 {
		groupBy = append(groupBy, strconv.Itoa(i+1))
	}
	b.sql = "SELECT " + strings.Join(sel, ", ") + " FROM ledger l" + currentLedger + " WHERE " + where +
		" GROUP BY " + strings.Join(groupBy, ", ") + " ORDER BY " + strconv.Itoa(len(q.GroupBy)+3) + " DESC, " + strings.Join(groupBy, ", ")
	if q.Limit > 0 {
		b.sql += " LIMIT " + b.arg(q.Limit)
	}
	var out []reporting.CostGroup
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Costs")
		}
		defer r.Close()
		for r.Next() {
			g := reporting.CostGroup{Keys: make([]string, len(q.GroupBy))}
			dest := make([]any, 0, len(q.GroupBy)+9)
			ints := make([]int64, len(q.GroupBy))
			for i, k := range q.GroupBy {
				if k == reporting.KeyDay || k == reporting.KeyMonth {
					dest = append(dest, &ints[i])
				} else {
					dest = append(dest, &g.Keys[i])
				}
			}
			var billed, effective, list, listMissing, qty, qtyMissing int64
			dest = append(dest, &g.Currency, &billed, &effective, &list, &listMissing, &qty, &qtyMissing, &g.Rows, &g.Lines)
			if err := r.Scan(dest...); err != nil {
				return fmt.Errorf("scan costs: %w", err)
			}
			for i, k := range q.GroupBy {
				switch k {
				case reporting.KeyDay:
					g.Keys[i] = valdrix.Date(ints[i]).String()
				case reporting.KeyMonth:
					g.Keys[i] = valdrix.Month(ints[i]).String()
				}
			}
			g.BilledCost, g.EffectiveCost = valdrix.Decimal(billed), valdrix.Decimal(effective)
			if listMissing == 0 {
				v := valdrix.Decimal(list)
				g.ListCost = &v
			}
			if qtyMissing == 0 {
				v := valdrix.Decimal(qty)
				g.ConsumedQuantity = &v
			}
			out = append(out, g)
		}
		return db.translate(r.Err(), "Costs")
	})
	return out, err
}
