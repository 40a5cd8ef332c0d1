package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cli"
)

// ledgerFixture is a FOCUS 1.2 file of September 2026 whose totals are
// computed by hand below.
const ledgerFixture = `BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,ChargeClass,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,ConsumedQuantity,ConsumedUnit,ContractedCost,EffectiveCost,ListCost,PricingCategory,PricingQuantity,PricingUnit,ProviderName,PublisherName,InvoiceIssuerName,RegionId,ResourceId,ServiceCategory,ServiceName,SkuId,SubAccountId,Tags
1.10,ba,USD,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,Usage-Based,2026-09-03T00:00:00Z,2026-09-03T01:00:00Z,1,Hours,1.10,1.00,1.20,Standard,1,Hours,AWS,AWS,AWS,us-east-1,i-web-1,Compute,Amazon EC2,sku-a,111,"{""team"":""web""}"
1.10,ba,USD,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,Usage-Based,2026-09-03T01:00:00Z,2026-09-03T02:00:00Z,1,Hours,1.10,1.00,1.20,Standard,1,Hours,AWS,AWS,AWS,us-east-1,i-web-1,Compute,Amazon EC2,sku-a,111,"{""team"":""web""}"
0.333333333,ba,USD,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,Usage-Based,2026-09-04T00:00:00Z,2026-09-05T00:00:00Z,30,GB-Mo,0.333333333,0.333333333,0.4,Standard,30,GB-Mo,AWS,AWS,AWS,us-east-1,vol-web-1,Storage,Amazon EBS,sku-b,111,"{""team"":""web""}"
2.50,ba,USD,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,Usage-Based,2026-09-03T00:00:00Z,2026-09-04T00:00:00Z,24,Hours,2.50,2.25,3.00,Standard,24,Hours,AWS,AWS,AWS,eu-west-1,i-data-1,Compute,Amazon EC2,sku-a,222,"{""team"":""data"",""env"":""prod""}"
0.07,ba,USD,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,Usage,,Usage-Based,2026-09-05T00:00:00Z,2026-09-06T00:00:00Z,1,Requests,0.07,0.07,,Standard,1,Requests,AWS,AWS,AWS,us-east-1,bucket-x,Storage,Amazon S3,sku-c,222,
`

