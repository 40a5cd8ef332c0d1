package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// findingsJSON is the part of `-o json` finding listings the tests read.
type findingsJSON struct {
	Findings []struct {
		ID             string `json:"id"`
		Status         string `json:"status"`
		RuleID         string `json:"rule_id"`
		Provider       string `json:"provider"`
		MonthlySavings struct {
			Amount *string `json:"amount"`
			State  string  `json:"state"`
		} `json:"monthly_savings"`
	} `json:"findings"`
	Summary struct {
		ByStatus map[string]int `json:"by_status"`
		Totals   []struct {
			Currency       string `json:"currency"`
			MonthlySavings string `json:"monthly_savings"`
			Findings       int    `json:"findings"`
		} `json:"totals"`
	} `json:"summary"`
	GroundTruth *struct {
		Seeded    int      `json:"seeded"`
		Found     int      `json:"found"`
		Extra     int      `json:"extra"`
		Precision float64  `json:"precision"`
		Recall    float64  `json:"recall"`
		Missed    []string `json:"missed"`
	} `json:"ground_truth"`
}

func TestScanSim(t *testing.T) {
	t.Parallel()
	r := run(t, nil, "", "scan", "--sim", "--seed", "7", "--resources", "150", "-o", "json", "--data-dir", t.TempDir())
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stderr, "[1/", "progress per connection on stderr")
	var doc findingsJSON
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	require.NotEmpty(t, doc.Findings)
	require.NotNil(t, doc.GroundTruth)
	require.Equal(t, 0, doc.GroundTruth.Extra, "nothing that is not seeded waste is reported")
	require.InDelta(t, 1.0, doc.GroundTruth.Precision, 1e-9)
	require.Empty(t, doc.GroundTruth.Missed, "every seeded waste item is found")
	require.InDelta(t, 1.0, doc.GroundTruth.Recall, 1e-9)
	require.Equal(t, len(doc.Findings), doc.Summary.ByStatus["open"])
	providers := map[string]bool{}
	for _, f := range doc.Findings {
		require.Equal(t, "open", f.Status)
		providers[f.Provider] = true
		if f.MonthlySavings.State == "unpriced" {
			require.Nil(t, f.MonthlySavings.Amount, "unpriced is never $0: %s", f.ID)
		}
	}
	require.Len(t, providers, 3, "AWS, Azure and GCP are all scanned")
	require.NotEmpty(t, doc.Summary.Totals)
	require.Equal(t, "USD", doc.Summary.Totals[0].Currency)
	require.NotEqual(t, "0", doc.Summary.Totals[0].MonthlySavings)

	// The same seed gives the same estate and the same findings, as CSV too.
	c := run(t, nil, "", "scan", "--sim", "--seed", "7", "--resources", "150", "-o", "csv", "--data-dir", t.TempDir())
	require.Equal(t, 0, c.code, c.stderr)
	rows, err := csv.NewReader(strings.NewReader(c.stdout)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "id", rows[0][0])
	require.Len(t, rows, len(doc.Findings)+1)

	bad := run(t, nil, "", "scan", "--sim", "--tenant", "x", "--data-dir", t.TempDir())
	require.Equal(t, 1, bad.code)
	require.Contains(t, bad.stderr, "--sim")
}

