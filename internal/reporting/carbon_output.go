package reporting

import (
	"slices"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// CarbonColumns are the fields of a flat footprint record, in order: the
// grouped dimensions, then the figures. The CLI's CSV and table use them.
func CarbonColumns(groupBy []string) []string {
	return append(slices.Clone(groupBy), "total_kgco2e", "operational_kgco2e", "embodied_kgco2e", "kwh",
		"billed_cost", "effective_cost", "unestimated_cost", "rows", "estimated_rows", "unknown_rows",
		"not_usage_rows", "unknown_reasons", "complete")
}

// Cells renders the group as the values of CarbonColumns(groupBy): exact
// decimals ("" when unknown), and the unknown reasons as "reason=count"
// joined by ";" (sorted).
func (g CarbonGroup) Cells(groupBy []string) []string {
	out := make([]string, 0, len(groupBy)+13)
	for _, d := range groupBy {
		out = append(out, g.Dimensions[d])
	}
	reasons := make([]string, 0, len(g.UnknownReasons))
	for r, n := range g.UnknownReasons {
		reasons = append(reasons, string(r)+"="+strconv.Itoa(n))
	}
	slices.Sort(reasons)
	return append(out, decimalText(g.TotalKg), decimalText(g.OperationalKg), decimalText(g.EmbodiedKg), decimalText(g.KWh),
		g.BilledCost.String(), g.EffectiveCost.String(), g.UnestimatedCost.String(),
		strconv.Itoa(g.Rows), strconv.Itoa(g.EstimatedRows), strconv.Itoa(g.UnknownRows),
		strconv.Itoa(g.NotUsageRows), strings.Join(reasons, ";"), strconv.FormatBool(g.Complete))
}

// decimalText renders an optional decimal, "" when it is unknown.
func decimalText(d *valdrix.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}
