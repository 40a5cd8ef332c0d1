package cloudsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// kqlQuery is the subset of the Kusto Query Language the simulator's
// Resource Graph answers:
//
//	Resources | where type in~ ('a', 'b') and location =~ 'x' | project id, name, …
//	ResourceContainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId
//	Resources | where type in~ (…) | summarize count() by type, location
//
// where conditions (=~ or in~ on type, location, subscriptionId,
// resourceGroup) are joined with "and"; anything else is refused.
type kqlQuery struct {
	table     string // "resources" or "resourcecontainers"
	where     []kqlCond
	summarize []string // group-by columns of "summarize count() by …"; nil without
	project   []string
}

// kqlCond is a case-insensitive membership test of a column.
type kqlCond struct {
	col    string
	values []string // lower-case
}

var kqlColumns = []string{"id", "name", "type", "tenantId", "kind", "location", "resourceGroup", "subscriptionId",
	"managedBy", "sku", "plan", "properties", "tags", "identity", "zones", "extendedLocation", "systemData"}

var kqlWhereColumns = []string{"type", "location", "subscriptionId", "resourceGroup"}

// kqlError is a query the simulator does not support.
type kqlError struct{ msg string }

func (e kqlError) Error() string { return e.msg }

func kqlErrorf(format string, args ...any) error { return kqlError{fmt.Sprintf(format, args...)} }

// splitOutside splits s on sep where sep is not inside single quotes.
func splitOutside(s, sep string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			quoted = !quoted
		case !quoted && strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}

// parseKQL parses a query of the supported shape.
func parseKQL(src string) (*kqlQuery, error) {
	stages := splitOutside(src, "|")
	q := &kqlQuery{table: strings.ToLower(strings.TrimSpace(stages[0]))}
	if q.table != "resources" && q.table != "resourcecontainers" {
		return nil, kqlErrorf("table %q is not supported (want Resources or ResourceContainers)", strings.TrimSpace(stages[0]))
	}
	for _, st := range stages[1:] {
		st = strings.TrimSpace(st)
		op, rest, _ := strings.Cut(st, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToLower(op) {
		case "where":
			for _, c := range splitOutside(rest, " and ") {
				cond, err := parseKQLCond(strings.TrimSpace(c))
				if err != nil {
					return nil, err
				}
				q.where = append(q.where, cond)
			}
		case "summarize":
			by, ok := strings.CutPrefix(rest, "count() by ")
			if !ok || q.summarize != nil {
				return nil, kqlErrorf("only one \"summarize count() by <columns>\" is supported, got %q", st)
			}
			cols, err := kqlColumnList(by, kqlWhereColumns)
			if err != nil {
				return nil, err
			}
			q.summarize = cols
		case "project":
			if q.summarize != nil {
				return nil, kqlErrorf("project after summarize is not supported")
			}
			cols, err := kqlColumnList(rest, kqlColumns)
			if err != nil {
				return nil, err
			}
			q.project = cols
		default:
			return nil, kqlErrorf("operator %q is not supported (want where, project or summarize count() by)", op)
		}
	}
	return q, nil
}

func kqlColumnList(s string, allowed []string) ([]string, error) {
	var out []string
	for _, c := range strings.Split(s, ",") {
		c = strings.TrimSpace(c)
		i := slices.IndexFunc(allowed, func(a string) bool { return strings.EqualFold(a, c) })
		if i < 0 {
			return nil, kqlErrorf("column %q is not supported", c)
		}
		out = append(out, allowed[i])
	}
	return out, nil
}

func parseKQLCond(s string) (kqlCond, error) {
	col, rest, ok := strings.Cut(s, " ")
	if !ok {
		return kqlCond{}, kqlErrorf("condition %q is not supported", s)
	}
	i := slices.IndexFunc(kqlWhereColumns, func(a string) bool { return strings.EqualFold(a, col) })
	if i < 0 {
		return kqlCond{}, kqlErrorf("condition on column %q is not supported (want type, location, subscriptionId or resourceGroup)", col)
	}
	cond := kqlCond{col: kqlWhereColumns[i]}
	rest = strings.TrimSpace(rest)
	switch {
	case strings.HasPrefix(rest, "=~ "):
		v, err := kqlString(strings.TrimSpace(rest[3:]))
		if err != nil {
			return kqlCond{}, err
		}
		cond.values = []string{v}
	case strings.HasPrefix(rest, "in~ (") && strings.HasSuffix(rest, ")"):
		for _, item := range splitOutside(rest[len("in~ ("):len(rest)-1], ",") {
			v, err := kqlString(strings.TrimSpace(item))
			if err != nil {
				return kqlCond{}, err
			}
			cond.values = append(cond.values, v)
		}
	default:
		return kqlCond{}, kqlErrorf("condition %q is not supported (want =~ 'value' or in~ ('a', 'b'))", s)
	}
	return cond, nil
}

func kqlString(s string) (string, error) {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' || strings.Contains(s[1:len(s)-1], "'") {
		return "", kqlErrorf("%s is not a single-quoted string", s)
	}
	return strings.ToLower(s[1 : len(s)-1]), nil
}