// TestDemo runs the demo without serving, then works its findings and rules
// from the CLI on the kept data directory, then serves it and reads the
// findings through the API with the printed key.
func TestDemo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := []string{"--data-dir", dir}
	r := run(t, nil, "", "demo", "--no-serve", "--dir", dir, "--seed", "3", "--resources", "120", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var sum struct {
		Email       string `json:"email"`
		Password    string `json:"password"`
		APIKey      string `json:"api_key"`
		TenantID    string `json:"tenant_id"`
		Connections int    `json:"connections"`
		Resources   int64  `json:"resources"`
		ScansFailed int    `json:"scans_failed"`
		Findings    struct {
			ByStatus map[string]int `json:"by_status"`
			Totals   []struct {
				MonthlySavings string `json:"monthly_savings"`
				KgCO2e         string `json:"kg_co2e_per_month"`
			} `json:"totals"`
		} `json:"findings"`
		GroundTruth struct {
			Seeded, Found, Extra int
			Missed               []string
		} `json:"ground_truth"`
		TopFindings []struct{ Title string } `json:"top_findings"`
		Providers   []string                 `json:"providers"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &sum), r.stdout)
	require.Equal(t, 0, sum.ScansFailed)
	require.GreaterOrEqual(t, sum.Connections, 3)
	require.ElementsMatch(t, []string{"aws", "azure", "gcp"}, sum.Providers)
	require.Positive(t, sum.Resources)
	open := sum.Findings.ByStatus["open"]
	require.Positive(t, open)
	require.Empty(t, sum.GroundTruth.Missed, "every seeded waste item is found")
	require.Equal(t, sum.GroundTruth.Seeded, sum.GroundTruth.Found)
	require.Zero(t, sum.GroundTruth.Extra)
	require.Len(t, sum.TopFindings, 3)
	require.Regexp(t, `^[0-9]+\.[0-9]+$`, sum.Findings.Totals[0].MonthlySavings)
	require.NotEmpty(t, sum.APIKey)

	// The CLI reads the same ledger.
	cmd := func(args ...string) result { return run(t, nil, "", append(args, data...)...) }
	l := cmd("findings", "--tenant", sum.TenantID, "-o", "json")
	require.Equal(t, 0, l.code, l.stderr)
	var doc findingsJSON
	require.NoError(t, json.Unmarshal([]byte(l.stdout), &doc))
	require.Len(t, doc.Findings, open)
	first := doc.Findings[0]

	tbl := cmd("findings", "list", "--tenant", sum.TenantID, "--limit", "2")
	require.Equal(t, 0, tbl.code, tbl.stderr)
	require.Contains(t, tbl.stdout, "SAVINGS/MO")
	require.Contains(t, tbl.stdout, "total: ")

	show := cmd("findings", "show", first.ID, "--tenant", sum.TenantID)
	require.Equal(t, 0, show.code, show.stderr)
	require.Contains(t, show.stdout, first.RuleID)
	require.Contains(t, show.stdout, "history:")

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dismiss", first.ID, "--reason", "kept for the audit"}, "is dismissed"},
		{[]string{"reopen", first.ID}, "is open"},
		{[]string{"snooze", first.ID, "--until", "72h"}, "is snoozed until"},
	} {
		o := cmd(append(append([]string{"findings"}, tc.args...), "--tenant", sum.TenantID)...)
		require.Equal(t, 0, o.code, o.stderr)
		require.Contains(t, o.stdout, tc.want)
	}
	snoozed := cmd("findings", "--tenant", sum.TenantID, "--status", "snoozed", "-o", "json")
	require.Equal(t, 0, snoozed.code, snoozed.stderr)
	doc = findingsJSON{}
	require.NoError(t, json.Unmarshal([]byte(snoozed.stdout), &doc))
	require.Len(t, doc.Findings, 1)
	require.Equal(t, first.ID, doc.Findings[0].ID)
	require.Contains(t, cmd("findings", "show", first.ID, "--tenant", sum.TenantID).stdout, "kept for the audit", "the history keeps the reason")

	bad := cmd("findings", "--tenant", sum.TenantID, "--status", "gone")
	require.Equal(t, 1, bad.code)
	require.Contains(t, bad.stderr, "--status")

	// Rules: a tenant setting shows in the listing and bad names are refused.
	set := cmd("rules", "set", "aws.ec2.idle_public_ipv4", "--tenant", sum.TenantID, "--threshold", "idle_days=3")
	require.Equal(t, 0, set.code, set.stderr)
	rules := cmd("rules", "--tenant", sum.TenantID, "--provider", "aws")
	require.Equal(t, 0, rules.code, rules.stderr)
	require.Contains(t, rules.stdout, "idle_days=3*")
	badRule := cmd("rules", "set", "aws.ec2.idle_public_ipv4", "--tenant", sum.TenantID, "--threshold", "nonsense=3")
	require.Equal(t, 1, badRule.code)
	require.Contains(t, badRule.stderr, "nonsense")
	off := cmd("rules", "set", "aws.ec2.idle_public_ipv4", "--tenant", sum.TenantID, "--disable")
	require.Equal(t, 0, off.code, off.stderr)
	require.Contains(t, off.stdout, "is off")
}

func TestDemoServes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	demo := start(t, ctx, 3*time.Minute, "demo", "--seed", "2", "--resources", "90", "--addr", "127.0.0.1:0", "-o", "json")
	url := demo.addr
	var sum struct {
		URL, Email, Password string
		APIKey               string `json:"api_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(demo.stdout.String()), &sum), demo.stdout.String())
	require.Equal(t, url, sum.URL)

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/findings?limit=5", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+sum.APIKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&page))
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Len(t, page.Items, 5)

	login, err := http.Post(url+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"email":"`+sum.Email+`","password":"`+sum.Password+`"}`))
	require.NoError(t, err)
	require.NoError(t, login.Body.Close())
	require.Equal(t, http.StatusOK, login.StatusCode, "the printed login works")

	cancel()
	require.Equal(t, 0, <-demo.done, demo.stderr.String())
}
