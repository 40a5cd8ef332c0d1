package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type costsCmd struct {
	Show   costsShowCmd   `cmd:"" default:"withargs" help:"Sum costs over a window, grouped and filtered by any dimension."`
	Export costsExportCmd `cmd:"" help:"Export the ledger as FOCUS 1.2 (CSV or Parquet)."`
}

// windowFlags are --from and --to (both days included).
type windowFlags struct {
	From string `name:"from" required:"" help:"First day (YYYY-MM-DD)."`
	To   string `name:"to" required:"" help:"Last day, included (YYYY-MM-DD)."`
}

func (w windowFlags) window() (valdrix.Date, valdrix.Date, error) {
	from, err := valdrix.ParseDate("--from", w.From)
	if err != nil {
		return 0, 0, err
	}
	to, err := valdrix.ParseDate("--to", w.To)
	if err != nil {
		return 0, 0, err
	}
	if to < from {
		return 0, 0, valdrix.FieldError("--to", "is before --from")
	}
	return from, to.AddDays(1), nil
}

type costsShowCmd struct {
	tenantFlag
	windowFlags
	GroupBy []string `name:"group-by" sep:"," help:"Dimensions: provider, billing_account, account, service, category, region, resource, resource_type, charge_category, sku, usage_type, currency, day, month, source, tag:NAME."`
	Filter  []string `name:"filter" help:"KEY=VALUE (repeatable; several values of one key are alternatives)."`
	Limit   int      `name:"limit" default:"0" help:"At most this many groups, largest effective cost first (0: all)."`
	Output  string   `name:"output" short:"o" default:"table" enum:"table,json,csv" help:"Output format: table, json or csv."`
}

// costQuery builds a query from CLI flags.
func costQuery(from, to valdrix.Date, groupBy, filters []string, limit int) (reporting.CostQuery, error) {
	q := reporting.CostQuery{From: from, To: to, Limit: limit}
	for _, g := range groupBy {
		k, err := reporting.ParseCostKey("--group-by", g)
		if err != nil {
			return q, err
		}
		q.GroupBy = append(q.GroupBy, k)
	}
	for _, f := range filters {
		cf, err := reporting.ParseCostFilter("--filter", f)
		if err != nil {
			return q, err
		}
		q.Filters = append(q.Filters, cf)
	}
	return q, q.Validate()
}

func (c costsShowCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	from, to, err := c.window()
	if err != nil {
		return err
	}
	q, err := costQuery(from, to, c.GroupBy, c.Filter, c.Limit)
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	groups, err := core.Reporting.Costs(rc, tenant, q)
	if err != nil {
		return err
	}
	cols := reporting.CostColumns(q)
	records := make([]map[string]any, len(groups))
	for i, g := range groups {
		records[i] = reporting.CostRecord(q, g)
	}
	switch c.Output {
	case "json":
		return writeJSON(rc.env.Stdout, records)
	case "csv":
		w := csv.NewWriter(rc.env.Stdout)
		_ = w.Write(cols)
		for _, r := range records {
			row := make([]string, len(cols))
			for i, col := range cols {
				row[i] = cellText(r[col])
			}
			_ = w.Write(row)
		}
		w.Flush()
		return w.Error()
	}
	header := slices.Clone(cols)
	rows := make([][]string, 0, len(records)+1)
	var billed, effective valdrix.Decimal
	for i, r := range records {
		row := make([]string, len(cols))
		for j, col := range cols {
			row[j] = cellText(r[col])
			if row[j] == "" {
				row[j] = "-"
			}
		}
		rows = append(rows, row)
		billed, _ = billed.Add(groups[i].BilledCost)
		effective, _ = effective.Add(groups[i].EffectiveCost)
	}
	if len(groups) > 1 {
		total := make([]string, len(cols))
		total[0] = "TOTAL"
		total[len(q.GroupBy)] = billed.String()
		total[len(q.GroupBy)+1] = effective.String()
		rows = append(rows, total)
	}
	if len(groups) == 0 {
		fmt.Fprintln(rc.env.Stderr, "No costs in this window.")
	}
	return writeTable(rc.env.Stdout, header, rows)
}

func cellText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case int64:
		return strconv.FormatInt(t, 10)
	}
	return fmt.Sprint(v)
}

type costsExportCmd struct {
	tenantFlag
	windowFlags
	Format     string `name:"format" default:"focus" enum:"focus" help:"Export schema: focus (FOCUS 1.2 columns plus x_ extensions)."`
	FileFormat string `name:"file-format" default:"csv" enum:"csv,parquet" help:"csv or parquet."`
	Out        string `name:"out" short:"O" type:"path" help:"Write to this file (default: standard output for CSV; required for Parquet)."`
}

func (c costsExportCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	from, to, err := c.window()
	if err != nil {
		return err
	}
	if c.FileFormat == "parquet" && c.Out == "" {
		return valdrix.FieldError("--out", "is required for Parquet")
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	w := rc.env.Stdout
	var file *os.File
	if c.Out != "" {
		tmp, err := os.CreateTemp(filepath.Dir(c.Out), ".export-*")
		if err != nil {
			return fmt.Errorf("create %s: %w", c.Out, err)
		}
		defer os.Remove(tmp.Name())             //nolint:errcheck // gone after the rename
		file, w = tmp, struct{ io.Writer }{tmp} // the Parquet writer closes what it can; the CLI closes the file

	}
	var fw reporting.FocusWriter
	if c.FileFormat == "parquet" {
		fw, err = reporting.NewFocusParquet(w)
	} else {
		fw, err = reporting.NewFocusCSV(w)
	}
	if err != nil {
		return err
	}
	n := 0
	err = core.Store.WalkLedger(rc, tenant, from, to, func(r *ingestion.LedgerRow) error {
		n++
		return fw.Write(r)
	})
	if cerr := fw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
		if err := os.Rename(file.Name(), c.Out); err != nil {
			return err
		}
	}
	fmt.Fprintf(rc.env.Stderr, "exported %d ledger rows\n", n)
	return nil
}