// matches reports whether a row with these column values passes every
// condition.
func (q *kqlQuery) matches(vals map[string]string) bool {
	for _, c := range q.where {
		if !slices.Contains(c.values, strings.ToLower(vals[c.col])) {
			return false
		}
	}
	return true
}

// cond returns the values of the condition on col, or nil.
func (q *kqlQuery) cond(col string) []string {
	for _, c := range q.where {
		if c.col == col {
			return c.values
		}
	}
	return nil
}

// argRequest is the Resource Graph request body.
type argRequest struct {
	Subscriptions []string `json:"subscriptions"`
	Query         string   `json:"query"`
	Options       struct {
		Top          *int   `json:"$top"`
		Skip         *int   `json:"$skip"`
		SkipToken    string `json:"$skipToken"`
		ResultFormat string `json:"resultFormat"`
	} `json:"options"`
}

// serveResourceGraph answers POST /providers/Microsoft.ResourceGraph/resources.
func (a *azureServer) serveResourceGraph(q *azureReq) {
	body, err := io.ReadAll(io.LimitReader(q.r.Body, 1<<20))
	var req argRequest
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeARMError(q.w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
		return
	}
	kq, err := parseKQL(req.Query)
	if err != nil {
		writeARGBadQuery(q.w, err.Error())
		return
	}
	region, acct := "", ""
	if locs := kq.cond("location"); len(locs) == 1 {
		region = locs[0]
	}
	if len(req.Subscriptions) > 0 {
		acct = strings.ToLower(req.Subscriptions[0])
	}
	if a.azureFault(q, "resourcegraph", region, "resources", acct, "Microsoft.ResourceGraph/resources/read", "/providers/Microsoft.ResourceGraph") {
		return
	}
	if f := req.Options.ResultFormat; f != "" && !strings.EqualFold(f, "objectArray") {
		writeARGBadQuery(q.w, "resultFormat "+f+" is not supported by the simulator (want objectArray)")
		return
	}
	rows := a.argRows(q, kq, req.Subscriptions)
	top := 100
	if req.Options.Top != nil {
		top = *req.Options.Top
	}
	if top < 1 || top > 1000 {
		writeARGBadQuery(q.w, "$top must be between 1 and 1000")
		return
	}
	from := 0
	if req.Options.Skip != nil {
		from = *req.Options.Skip
	}
	if req.Options.SkipToken != "" {
		raw, derr := base64.StdEncoding.DecodeString(req.Options.SkipToken)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(raw), "sim:"))
		if derr != nil || perr != nil || n < 0 || n > len(rows) {
			writeARMError(q.w, http.StatusBadRequest, "BadRequest", "The $skipToken is invalid.")
			return
		}
		from = n
	}
	from = min(from, len(rows))
	to := min(len(rows), from+top)
	resp := map[string]any{
		"totalRecords": len(rows), "count": to - from, "resultTruncated": "false", "data": a.render(kq, rows[from:to]), "facets": []any{},
	}
	if to < len(rows) {
		resp["$skipToken"] = base64.StdEncoding.EncodeToString([]byte("sim:" + strconv.Itoa(to)))
	}
	writeAzureJSON(q.w, resp)
}

