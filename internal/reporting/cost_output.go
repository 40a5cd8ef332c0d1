package reporting

// CostColumns are the fields of a cost record, in order: the query's
// dimensions, then the metrics.
func CostColumns(q CostQuery) []string {
	cols := make([]string, 0, len(q.GroupBy)+5)
	for _, k := range q.GroupBy {
		cols = append(cols, string(k))
	}
	return append(cols, "billed_cost", "effective_cost", "list_cost", "consumed_quantity", "rows")
}

// CostRecord renders a group as a flat record keyed by CostColumns: the
// dimension values, and the metrics as exact decimal strings (nil when
// unknown). The CLI's JSON and CSV and the API share it.
func CostRecord(q CostQuery, g CostGroup) map[string]any {
	rec := make(map[string]any, len(q.GroupBy)+5)
	for i, k := range q.GroupBy {
		if _, isTag := k.Tag(); isTag && g.Keys[i] == "" {
			rec[string(k)] = nil // the rows do not carry the tag
			continue
		}
		rec[string(k)] = g.Keys[i]
	}
	rec["billed_cost"] = g.BilledCost.String()
	rec["effective_cost"] = g.EffectiveCost.String()
	rec["list_cost"] = nil
	if g.ListCost != nil {
		rec["list_cost"] = g.ListCost.String()
	}
	rec["consumed_quantity"] = nil
	if g.ConsumedQuantity != nil {
		rec["consumed_quantity"] = g.ConsumedQuantity.String()
	}
	rec["rows"] = g.Rows
	return rec
}
