package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type findingsCmd struct {
	List    findingsListCmd    `cmd:"" default:"withargs" help:"List findings, largest monthly savings first, with totals."`
	Show    findingsShowCmd    `cmd:"" help:"Show a finding with its evidence and history."`
	Snooze  findingsSnoozeCmd  `cmd:"" help:"Hide a finding until a date (it opens again then)."`
	Dismiss findingsDismissCmd `cmd:"" help:"Record that a finding is not waste, with the reason."`
	Reopen  findingsReopenCmd  `cmd:"" help:"Open a snoozed, dismissed or resolved finding again."`
}

// findingFormat is the --output flag of finding listings.
type findingFormat struct {
	Output string `name:"output" short:"o" default:"table" enum:"table,json,csv" help:"Output format: table, json (with evidence) or csv."`
}

type findingsListCmd struct {
	tenantFlag
	Status     string `name:"status" default:"open" help:"Comma-separated statuses (open, snoozed, dismissed, resolved, remediating) or all."`
	Connection string `name:"connection" help:"Only this connection."`
	Provider   string `name:"provider" enum:",aws,azure,gcp" default:"" help:"Only this provider."`
	Rule       string `name:"rule" help:"Only this rule id (valdrix rules lists them)."`
	Account    string `name:"account" help:"Only this account, subscription or project."`
	Region     string `name:"region" help:"Only this region."`
	Tag        string `name:"tag" help:"Only resources with this tag: key or key=value."`
	MinSavings string `name:"min-savings" help:"Only findings saving at least this much a month."`
	Sort       string `name:"sort" default:"-savings" enum:"savings,-savings,cost,-cost,carbon,-carbon,first_seen,-first_seen,last_seen,-last_seen" help:"Sort key; a leading - sorts largest first."`
	Limit      int    `name:"limit" default:"0" help:"Print at most this many (0: all)."`
	findingFormat
}

func parseStatuses(s string) ([]optimization.Status, error) {
	if s == "" || s == "all" {
		return nil, nil
	}
	var out []optimization.Status
	for part := range strings.SplitSeq(s, ",") {
		st := optimization.Status(strings.TrimSpace(part))
		if !st.Valid() {
			return nil, valdrix.FieldError("--status", "%q is not a status (open, snoozed, dismissed, resolved, remediating or all)", part)
		}
		out = append(out, st)
	}
	return out, nil
}

func (c findingsListCmd) filter() (optimization.Filter, error) {
	f := optimization.Filter{Connection: c.Connection, Provider: valdrix.Provider(c.Provider), RuleID: c.Rule, AccountID: c.Account,
		Region: c.Region, Tag: c.Tag, Sort: strings.TrimPrefix(c.Sort, "-"), Desc: strings.HasPrefix(c.Sort, "-")}
	var err error
	if f.Statuses, err = parseStatuses(c.Status); err != nil {
		return f, err
	}
	if c.MinSavings != "" {
		d, err := valdrix.ParseDecimal(c.MinSavings)
		if err != nil {
			return f, valdrix.FieldError("--min-savings", "%q is not a number", c.MinSavings)
		}
		f.MinSavings = &d
	}
	if c.Limit < 0 {
		return f, valdrix.FieldError("--limit", "must not be negative")
	}
	return f, nil
}

func (c findingsListCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	f, err := c.filter()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	recs, sum, err := collectFindings(rc, core, tenant, f, c.Limit)
	if err != nil {
		return err
	}
	return printFindings(rc.env.Stdout, c.Output, recs, sum, nil)
}