func writeARGBadQuery(w http.ResponseWriter, detail string) {
	body, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code":    "BadRequest",
		"message": "Please provide below info when asking for support: timestamp = n/a, correlationId = " + requestID + ".",
		"details": []map[string]string{
			{"code": "InvalidQuery", "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."},
			{"code": "UnsupportedQuery", "message": "The cloud simulator's Resource Graph does not support this query: " + detail},
		},
	}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(body)
}

// argRow is a result row before rendering: resource i, subscription
// acct (i < 0), or a ready row (summaries).
type argRow struct {
	i, acct int
	row     map[string]any
}

// argRows evaluates a query over the subscriptions the caller may read
// (Resource Graph silently leaves out the others). Rows are rendered only
// for the page asked for (render).
func (a *azureServer) argRows(q *azureReq, kq *kqlQuery, subs []string) []argRow {
	e := a.s.estate
	var accts []int
	for _, ai := range e.AccountsOf(valdrix.Azure) {
		id := e.Accounts[ai].ID
		if !q.app.canRead(id) {
			continue
		}
		if len(subs) > 0 && !slices.ContainsFunc(subs, func(s string) bool { return strings.EqualFold(s, id) }) {
			continue
		}
		accts = append(accts, ai)
	}
	var rows []argRow
	counts := map[string]int{}
	var keys []string
	add := func(r argRow, vals map[string]string) {
		if !kq.matches(vals) {
			return
		}
		if kq.summarize == nil {
			rows = append(rows, r)
			return
		}
		var k []string
		for _, c := range kq.summarize {
			k = append(k, vals[c])
		}
		key := strings.Join(k, "\x00")
		if counts[key] == 0 {
			keys = append(keys, key)
		}
		counts[key]++
	}
	locs := kq.cond("location")
	types := kq.cond("type")
	for _, ai := range accts {
		acct := e.Accounts[ai]
		if kq.table == "resourcecontainers" {
			add(argRow{i: -1, acct: ai}, map[string]string{"type": "microsoft.resources/subscriptions", "subscriptionId": acct.ID})
		}
		for _, ci := range acct.Cells {
			c := &e.Cells[ci]
			if locs != nil && !slices.Contains(locs, c.Region) {
				continue
			}
			for _, k := range Kinds(valdrix.Azure) {
				if (k == AzureResourceGroup) != (kq.table == "resourcecontainers") {
					continue
				}
				if types != nil && !slices.Contains(types, armTypes[k]) {
					continue
				}
				lo, hi := c.Span(k)
				for i := lo; i < hi; i++ {
					x := &e.Resources[i]
					vals := map[string]string{"type": armTypes[k], "location": c.Region, "subscriptionId": acct.ID}
					if k == AzureResourceGroup {
						vals["resourceGroup"] = x.Name
					} else if x.Ref2 >= 0 {
						vals["resourceGroup"] = e.Resources[x.Ref2].Name
					}
					add(argRow{i: i, acct: ai}, vals)
				}
			}
		}
	}
	for _, key := range keys {
		row := map[string]any{"count_": counts[key]}
		for n, v := range strings.Split(key, "\x00") {
			row[kq.summarize[n]] = v
		}
		rows = append(rows, argRow{i: -1, row: row})
	}
	return rows
}

// render renders a page of rows with the query's projection.
func (a *azureServer) render(kq *kqlQuery, rows []argRow) []map[string]any {
	e := a.s.estate
	out := make([]map[string]any, 0, len(rows))
	indexes := map[int32]*azureCellIndex{}
	for _, r := range rows {
		switch {
		case r.row != nil:
			out = append(out, r.row)
		case r.i < 0:
			out = append(out, project(e.armSubscription(r.acct), kq.project))
		default:
			cell := e.Resources[r.i].Cell
			ix, ok := indexes[cell]
			if !ok {
				ix = e.azureIndex(&e.Cells[cell])
				indexes[cell] = ix
			}
			out = append(out, project(e.armResource(r.i, ix), kq.project))
		}
	}
	return out
}

// project keeps the given columns of row (all when cols is nil).
func project(row map[string]any, cols []string) map[string]any {
	if cols == nil {
		return row
	}
	out := make(map[string]any, len(cols))
	for _, c := range cols {
		out[c] = row[c]
	}
	return out
}
