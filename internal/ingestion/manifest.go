package ingestion

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Manifest is the manifest of one export delivery: an AWS CUR 2.0 Data
// Exports manifest, a legacy CUR manifest, or an Azure Cost Management
// export manifest (manifest.json / _manifest.json).
type Manifest struct {
	Name          string        // where it was read from
	Format        Format        // cur2, cur, azure or focus (Azure FocusCost)
	ID            string        // CUR 2.0 executionId, CUR assemblyId, Azure runInfo.runId
	BillingPeriod valdrix.Month // the period the delivery covers
	DataFiles     []string      // data file keys or blob names, as listed
	Dataset       string        // Azure exportConfig.type (ActualCost, AmortizedCost, FocusCost)
	DeclaredRows  int64         // data rows the manifest declares, or -1
	Checksum      string        // SHA-256 (hex) of the manifest bytes

	rowsField string
}

// IsManifestName reports whether a file name looks like a manifest.
func IsManifestName(name string) bool {
	b := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	return strings.HasSuffix(b, "manifest.json") || strings.HasSuffix(b, "-manifest.json")
}

// ParseManifest parses a manifest's bytes; name is used in errors.
func ParseManifest(name string, data []byte) (*Manifest, error) {
	sum := sha256.Sum256(data)
	m := &Manifest{Name: name, Checksum: hex.EncodeToString(sum[:]), DeclaredRows: -1}
	var top jsonObject
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, parseErr(name, 0, 0, "", errorf("not a JSON manifest: %v", jsonErrText(err)))
	}
	bad := func(field string, err error) error { return parseErr(name, 0, 0, field, err) }
	switch {
	case top.has("assemblyId") || top.has("reportKeys"):
		m.Format = FormatCUR
		m.ID = top.str("assemblyId")
		keys, err := top.strings("reportKeys")
		if err != nil {
			return nil, bad("reportKeys", err)
		}
		m.DataFiles = keys
		p, err := manifestPeriod(top.obj("billingPeriod").str("start"))
		if err != nil {
			return nil, bad("billingPeriod.start", err)
		}
		m.BillingPeriod = p
	case top.has("exportConfig") || top.has("blobs") || top.has("runInfo") || top.has("manifestVersion"):
		m.Format = FormatAzure
		run := top.obj("runInfo")
		m.ID = run.str("runId")
		cfg := top.obj("exportConfig")
		m.Dataset = cfg.str("type")
		if strings.EqualFold(m.Dataset, "FocusCost") {
			m.Format = FormatFOCUS
		}
		for _, b := range top.list("blobs") {
			if n := b.str("blobName"); n != "" {
				m.DataFiles = append(m.DataFiles, n)
			}
		}
		if n, ok := top.int("dataRowCount"); ok {
			m.DeclaredRows, m.rowsField = n, "dataRowCount"
		}
		start := run.str("startDate")
		if start == "" {
			start = cfg.str("timePeriod")
		}
		if start != "" {
			p, err := manifestPeriod(start)
			if err != nil {
				return nil, bad("runInfo.startDate", err)
			}
			m.BillingPeriod = p
		}
	case top.has("bigQueryExport"):
		// The GCP adapter's record of a billing export query (the
		// export lives in BigQuery; the rows were saved as JSON lines).
		m.Format = FormatGCP
		m.ID = top.obj("bigQueryExport").str("jobId")
		files, err := top.strings("dataFiles")
		if err != nil {
			return nil, bad("dataFiles", err)
		}
		m.DataFiles = files
		p, err := manifestPeriod(top.str("billingPeriod"))
		if err != nil {
			return nil, bad("billingPeriod", err)
		}
		m.BillingPeriod = p
		if n, ok := top.int("rowCount"); ok {
			m.DeclaredRows, m.rowsField = n, "rowCount"
		}
	case top.has("executionId") || top.has("dataFiles") || top.has("exportArn"):
		m.Format = FormatCUR2
		m.ID = top.str("executionId")
		if m.ID == "" {
			m.ID = top.str("assemblyId")
		}
		for _, raw := range top.raw("dataFiles") {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				m.DataFiles = append(m.DataFiles, s)
				continue
			}
			var o jsonObject
			if json.Unmarshal(raw, &o) == nil {
				if k := o.str("key"); k != "" {
					m.DataFiles = append(m.DataFiles, k)
				} else if k := o.str("path"); k != "" {
					m.DataFiles = append(m.DataFiles, k)
				}
			}
		}
		var start string
		if bp := top.obj("billingPeriod"); bp != nil {
			start = bp.str("start")
		} else {
			start = top.str("billingPeriod")
		}
		p, err := manifestPeriod(start)
		if err != nil {
			return nil, bad("billingPeriod", err)
		}
		m.BillingPeriod = p
		if n, ok := top.int("totalRows"); ok {
			m.DeclaredRows, m.rowsField = n, "totalRows"
		}
	default:
		return nil, bad("", errorf("not a CUR 2.0, legacy CUR or Azure export manifest"))
	}
	if len(m.DataFiles) == 0 {
		return nil, bad("", errorf("the manifest lists no data files"))
	}
	return m, nil
}

// manifestPeriod parses a billing period start: "20240901T000000.000Z",
// ISO timestamps, "2024-09-01" or "2024-09".
func manifestPeriod(s string) (valdrix.Month, error) {
	if s == "" {
		return 0, errorf("billing period start is missing")
	}
	t, err := parseTime(s)
	if err != nil {
		return 0, err
	}
	return valdrix.MonthOf(t), nil
}

// jsonObject is a JSON object with case-insensitive lookups.
type jsonObject map[string]json.RawMessage

func (o jsonObject) get(k string) (json.RawMessage, bool) {
	if v, ok := o[k]; ok {
		return v, true
	}
	for kk, v := range o {
		if strings.EqualFold(kk, k) {
			return v, true
		}
	}
	return nil, false
}

func (o jsonObject) has(k string) bool { _, ok := o.get(k); return ok }

func (o jsonObject) str(k string) string {
	v, ok := o.get(k)
	if !ok {
		return ""
	}
	return rawText(v)
}

func (o jsonObject) int(k string) (int64, bool) {
	v, ok := o.get(k)
	if !ok {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(v, &n) != nil {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil && i >= 0
}

func (o jsonObject) obj(k string) jsonObject {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	var m jsonObject
	if json.Unmarshal(v, &m) != nil {
		return nil
	}
	return m
}

func (o jsonObject) raw(k string) []json.RawMessage {
	v, ok := o.get(k)
	if !ok {
		return nil
	}
	var l []json.RawMessage
	if json.Unmarshal(v, &l) != nil {
		return nil
	}
	return l
}

func (o jsonObject) list(k string) []jsonObject {
	var out []jsonObject
	for _, r := range o.raw(k) {
		var m jsonObject
		if json.Unmarshal(r, &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func (o jsonObject) strings(k string) ([]string, error) {
	v, ok := o.get(k)
	if !ok {
		return nil, nil
	}
	var l []string
	if err := json.Unmarshal(v, &l); err != nil {
		return nil, errorf("want a list of strings")
	}
	return l, nil
}
