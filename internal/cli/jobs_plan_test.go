package cli_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestJobsPlanDueNow runs `jobs plan --due-now` from two processes at once
// and then again, on SQLite and PostgreSQL: each connection gets one scan
// for today, keyed as the daily planner keys it.
func TestJobsPlanDueNow(t *testing.T) {
	t.Parallel()
	dbs := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{name: "sqlite", args: func(t *testing.T) []string { return []string{"--data-dir", t.TempDir()} }},
		{name: "postgres", args: func(t *testing.T) []string {
			urls := storetest.NewPGDatabase(t)
			return []string{"--data-dir", t.TempDir(), "--database-url", urls.App, "--migrate-database-url", urls.Owner}
		}},
	}
	for _, db := range dbs {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			dbArgs := db.args(t)
			cmd := func(args ...string) result {
				r := run(t, nil, "", append(args, dbArgs...)...)
				require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
				return r
			}
			tenant := strings.TrimSpace(cmd("tenant", "create", "--name", "Acme").stdout)
			const conns = 3
			for i := range conns {
				cmd("connection", "create", "--tenant", tenant, "--provider", "aws", "--name", fmt.Sprintf("c%d", i),
					"--account-id", "123456789012", "--role-arn", fmt.Sprintf("arn:aws:iam::123456789012:role/Valdrix%d", i))
			}
			plan := func() jobs.PlanResult {
				var res jobs.PlanResult
				require.NoError(t, json.Unmarshal([]byte(cmd("jobs", "plan", "--due-now", "-o", "json").stdout), &res))
				require.Equal(t, "daily_scans", res.Spread)
				require.Equal(t, conns, res.Items)
				require.True(t, res.DueNow)
				return res
			}

			// Two processes at once, then a third run: each connection once.
			results := make([]jobs.PlanResult, 2)
			var wg sync.WaitGroup
			for i := range results {
				wg.Go(func() { results[i] = plan() })
			}
			wg.Wait()
			require.Equal(t, conns, results[0].Enqueued+results[1].Enqueued, "%+v", results)
			require.Equal(t, conns, results[0].Duplicates+results[1].Duplicates, "%+v", results)
			again := plan()
			require.Equal(t, 0, again.Enqueued)
			require.Equal(t, conns, again.Duplicates)

			var page struct {
				Items []jobs.Info `json:"items"`
			}
			require.NoError(t, json.Unmarshal([]byte(cmd("jobs", "list", "--kind", "valdrix.scan", "-o", "json").stdout), &page))
			require.Len(t, page.Items, conns, "one scan job per connection")
			today := valdrix.DateOf(time.Now()).String()
			keys := map[string]bool{}
			for _, j := range page.Items {
				require.Equal(t, valdrix.TenantID(tenant), j.Tenant)
				require.Equal(t, "daily_scans", j.Periodic)
				require.True(t, strings.HasPrefix(j.Key, tenant+"/") && strings.HasSuffix(j.Key, "/"+today), j.Key)
				keys[j.Key] = true
			}
			require.Len(t, keys, conns)

			// The text output says the same.
			out := cmd("jobs", "plan", "--due-now").stdout
			require.Contains(t, out, "daily_scans: 3 items, 0 jobs enqueued to run now, 3 duplicates (0 brought forward to now)")
			r := run(t, nil, "", append([]string{"jobs", "plan", "--spread", "nope"}, dbArgs...)...)
			require.Equal(t, 1, r.code)
			require.Contains(t, r.stderr, `no daily spread named "nope" (spreads: daily_scans)`)
		})
	}
}
