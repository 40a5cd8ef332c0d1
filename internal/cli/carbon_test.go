package cli_test

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestCarbonCLIAndAPIAgree ingests testdata/carbon (AWS, August and
// September 2026: instances, S3, inter-region transfer, requests, a load
// balancer, a credit) with the CLI and checks that `valdrix carbon` and
// GET /api/v1/carbon give the same document, and that the CSV and the table
// show the same groups. The figures themselves are recomputed by hand in
// internal/api (TestCarbonByHand).
func TestCarbonCLIAndAPIAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := []string{"--data-dir", dir}
	cmd := func(args ...string) result { return run(t, nil, "", append(args, data...)...) }
	r := cmd("tenant", "create", "--name", "Acme")
	require.Equal(t, 0, r.code, r.stderr)
	tenant := strings.TrimSpace(r.stdout)
	r = cmd("ingest", "--tenant", tenant, "testdata/carbon")
	require.Equal(t, 0, r.code, r.stderr+r.stdout)

	window := []string{"--tenant", tenant, "--from", "2026-08-01", "--to", "2026-09-30", "--group-by", "month,account,service"}
	r = cmd(append([]string{"carbon", "-o", "json"}, window...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var fromCLI map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fromCLI))

	total := fromCLI["total"].(map[string]any)
	require.InDelta(t, 8, total["rows"], 0, "eight ledger rows")
	require.InDelta(t, 5, total["estimated_rows"], 0)
	require.InDelta(t, 2, total["unknown_rows"], 0, "the S3 requests and the load balancer")
	require.InDelta(t, 1, total["not_usage_rows"], 0, "the credit")
	require.Equal(t, map[string]any{"unknown_unit": float64(1), "unknown_usage": float64(1)}, total["unknown_reasons"])
	require.Equal(t, false, total["complete"])
	require.Equal(t, "USD", fromCLI["currency"])
	groups := fromCLI["groups"].([]any)
	require.Len(t, groups, 6)
	last := groups[5].(map[string]any)
	require.Equal(t, map[string]any{"month": "2026-09", "account": "222222222222", "service": "Elastic Load Balancing"}, last["dimensions"])
	require.Nil(t, last["total_kgco2e"], "a load balancer has no coefficient: unknown, not zero")

	// The API, on the same data, gives the same document.
	r = cmd("apikey", "create", "--tenant", tenant, "--role", "viewer")
	require.Equal(t, 0, r.code, r.stderr)
	key := strings.TrimSpace(r.stdout)
	base, stop := serve(t, dir)
	defer stop()
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/carbon?from=2026-08-01&to=2026-09-30&group_by=month,account,service", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	var fromAPI map[string]any
	require.NoError(t, json.Unmarshal(body, &fromAPI))
	require.Equal(t, fromCLI, fromAPI)

	// CSV: the same groups in the same order, one record each.
	r = cmd(append([]string{"carbon", "-o", "csv"}, window...)...)
	require.Equal(t, 0, r.code, r.stderr)
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"month", "account", "service", "total_kgco2e", "operational_kgco2e", "embodied_kgco2e", "kwh",
		"billed_cost", "effective_cost", "unestimated_cost", "rows", "estimated_rows", "unknown_rows", "not_usage_rows",
		"unknown_reasons", "complete"}, records[0])
	require.Len(t, records, len(groups)+1)
	for i, g := range groups {
		g := g.(map[string]any)
		dims := g["dimensions"].(map[string]any)
		kg, _ := g["total_kgco2e"].(string) // "" when unknown
		require.Equal(t, []string{dims["month"].(string), dims["account"].(string), dims["service"].(string), kg, g["billed_cost"].(string)},
			[]string{records[i+1][0], records[i+1][1], records[i+1][2], records[i+1][3], records[i+1][7]})
	}
	require.Equal(t, "unknown_usage=1", records[6][14])

	// Table: the figures, a total and the undercount spelled out.
	r = cmd(append([]string{"carbon"}, window...)...)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(r.stdout, "\n")
	require.Regexp(t, `^month\s+account\s+service\s+total_kgco2e\s`, lines[0])
	require.Regexp(t, `^2026-09\s+222222222222\s+Elastic Load Balancing\s+unknown\s+unknown\s+unknown\s+unknown\s+0\.9\s`, lines[6])
	require.Regexp(t, `^TOTAL\s+-\s+-\s+`+total["total_kgco2e"].(string)+`\s`, lines[7])
	require.Contains(t, r.stdout, "UNDERCOUNT: 2 of 7 usage rows could not be estimated (unknown_unit 1, unknown_usage 1); their effective cost 0.95 USD is not in the figures.")
	require.Contains(t, r.stdout, "coefficients "+fromCLI["coefficients_version"].(string))

	// Filters and limit, as the API takes them.
	r = cmd("carbon", "--tenant", tenant, "--from", "2026-08-01", "--to", "2026-09-30", "--group-by", "service",
		"--provider", "aws", "--account", "111111111111", "--region", "us-east-1", "--limit", "1", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var capped map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &capped))
	require.Equal(t, true, capped["truncated"])
	require.Len(t, capped["groups"], 1)
	require.InDelta(t, 3, capped["group_count"], 0, "EC2, S3 and data transfer of account 111… in us-east-1")
	require.InDelta(t, 5, capped["total"].(map[string]any)["rows"], 0)

	// Without --from/--to: the current month (no rows in it).
	before := valdrix.DateOf(time.Now())
	r = cmd("carbon", "--tenant", tenant, "-o", "json")
	after := valdrix.DateOf(time.Now())
	require.Equal(t, 0, r.code, r.stderr)
	var current map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &current))
	if before.Month() == after.Month() {
		require.Equal(t, before.Month().Start().String(), current["from"])
		require.Equal(t, before.Month().End().AddDays(-1).String(), current["to"])
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown dimension", args: []string{"--group-by", "colour"}, want: "--group-by: unknown dimension"},
		{name: "unknown provider", args: []string{"--provider", "oracle"}, want: "--provider: unknown provider"},
		{name: "bad day", args: []string{"--from", "2026-09-31"}, want: "--from"},
		{name: "to before from", args: []string{"--from", "2026-09-10", "--to", "2026-09-01"}, want: "--to: is before the first day, 2026-09-10"},
	} {
		r := cmd(append([]string{"carbon", "--tenant", tenant}, tc.args...)...)
		require.Equal(t, 1, r.code, tc.name)
		require.Contains(t, r.stderr, tc.want, tc.name)
	}
}
