package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type ingestCmd struct {
	tenantFlag
	Connection string   `name:"connection" help:"Attribute the files to this connection (its id); the period is replaced per connection."`
	Source     string   `name:"source" help:"Name of the local source (default: the detected format); a period is replaced per source."`
	Format     string   `name:"format" default:"auto" enum:"auto,cur2,cur,azure,gcp,focus" help:"Billing format: auto (detect), cur2, cur, azure, gcp or focus."`
	Period     []string `name:"period" help:"With --connection and no paths: billing periods to fetch (YYYY-MM, repeatable; default the current and previous month)."`
	Paths      []string `arg:"" optional:"" name:"path" type:"path" help:"Billing files or directories (manifests are followed). Without paths, --connection's export is fetched."`
	output
}

// ingestResult is one period's outcome, for --output json.
type ingestResult struct {
	Import ingestion.Import `json:"import"`
	Error  string           `json:"error,omitempty"`
}

func (c ingestCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	format, err := ingestion.ParseFormat("--format", c.Format)
	if err != nil {
		return err
	}
	if c.Connection != "" && !valdrix.ValidID(c.Connection) {
		return valdrix.FieldError("--connection", "%q is not a connection id", c.Connection)
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	if _, err := core.Store.GetTenant(rc, tenant); err != nil {
		return err
	}
	if len(c.Paths) == 0 {
		return c.fromConnection(rc, core, tenant)
	}
	groups, err := ingestion.FindLocal(rc, c.Paths)
	if err != nil {
		return err
	}
	if len(groups) == 0 {
		return valdrix.FieldError("path", "no billing files (.csv, .csv.gz, .parquet, .json, .jsonl) or manifests under %s", strings.Join(c.Paths, ", "))
	}
	var results []ingestResult
	failed := 0
	for _, g := range groups {
		f := format
		if f == ingestion.FormatAuto && g.Format != "" {
			f = g.Format
		}
		named := f
		if named == ingestion.FormatAuto && c.Source == "" && c.Connection == "" && len(g.Files) > 0 {
			// Name the local source after what the files are, so that AWS and
			// Azure files of one month do not replace each other.
			if d, err := ingestion.Detect(rc, g.Files[0]); err == nil {
				named = d.Format
			}
		}
		source := c.source(g, named)
		label := fmt.Sprintf("%s %s", source, periodLabel(g.Period))
		bar := newProgressBar(rc.env.Stderr, label, g.Bytes)
		imp, err := core.Importer.Import(rc, ingestion.ImportRequest{
			Tenant: tenant, Source: source, Files: g, Format: f, Actor: "system:cli",
			Read: ingestion.ReadOptions{Progress: bar.update},
		})
		bar.finish()
		res := ingestResult{Import: imp}
		if err != nil {
			failed++
			res.Error = valdrix.ErrorMessage(err)
		}
		results = append(results, res)
		if !c.json() {
			printImport(rc, imp, err)
		}
	}
	if c.json() {
		if err := writeJSON(rc.env.Stdout, results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d billing periods failed to import", failed, len(groups))
	}
	return nil
}

// source is where the period's rows are filed: the connection, else
// local:<name>.
func (c ingestCmd) source(g ingestion.PeriodFiles, f ingestion.Format) string {
	switch {
	case c.Connection != "":
		return c.Connection
	case c.Source != "":
		return "local:" + c.Source
	case f != ingestion.FormatAuto && f != "":
		return "local:" + string(f)
	}
	return "local:files"
}

func periodLabel(m valdrix.Month) string {
	if m == 0 {
		return "(period from the rows)"
	}
	return m.String()
}

func printImport(rc *runCtx, imp ingestion.Import, err error) {
	w := rc.env.Stdout
	fmt.Fprintf(w, "%s %s: %s", imp.SourceID, periodLabel(imp.BillingPeriod), imp.Status)
	if imp.Format != "" {
		fmt.Fprintf(w, " (format %s", imp.Format)
		if imp.FormatReason != "" {
			fmt.Fprintf(w, ": %s", imp.FormatReason)
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
	if err != nil {
		fmt.Fprintf(w, "  error: %s\n", valdrix.ErrorMessage(err))
		if imp.ErrorLocation != "" {
			fmt.Fprintf(w, "  at: %s\n", imp.ErrorLocation)
		}
		fmt.Fprintln(w, "  the ledger was not changed")
		return
	}
	if imp.Status == ingestion.ImportUnchanged {
		fmt.Fprintf(w, "  %s; nothing changed\n", imp.Error)
		return
	}
	d := imp.Duration()
	rate := ""
	if d > 0 {
		rate = fmt.Sprintf(", %s rows/s", groupDigits(int64(float64(imp.RowsRead)/d.Seconds())))
	}
	fmt.Fprintf(w, "  %s rows read, %s ledger rows, %s%s\n", groupDigits(imp.RowsRead), groupDigits(imp.LedgerRows), d.Round(time.Millisecond), rate)
	rows := make([][]string, len(imp.Totals))
	for i, t := range imp.Totals {
		rows[i] = []string{"  " + t.ChargeCategory, t.BillingCurrency, t.BilledCost.StringFixed(2), t.EffectiveCost.StringFixed(2), groupDigits(t.Lines)}
	}
	_ = writeTable(w, []string{"  CHARGE CATEGORY", "CURRENCY", "BILLED", "EFFECTIVE", "LINES"}, rows)
}

// fromConnection fetches the connection's billing export and imports it.
func (c ingestCmd) fromConnection(rc *runCtx, core *app.Core, tenant valdrix.TenantID) error {
	if c.Connection == "" {
		return valdrix.FieldError("path", "give billing files, or --connection to fetch its export")
	}
	var periods []valdrix.Month
	for _, p := range c.Period {
		m, err := valdrix.ParseMonth("--period", p)
		if err != nil {
			return err
		}
		periods = append(periods, m)
	}
	bar := newProgressBar(rc.env.Stderr, "connection "+c.Connection, 0)
	imports, err := core.Scan.Ingest(rc, cliActor, tenant, c.Connection, scan.IngestOpts{Periods: periods, Progress: bar.update})
	bar.finish()
	if c.json() {
		if jerr := writeJSON(rc.env.Stdout, imports); jerr != nil {
			return jerr
		}
	} else {
		for _, imp := range imports {
			printImport(rc, imp, nil)
		}
	}
	return err
}