// TestCostsCLIAndAPIAgree ingests the fixture with the CLI and checks that
// `valdrix costs` and GET /api/v1/costs give the hand-computed totals by tag:
//
//	web:  billed 1.10 + 1.10 + 0.333333333 = 2.533333333; effective 1.00 + 1.00 + 0.333333333 = 2.333333333
//	      list 1.20 + 1.20 + 0.40 = 2.8; quantity 1 + 1 + 30 = 32; rows: i-web-1 on 09-03 (2 hours → 1 row) + vol-web-1 = 2
//	data: billed 2.50, effective 2.25, list 3, quantity 24, rows 1
//	none: billed 0.07, effective 0.07, list unknown (the file leaves it empty), quantity 1, rows 1
func TestCostsCLIAndAPIAgree(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := []string{"--data-dir", dir}
	file := filepath.Join(dir, "focus-2026-09.csv")
	require.NoError(t, os.WriteFile(file, []byte(ledgerFixture), 0o600))
	r := run(t, nil, "", append([]string{"tenant", "create", "--name", "Acme"}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	tenant := strings.TrimSpace(r.stdout)

	r = run(t, nil, "", append([]string{"ingest", "--tenant", tenant, file}, data...)...)
	require.Equal(t, 0, r.code, r.stderr+r.stdout)
	require.Contains(t, r.stdout, "local:focus 2026-09: succeeded")
	r = run(t, nil, "", append([]string{"ingest", "--tenant", tenant, file}, data...)...)
	require.Equal(t, 0, r.code, r.stderr+r.stdout)
	require.Contains(t, r.stdout, "unchanged", "ingesting the same file again is a no-op")

	want := []map[string]any{
		{"tag:team": "web", "billed_cost": "2.533333333", "effective_cost": "2.333333333", "list_cost": "2.8", "consumed_quantity": "32", "rows": float64(2)},
		{"tag:team": "data", "billed_cost": "2.5", "effective_cost": "2.25", "list_cost": "3", "consumed_quantity": "24", "rows": float64(1)},
		{"tag:team": nil, "billed_cost": "0.07", "effective_cost": "0.07", "list_cost": nil, "consumed_quantity": "1", "rows": float64(1)},
	}
	r = run(t, nil, "", append([]string{"costs", "--tenant", tenant, "--from", "2026-09-01", "--to", "2026-09-30", "--group-by", "tag:team", "-o", "json"}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var fromCLI []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fromCLI))
	require.Equal(t, want, fromCLI)

	r = run(t, nil, "", append([]string{"costs", "--tenant", tenant, "--from", "2026-09-01", "--to", "2026-09-30", "--group-by", "tag:team", "-o", "csv"}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "tag:team,billed_cost,effective_cost,list_cost,consumed_quantity,rows\nweb,2.533333333,2.333333333,2.8,32,2\ndata,2.5,2.25,3,24,1\n,0.07,0.07,,1,1\n", r.stdout)

	r = run(t, nil, "", append([]string{"costs", "--tenant", tenant, "--from", "2026-09-01", "--to", "2026-09-30", "--group-by", "account,service", "--filter", "tag:team=web", "-o", "json"}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, `"service": "Amazon EC2"`)

	r = run(t, nil, "", append([]string{"costs", "export", "--tenant", tenant, "--from", "2026-09-01", "--to", "2026-09-30"}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 5, "a header and the 4 ledger rows")
	require.True(t, strings.HasPrefix(lines[0], "BilledCost,BillingAccountId,"))
	r = run(t, nil, "", append([]string{"costs", "export", "--tenant", tenant, "--from", "2026-09-01", "--to", "2026-09-30", "--file-format", "parquet", "--out", filepath.Join(dir, "x.parquet")}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	pq, err := os.ReadFile(filepath.Join(dir, "x.parquet"))
	require.NoError(t, err)
	require.Equal(t, "PAR1", string(pq[:4]))

	r = run(t, nil, "", append([]string{"costs", "--tenant", tenant, "--from", "2026-09-01", "--to", "2026-09-30", "--group-by", "colour"}, data...)...)
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "unknown dimension")

	// The API, on the same data.
	r = run(t, nil, "", append([]string{"apikey", "create", "--tenant", tenant, "--role", "viewer"}, data...)...)
	require.Equal(t, 0, r.code, r.stderr)
	key := strings.TrimSpace(r.stdout)
	base, stop := serve(t, dir)
	defer stop()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/costs?from=2026-09-01&to=2026-09-30&group_by=tag:team", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var fromAPI struct {
		Columns []string         `json:"columns"`
		Items   []map[string]any `json:"items"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&fromAPI))
	require.Equal(t, want, fromAPI.Items)
	require.Equal(t, []string{"tag:team", "billed_cost", "effective_cost", "list_cost", "consumed_quantity", "rows"}, fromAPI.Columns)

	// filter is repeatable: two values of one key are alternatives.
	req, _ = http.NewRequest(http.MethodGet, base+"/api/v1/costs?from=2026-09-01&to=2026-09-30&group_by=tag:team&filter=tag:team=web&filter=tag:team=data", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res2.Body.Close()
	require.Equal(t, http.StatusOK, res2.StatusCode)
	require.NoError(t, json.NewDecoder(res2.Body).Decode(&fromAPI))
	require.Equal(t, want[:2], fromAPI.Items, "both filter values apply")
}

// serve runs `valdrix serve` on a free port and returns its URL.
func serve(t *testing.T, dir string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--data-dir", dir, "--http-addr", "127.0.0.1:0"}, cli.Env{
			Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
			Getenv: func(string) (string, bool) { return "", false },
			Ready:  func(u string) { urls <- u },
		})
	}()
	select {
	case u := <-urls:
		return u, func() { cancel(); <-done }
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}
	return "", cancel
}
