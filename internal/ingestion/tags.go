package ingestion

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// canonicalJSON returns the canonical text of a JSON object: keys sorted,
// values compacted, no HTML escaping. An empty object gives "" (no tags).
func canonicalJSON(m map[string]json.RawMessage) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// canonicalStrings is canonicalJSON for string values.
func canonicalStrings(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m) // a map of strings always encodes
	return strings.TrimSuffix(buf.String(), "\n")
}

// canonicalObject parses a JSON object as found in a tags or map column and
// returns its canonical text. braceless accepts Azure's form without the
// surrounding braces (`"a": "b","c": "d"`). Empty text and "{}" give "".
func canonicalObject(text string, braceless bool) (string, error) {
	m, err := parseObject(text, braceless)
	if err != nil || m == nil {
		return "", err
	}
	return canonicalJSON(m)
}

// parseObject parses a JSON object from a tags or map column; empty text,
// "{}" and "null" give nil.
func parseObject(text string, braceless bool) (map[string]json.RawMessage, error) {
	t := strings.TrimSpace(text)
	if t == "" || t == "{}" || t == "null" {
		return nil, nil
	}
	if braceless && !strings.HasPrefix(t, "{") {
		t = "{" + t + "}"
	}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, errorf("not a JSON object: %v", jsonErrText(err))
	}
	if dec.More() {
		return nil, errorf("not a JSON object: text after the object")
	}
	return m, nil
}

// objectValue returns the text value of key in a JSON object ("" when the key
// is absent or null). Numbers are returned as written.
func objectValue(text, key string, braceless bool) (string, error) {
	m, err := parseObject(text, braceless)
	if err != nil || m == nil {
		return "", err
	}
	if v, ok := m[key]; ok {
		return rawText(v), nil
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return rawText(v), nil
		}
	}
	return "", nil
}

// rawText returns a JSON value as plain text: strings unquoted, others as written.
func rawText(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

func jsonErrText(err error) string {
	var se *json.SyntaxError
	if ok := asErr(err, &se); ok {
		return se.Error()
	}
	return err.Error()
}

// appendCanonicalPairs appends to buf the canonical text of the map the
// pairs make (canonicalStrings; a later pair wins over an earlier one of the
// same key): written directly when appendTagJSON can, through the map and
// encoding/json otherwise. pairs is sorted in place.
func appendCanonicalPairs(buf []byte, pairs []tagPair) []byte {
	if out, ok := appendTagJSON(buf, pairs); ok {
		return out
	}
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p.k] = p.v
	}
	return append(buf, canonicalStrings(m)...)
}

// tagPair is one key and value of a map, in the map's order.
type tagPair struct{ k, v string }

// appendTagJSON appends to buf what canonicalStrings gives for the map the
// pairs make (a later pair wins over an earlier one of the same key), without
// building the map or reflecting over it. It handles keys and values of
// printable ASCII other than '"' and '\\', which JSON writes as they are;
// given any other byte it appends nothing and reports false, and the caller
// uses canonicalStrings. pairs is sorted in place.
func appendTagJSON(buf []byte, pairs []tagPair) ([]byte, bool) {
	for _, p := range pairs {
		if !plainJSON(p.k) || !plainJSON(p.v) {
			return buf, false
		}
	}
	if len(pairs) == 0 {
		return buf, true // no tags: ""
	}
	// Stable: among pairs of one key, the last is the one kept.
	slices.SortStableFunc(pairs, func(a, b tagPair) int { return strings.Compare(a.k, b.k) })
	sep := byte('{')
	for i, p := range pairs {
		if i+1 < len(pairs) && pairs[i+1].k == p.k {
			continue
		}
		buf = append(buf, sep, '"')
		sep = ','
		buf = append(buf, p.k...)
		buf = append(buf, `":"`...)
		buf = append(buf, p.v...)
		buf = append(buf, '"')
	}
	return append(buf, '}'), true
}

// plainJSON reports whether JSON writes s between quotes unchanged.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