// collectFindings reads the findings f selects (at most limit, 0: all) and
// their summary.
func collectFindings(rc *runCtx, core *app.Core, tenant valdrix.TenantID, f optimization.Filter, limit int) ([]optimization.Record, optimization.Summary, error) {
	var out []optimization.Record
	cursor := ""
	for {
		page, next, err := core.Optimization.ListFindings(rc, cliActor, tenant, f, governance.Page{Limit: governance.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, optimization.Summary{}, err
		}
		out = append(out, page...)
		if limit > 0 && len(out) >= limit {
			out = out[:limit]
			break
		}
		if next == "" {
			break
		}
		cursor = next
	}
	sum, err := core.Optimization.Summarize(rc, cliActor, tenant, f)
	return out, sum, err
}

// truthReport compares findings with a simulator's seeded waste.
type truthReport struct {
	Seeded    int     `json:"seeded"`
	Found     int     `json:"found"`
	Extra     int     `json:"extra"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	// Missed lists the seeded waste not found ("code billing-id").
	Missed []string `json:"missed,omitempty"`
}

// findingsDoc is the JSON of a finding listing.
type findingsDoc struct {
	Findings    []optimization.Record `json:"findings"`
	Summary     optimization.Summary  `json:"summary"`
	GroundTruth *truthReport          `json:"ground_truth,omitempty"`
}

var findingColumns = []string{"id", "status", "provider", "account_id", "region", "rule_id", "code", "resource_type", "resource_id",
	"title", "monthly_cost", "monthly_savings", "savings_state", "currency", "kg_co2e_per_month", "confidence", "first_seen", "last_seen"}

func findingRow(r optimization.Record) []string {
	kg := ""
	if r.Carbon.Known {
		kg = r.Carbon.KgCO2ePerMonth.String()
	}
	return []string{r.ID, string(r.Status), string(r.Provider), r.AccountID, r.Region, r.RuleID, r.Code, r.ResourceType, r.ResourceID,
		r.Title, moneyCell(r.MonthlyCost, false), moneyCell(r.MonthlySavings, false), string(r.MonthlySavings.State),
		cmpOr(r.MonthlySavings.Currency, r.MonthlyCost.Currency), kg, strconv.FormatFloat(r.Confidence, 'f', 2, 64),
		r.FirstSeen.Format(time.RFC3339), r.LastSeen.Format(time.RFC3339)}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// moneyCell prints a figure: the amount (rounded to cents for people), or
// what it is when it is not known ("unpriced", never 0).
func moneyCell(m zombie.Money, round bool) string {
	if !m.Known() {
		return string(cmpOr(string(m.State), "unknown"))
	}
	if round {
		return m.Amount.StringFixed(2)
	}
	return m.Amount.String()
}

// printFindings writes findings as a table (with totals), JSON or CSV.
func printFindings(w io.Writer, format string, recs []optimization.Record, sum optimization.Summary, truth *truthReport) error {
	switch format {
	case "json":
		if recs == nil {
			recs = []optimization.Record{}
		}
		return writeJSON(w, findingsDoc{Findings: recs, Summary: sum, GroundTruth: truth})
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(findingColumns); err != nil {
			return err
		}
		for _, r := range recs {
			if err := cw.Write(findingRow(r)); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	rows := make([][]string, len(recs))
	for i, r := range recs {
		kg := "unknown"
		if r.Carbon.Known {
			kg = r.Carbon.KgCO2ePerMonth.StringFixed(1)
		}
		name := r.ResourceID
		if r.ResourceName != "" && r.ResourceName != r.ResourceID {
			name = r.ResourceName
		}
		rows[i] = []string{moneyCell(r.MonthlySavings, true), moneyCell(r.MonthlyCost, true), kg, string(r.Provider), r.AccountID, r.Region,
			r.RuleID, shorten(name, 48), string(r.Status), r.ID}
	}
	if len(rows) > 0 {
		if err := writeTable(w, []string{"SAVINGS/MO", "COST/MO", "KGCO2E/MO", "CLOUD", "ACCOUNT", "REGION", "RULE", "RESOURCE", "STATUS", "ID"}, rows); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	printSummary(w, sum, truth)
	return nil
}

func printSummary(w io.Writer, sum optimization.Summary, truth *truthReport) {
	counts := make([]string, 0, len(sum.ByStatus))
	for _, st := range optimization.AllStatuses() {
		if n := sum.ByStatus[st]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, st))
		}
	}
	if len(counts) == 0 {
		counts = append(counts, "none")
	}
	fmt.Fprintf(w, "findings: %s\n", strings.Join(counts, ", "))
	for _, t := range sum.Totals {
		unpriced := ""
		if t.UnpricedFindings > 0 {
			unpriced = fmt.Sprintf(" (%d unpriced, not counted)", t.UnpricedFindings)
		}
		fmt.Fprintf(w, "total: %s %s/month savings on %s %s/month of cost, %s kgCO2e/month, over %d findings%s (each billed line counted once)\n",
			t.MonthlySavings.StringFixed(2), t.Currency, t.MonthlyCost.StringFixed(2), t.Currency, t.KgCO2ePerMonth.StringFixed(1), t.Findings, unpriced)
	}
	if truth != nil {
		fmt.Fprintf(w, "simulator ground truth: %d of %d seeded waste items found, %d findings not seeded (precision %.1f %%, recall %.1f %%)\n",
			truth.Found, truth.Seeded, truth.Extra, 100*truth.Precision, 100*truth.Recall)
		for _, m := range truth.Missed[:min(len(truth.Missed), 10)] {
			fmt.Fprintf(w, "  not found: %s\n", m)
		}
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n+1:]
}

type findingIDArg struct {
	tenantFlag
	ID string `arg:"" help:"Finding id."`
}

type findingsShowCmd struct {
	findingIDArg
	output
}

func (c findingsShowCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	rec, evs, err := core.Optimization.GetFinding(rc, cliActor, tenant, c.ID)
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, struct {
			optimization.Record
			History []optimization.Event `json:"history"`
		}{rec, evs})
	}
	w := rc.env.Stdout
	fmt.Fprintf(w, "%s  %s\n%s\n\n", rec.Title, rec.Status, rec.Detail)
	kg := "unknown"
	if rec.Carbon.Known {
		kg = rec.Carbon.KgCO2ePerMonth.StringFixed(2) + " (coefficients " + rec.Carbon.CoefficientsVersion + ")"
	}
	rows := [][]string{
		{"rule", fmt.Sprintf("%s v%d (%s)", rec.RuleID, rec.RuleVersion, rec.Code)},
		{"resource", rec.ResourceType + " " + rec.ResourceID},
		{"where", fmt.Sprintf("%s %s %s", rec.Provider, rec.AccountID, rec.Region)},
		{"monthly cost", moneyCell(rec.MonthlyCost, false) + " " + rec.MonthlyCost.Currency + " (" + rec.MonthlyCost.Source + ")"},
		{"monthly savings", moneyCell(rec.MonthlySavings, false) + " " + rec.MonthlySavings.Currency + " (" + rec.SavingsMethod + ")"},
		{"kgCO2e/month", kg},
		{"action", fmt.Sprintf("%s (reversible: %v) %s", rec.Action.Kind, rec.Action.Reversible, rec.Action.Description)},
		{"confidence", strconv.FormatFloat(rec.Confidence, 'f', 2, 64)},
		{"signal", rec.Evidence.Signal},
		{"seen", rec.FirstSeen.Format(time.RFC3339) + " … " + rec.LastSeen.Format(time.RFC3339)},
	}
	names := make([]string, 0, len(rec.Evidence.Thresholds))
	for n := range rec.Evidence.Thresholds {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		over := ""
		if slices.Contains(rec.Evidence.Overridden, n) {
			over = " (tenant setting)"
		}
		rows = append(rows, []string{"threshold " + n, strconv.FormatFloat(rec.Evidence.Thresholds[n], 'f', -1, 64) + over})
	}
	for _, f := range rec.Evidence.Facts {
		rows = append(rows, []string{"fact " + f.Name, f.Value})
	}
	for _, b := range rec.Evidence.Billing {
		rows = append(rows, []string{"billed " + b.Month.String(), fmt.Sprintf("%s %s: %s %s over %d days (%s %s)",
			b.ServiceName, b.UsageType, b.EffectiveCost.StringFixed(2), b.Currency, b.Days, b.Quantity.String(), b.Unit)})
	}
	for _, m := range rec.Evidence.Metrics {
		rows = append(rows, []string{"metric " + m.Metric, fmt.Sprintf("%s %s, %d points", m.Stat, m.Status, len(m.Points))})
	}
	if err := writeTable(w, []string{"FIELD", "VALUE"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nhistory:")
	for _, e := range evs {
		fmt.Fprintf(w, "  %s  %s → %s by %s  %s\n", e.At.Format(time.RFC3339), orDash(string(e.From)), e.To, e.Actor, e.Reason)
	}
	return nil
}

type findingsSnoozeCmd struct {
	findingIDArg
	Until  string `name:"until" required:"" help:"When it opens again: a date (2026-12-31), an RFC 3339 time or a duration from now (72h)."`
	Reason string `name:"reason" help:"Why it waits."`
}

func (c findingsSnoozeCmd) Run(rc *runCtx) error {
	return decideFinding(rc, c.findingIDArg, func(core *app.Core, tenant valdrix.TenantID) (optimization.Record, error) {
		until, err := parseUntil(c.Until, core.Clock.Now())
		if err != nil {
			return optimization.Record{}, err
		}
		return core.Optimization.Snooze(rc, cliActor, tenant, c.ID, until, c.Reason)
	})
}

func parseUntil(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, valdrix.FieldError("--until", "%q is not a date, an RFC 3339 time or a duration", s)
}

type findingsDismissCmd struct {
	findingIDArg
	Reason string `name:"reason" required:"" help:"Why this is not waste (kept in the history and the audit log)."`
}

func (c findingsDismissCmd) Run(rc *runCtx) error {
	return decideFinding(rc, c.findingIDArg, func(core *app.Core, tenant valdrix.TenantID) (optimization.Record, error) {
		return core.Optimization.Dismiss(rc, cliActor, tenant, c.ID, c.Reason)
	})
}

type findingsReopenCmd struct {
	findingIDArg
	Reason string `name:"reason" help:"Why it is open again."`
}

func (c findingsReopenCmd) Run(rc *runCtx) error {
	return decideFinding(rc, c.findingIDArg, func(core *app.Core, tenant valdrix.TenantID) (optimization.Record, error) {
		return core.Optimization.Reopen(rc, cliActor, tenant, c.ID, c.Reason)
	})
}

func decideFinding(rc *runCtx, a findingIDArg, do func(*app.Core, valdrix.TenantID) (optimization.Record, error)) error {
	tenant, err := a.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	rec, err := do(core, tenant)
	if err != nil {
		return err
	}
	until := ""
	if rec.SnoozedUntil != nil {
		until = " until " + rec.SnoozedUntil.Format(time.RFC3339)
	}
	fmt.Fprintf(rc.env.Stdout, "finding %s is %s%s\n", rec.ID, rec.Status, until)
	return nil
}

// ---- rules

type rulesCmd struct {
	List rulesListCmd `cmd:"" default:"withargs" help:"List the waste rules with the tenant's settings."`
	Set  rulesSetCmd  `cmd:"" help:"Turn a rule on or off and set its thresholds for a tenant."`
}

type rulesListCmd struct {
	tenantFlag
	Provider string `name:"provider" enum:",aws,azure,gcp" default:"" help:"Only this provider's rules."`
	output
}

func (c rulesListCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	views, err := core.Optimization.Rules(rc, cliActor, tenant, valdrix.Provider(c.Provider))
	if err != nil {
		return err
	}
	if c.json() {
		type ruleDoc struct {
			ID         string             `json:"id"`
			Code       string             `json:"code"`
			Version    int                `json:"version"`
			Title      string             `json:"title"`
			Provider   valdrix.Provider   `json:"provider"`
			Data       string             `json:"data"`
			Enabled    bool               `json:"enabled"`
			OptIn      bool               `json:"opt_in"`
			Thresholds map[string]float64 `json:"thresholds"`
			Overridden []string           `json:"overridden,omitempty"`
		}
		docs := make([]ruleDoc, len(views))
		for i, v := range views {
			docs[i] = ruleDoc{v.Rule.ID, v.Rule.Code, v.Rule.Version, v.Rule.Title, v.Rule.Provider, v.Rule.Data.String(),
				v.Enabled, v.Rule.OptIn, v.Thresholds, v.Overridden}
		}
		return writeJSON(rc.env.Stdout, docs)
	}
	rows := make([][]string, len(views))
	for i, v := range views {
		var th []string
		for _, t := range v.Rule.Thresholds {
			mark := ""
			if slices.Contains(v.Overridden, t.Name) {
				mark = "*"
			}
			th = append(th, fmt.Sprintf("%s=%s%s", t.Name, strconv.FormatFloat(v.Thresholds[t.Name], 'f', -1, 64), mark))
		}
		state := "on"
		if !v.Enabled {
			state = "off"
		}
		rows[i] = []string{v.Rule.ID, v.Rule.Code, state, v.Rule.Data.String(), strings.Join(th, " "), v.Rule.Title}
	}
	if err := writeTable(rc.env.Stdout, []string{"RULE", "CODE", "STATE", "DATA", "THRESHOLDS (* tenant setting)", "TITLE"}, rows); err != nil {
		return err
	}
	return nil
}

type rulesSetCmd struct {
	tenantFlag
	ID        string             `arg:"" help:"Rule id."`
	Enable    bool               `name:"enable" xor:"state" help:"Turn the rule on."`
	Disable   bool               `name:"disable" xor:"state" help:"Turn the rule off."`
	Threshold map[string]float64 `name:"threshold" help:"A threshold value, name=value (repeatable)."`
	Reset     bool               `name:"reset" help:"Restore the rule's defaults (on or off and thresholds)."`
}

func (c rulesSetCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	if c.Reset && (c.Enable || c.Disable || len(c.Threshold) > 0) {
		return valdrix.FieldError("--reset", "cannot be combined with other settings")
	}
	if !c.Reset && !c.Enable && !c.Disable && len(c.Threshold) == 0 {
		return valdrix.FieldError("--threshold", "give --enable, --disable, --threshold name=value or --reset")
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	var ov optimization.RuleOverride
	if !c.Reset {
		// The other settings of the rule are kept: read them first.
		views, err := core.Optimization.Rules(rc, cliActor, tenant, "")
		if err != nil {
			return err
		}
		for _, v := range views {
			if v.Rule.ID != c.ID {
				continue
			}
			ov.Thresholds = map[string]float64{}
			for _, n := range v.Overridden {
				ov.Thresholds[n] = v.Thresholds[n]
			}
			if v.Enabled != !v.Rule.OptIn {
				on := v.Enabled
				ov.Enabled = &on
			}
		}
		for n, val := range c.Threshold {
			if ov.Thresholds == nil {
				ov.Thresholds = map[string]float64{}
			}
			ov.Thresholds[n] = val
		}
		if c.Enable || c.Disable {
			on := c.Enable
			ov.Enabled = &on
		}
	}
	v, err := core.Optimization.SetRule(rc, cliActor, tenant, c.ID, ov)
	if err != nil {
		return err
	}
	state := "on"
	if !v.Enabled {
		state = "off"
	}
	fmt.Fprintf(rc.env.Stdout, "rule %s is %s; thresholds %v (from the next scan)\n", v.Rule.ID, state, v.Thresholds)
	return nil
}
