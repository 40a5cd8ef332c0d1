package cli

import (
	"encoding/csv"
	"fmt"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type carbonCmd struct {
	tenantFlag
	From     string   `name:"from" help:"First day (YYYY-MM-DD); default: the first day of the current month."`
	To       string   `name:"to" help:"Last day, included (YYYY-MM-DD); default: the last day of the current month."`
	GroupBy  []string `name:"group-by" sep:"," help:"Dimensions: provider, account, service, region, month, kind (none: one group)."`
	Provider []string `name:"provider" sep:"none" help:"Only this provider: aws, azure or gcp (repeatable)."`
	Account  []string `name:"account" sep:"none" help:"Only this sub account: AWS account, Azure subscription, GCP project (repeatable)."`
	Region   []string `name:"region" sep:"none" help:"Only this region (repeatable)."`
	Service  []string `name:"service" sep:"none" help:"Only this service, as billed (repeatable)."`
	Currency []string `name:"currency" sep:"none" help:"Only rows billed in this currency (repeatable; needed when the ledger has several)."`
	Limit    int      `name:"limit" default:"0" help:"At most this many groups, largest kgCO2e first (0: all); the total covers every group."`
	Output   string   `name:"output" short:"o" default:"table" enum:"table,json,csv" help:"Output format: table, json (the API's document) or csv."`
}

// query builds the footprint query from the flags; errors name the flag.
func (c carbonCmd) query(today valdrix.Date) (reporting.CarbonQuery, error) {
	return reporting.ParseCarbonQuery(reporting.CarbonParams{
		From: c.From, To: c.To, GroupBy: c.GroupBy, Limit: c.Limit,
		Providers: c.Provider, Accounts: c.Account, Regions: c.Region, Services: c.Service, Currencies: c.Currency,
	}, today, func(p string) string { return "--" + strings.ReplaceAll(p, "_", "-") })
}

func (c carbonCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	q, err := c.query(valdrix.DateOf(core.Clock.Now()))
	if err != nil {
		return err
	}
	rep, err := core.Reporting.Carbon(rc, tenant, q)
	if err != nil {
		return err
	}
	cols := reporting.CarbonColumns(rep.GroupBy)
	switch c.Output {
	case "json":
		return writeJSON(rc.env.Stdout, rep)
	case "csv":
		w := csv.NewWriter(rc.env.Stdout)
		_ = w.Write(cols)
		for _, g := range rep.Groups {
			_ = w.Write(g.Cells(rep.GroupBy))
		}
		w.Flush()
		return w.Error()
	}
	if rep.Total.Rows == 0 {
		fmt.Fprintf(rc.env.Stderr, "No ledger rows from %s to %s.\n", rep.From, rep.To)
	}
	// The table keeps the figures a person reads; csv and json have all.
	shown := append(slices.Clone(rep.GroupBy), "total_kgco2e", "operational_kgco2e", "embodied_kgco2e", "kwh",
		"billed_cost", "rows", "unknown_rows", "unestimated_cost")
	pick := func(cells []string) []string {
		out := make([]string, len(shown))
		for i, name := range shown {
			switch v := cells[slices.Index(cols, name)]; {
			case v != "":
				out[i] = v
			case i < len(rep.GroupBy):
				out[i] = "-" // the rows carry no value
			default:
				out[i] = "unknown" // no usage row of the group could be estimated
			}
		}
		return out
	}
	rows := make([][]string, 0, len(rep.Groups)+1)
	for _, g := range rep.Groups {
		rows = append(rows, pick(g.Cells(rep.GroupBy)))
	}
	if len(rep.GroupBy) > 0 {
		total := pick(rep.Total.Cells(rep.GroupBy))
		total[0] = "TOTAL"
		rows = append(rows, total)
	}
	if err := writeTable(rc.env.Stdout, shown, rows); err != nil {
		return err
	}
	return writeCarbonNotes(rc, rep)
}

// writeCarbonNotes says under the table what the figures are and what they
// leave out.
func writeCarbonNotes(rc *runCtx, rep reporting.CarbonReport) error {
	w := rc.env.Stdout
	cur := rep.Currency
	if cur == "" {
		cur = "-"
	}
	fmt.Fprintf(w, "\n%s to %s; kgCO2e and kWh by the CCF method, coefficients %s; costs in %s.\n", rep.From, rep.To, rep.CoefficientsVersion, cur)
	if rep.Truncated {
		fmt.Fprintf(w, "Showing %d of %d groups (--limit); TOTAL covers all.\n", len(rep.Groups), rep.GroupCount)
	}
	t := rep.Total
	if t.UnknownRows > 0 {
		reasons := make([]string, 0, len(t.UnknownReasons))
		for r, n := range t.UnknownReasons {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
		slices.Sort(reasons)
		fmt.Fprintf(w, "UNDERCOUNT: %d of %d usage rows could not be estimated (%s); their effective cost %s %s is not in the figures.\n",
			t.UnknownRows, t.Rows-t.NotUsageRows, strings.Join(reasons, ", "), t.UnestimatedCost, cur)
	}
	_, err := fmt.Fprintf(w, "%d rows: %d estimated, %d unknown, %d without usage (tax, credits, fees).\n", t.Rows, t.EstimatedRows, t.UnknownRows, t.NotUsageRows)
	return err
}
