package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/api"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestFindingsAPI covers listing (default status, filters, sorting, paging,
// the summary counting each ledger line once), the detail with evidence and
// history, the decisions and their errors, rule overrides and the
// detection settings, on both stores.
func TestFindingsAPI(t *testing.T) {
	t.Parallel()
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, dialectConfig(t, dialect))
			tn, ids := e.seedTenant("Alpha")
			f := fixture{tn, ids}
			owner, viewer := bearer(ids[valdrix.RoleOwner].apiKey), bearer(ids[valdrix.RoleViewer].apiKey)
			ctx := context.Background()
			conn := e.freshConnection(f)
			at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

			// A stopped instance whose finding covers its volume's charges,
			// the volume's own finding, and two more.
			inst := storetest.FindingRecord(tn.ID, conn, "i-1", "aws.ec2.stopped_instance", 50, 5, at)
			inst.Evidence.Related = []optimization.RelatedEvidence{{ResourceID: "vol-1", BillingID: "vol-1"}}
			vol := storetest.FindingRecord(tn.ID, conn, "vol-1", "aws.ec2.volume_on_stopped_instance", 20, 2, at)
			big := storetest.FindingRecord(tn.ID, conn, "vol-9", "aws.ec2.unattached_volume", 100, 1, at)
			unpriced := storetest.FindingRecord(tn.ID, conn, "vol-7", "aws.ec2.unattached_volume", -1, -1, at)
			gone := storetest.FindingRecord(tn.ID, conn, "vol-8", "aws.ec2.unattached_volume", 30, 1, at)
			gone.Status = optimization.StatusResolved
			require.NoError(t, e.core.Store.SaveFindings(ctx, tn.ID, optimization.FindingWrite{
				Upserts: []optimization.Record{inst, vol, big, unpriced, gone},
				Events:  []optimization.Event{{ID: valdrix.NewID(), FindingID: big.ID, At: at, Actor: "system:scan", To: optimization.StatusOpen, Reason: "detected"}},
			}))

			page := func(path string) api.FindingPage {
				t.Helper()
				res := e.do("GET", path, nil, viewer)
				require.Equal(t, http.StatusOK, res.status, res.body)
				var p api.FindingPage
				require.NoError(t, json.Unmarshal([]byte(res.body), &p))
				return p
			}
			resources := func(p api.FindingPage) []string {
				var out []string
				for _, it := range p.Items {
					out = append(out, it.ResourceID)
				}
				return out
			}

			p := page("/api/v1/findings")
			require.Equal(t, []string{"vol-9", "i-1", "vol-1", "vol-7"}, resources(p), "open only, largest savings first, unpriced last")
			require.Nil(t, p.Items[0].Evidence, "lists carry no evidence")
			require.Nil(t, p.Items[3].KgCO2ePerMonth, "unknown carbon is null, not 0")
			require.Equal(t, "unpriced", string(p.Items[3].MonthlySavings.State))
			require.NotNil(t, p.Summary)
			require.Equal(t, 4, p.Summary.ByStatus[optimization.StatusOpen])
			require.Equal(t, 1, p.Summary.ByStatus[optimization.StatusResolved])
			require.Len(t, p.Summary.Totals, 1)
			tot := p.Summary.Totals[0]
			require.Equal(t, "150", tot.MonthlySavings.String(), "the volume's charges count once, inside the instance's finding")
			require.Equal(t, "6", tot.KgCO2ePerMonth.String())
			require.Equal(t, 4, tot.Findings)
			require.Equal(t, 1, tot.UnpricedFindings)

			for _, tc := range []struct {
				name, query string
				want        []string
			}{
				{"all statuses", "?status=all", []string{"vol-9", "i-1", "vol-8", "vol-1", "vol-7"}},
				{"resolved", "?status=resolved", []string{"vol-8"}},
				{"min savings", "?min_savings=25", []string{"vol-9", "i-1"}},
				{"rule", "?rule=aws.ec2.unattached_volume", []string{"vol-9", "vol-7"}},
				{"carbon ascending", "?sort=carbon", []string{"vol-7", "vol-9", "vol-1", "i-1"}},
				{"tag", "?tag=team%3Dweb&connection=" + conn + "&provider=aws&account=111111111111&region=us-east-1", []string{"vol-9", "i-1", "vol-1", "vol-7"}},
				{"no match", "?region=eu-west-1", nil},
			} {
				require.Equal(t, tc.want, resources(page("/api/v1/findings"+tc.query)), tc.name)
			}
			// Paging: two at a time, the summary on the first page only.
			first := page("/api/v1/findings?limit=2")
			require.Len(t, first.Items, 2)
			require.NotEmpty(t, first.NextCursor)
			second := page("/api/v1/findings?limit=2&cursor=" + first.NextCursor)
			require.Nil(t, second.Summary)
			require.Equal(t, []string{"vol-1", "vol-7"}, resources(second))
			require.Empty(t, second.NextCursor)

			// Bad input names the parameter.
			for _, tc := range []struct{ query, location string }{
				{"?status=closed", "query.status"},
				{"?min_savings=lots", "query.min_savings"},
				{"?sort=price", "query.sort"},
				{"?cursor=xyz", "query.cursor"},
			} {
				res := e.do("GET", "/api/v1/findings"+tc.query, nil, viewer)
				require.Equal(t, http.StatusBadRequest, res.status, "%s: %s", tc.query, res.body)
				require.Contains(t, res.body, tc.location, tc.query)
			}

			// The detail carries the evidence and the history.
			res := e.do("GET", "/api/v1/findings/"+big.ID, nil, viewer)
			require.Equal(t, http.StatusOK, res.status, res.body)
			var d api.FindingDetail
			require.NoError(t, json.Unmarshal([]byte(res.body), &d))
			require.NotNil(t, d.Evidence)
			require.Equal(t, map[string]float64{"min_age_days": 7}, d.Evidence.Thresholds)
			require.Len(t, d.History, 1)
			require.Equal(t, "detected", d.History[0].Reason)

			// Decisions and their errors.
			for _, tc := range []struct {
				name, path string
				body       any
				status     int
				want       string
			}{
				{"snooze in the past", "/snooze", map[string]any{"until": "2020-01-01T00:00:00Z"}, 400, "until"},
				{"snooze beyond a year", "/snooze", map[string]any{"until": time.Now().AddDate(2, 0, 0).Format(time.RFC3339)}, 400, "until"},
				{"dismiss without reason", "/dismiss", map[string]any{"reason": ""}, 400, "body.reason"},
				{"reopen an open finding", "/reopen", nil, 409, "conflict"},
				{"dismiss", "/dismiss", map[string]any{"reason": "kept for the disaster-recovery test"}, 200, "dismissed"},
				{"dismiss again", "/dismiss", map[string]any{"reason": "again"}, 409, "conflict"},
				{"reopen", "/reopen", map[string]any{"reason": "the test is over"}, 200, "open"},
				{"snooze", "/snooze", map[string]any{"until": time.Now().Add(72 * time.Hour).Format(time.RFC3339), "reason": "next sprint"}, 200, "snoozed"},
			} {
				res := e.do("POST", "/api/v1/findings/"+big.ID+tc.path, tc.body, owner)
				require.Equal(t, tc.status, res.status, "%s: %s", tc.name, res.body)
				require.Contains(t, res.body, tc.want, tc.name)
			}
			got, err := e.core.Store.FindingEvents(ctx, tn.ID, big.ID)
			require.NoError(t, err)
			require.Len(t, got, 4, "detected, dismissed, reopened, snoozed")
			audit := e.do("GET", "/api/v1/audit?limit=50", nil, owner)
			require.Contains(t, audit.body, "finding.dismiss")
			require.Contains(t, audit.body, "kept for the disaster-recovery test")
			require.Equal(t, http.StatusNotFound, e.do("GET", "/api/v1/findings/"+valdrix.NewID(), nil, viewer).status)

			// Rules: defaults, an override, bad values, back to defaults.
			rule := func(res response) api.RuleItem {
				t.Helper()
				require.Equal(t, http.StatusOK, res.status, res.body)
				var r api.RuleItem
				require.NoError(t, json.Unmarshal([]byte(res.body), &r))
				return r
			}
			r := rule(e.do("GET", "/api/v1/rules/aws.ec2.old_snapshot", nil, viewer))
			require.True(t, r.Enabled)
			require.Len(t, r.Thresholds, 1)
			def := r.Thresholds[0]
			require.Equal(t, def.Default, def.Value)
			r = rule(e.do("PUT", "/api/v1/rules/aws.ec2.old_snapshot", map[string]any{"enabled": false, "thresholds": map[string]any{def.Name: def.Default + 30}}, owner))
			require.False(t, r.Enabled)
			require.Equal(t, def.Default+30, r.Thresholds[0].Value)
			require.True(t, r.Thresholds[0].Overridden)
			require.NotEmpty(t, r.UpdatedBy)
			for _, tc := range []struct {
				name string
				body map[string]any
				want string
			}{
				{"unknown threshold", map[string]any{"thresholds": map[string]any{"nope": 1}}, "thresholds.nope"},
				{"out of bounds", map[string]any{"thresholds": map[string]any{def.Name: def.Max + 1}}, "thresholds." + def.Name},
				{"unknown field", map[string]any{"enable": true}, "enable"},
			} {
				res := e.do("PUT", "/api/v1/rules/aws.ec2.old_snapshot", tc.body, owner)
				require.Contains(t, []int{400, 422}, res.status, "%s: %s", tc.name, res.body)
				require.Contains(t, res.body, tc.want, tc.name)
			}
			require.Equal(t, http.StatusNotFound, e.do("PUT", "/api/v1/rules/aws.nope.rule", map[string]any{}, owner).status)
			r = rule(e.do("PUT", "/api/v1/rules/aws.ec2.old_snapshot", map[string]any{}, owner))
			require.True(t, r.Enabled, "an empty body restores the defaults")
			require.Equal(t, def.Default, r.Thresholds[0].Value)
			list := e.do("GET", "/api/v1/rules?provider=gcp", nil, viewer)
			require.Equal(t, http.StatusOK, list.status)
			var rules struct{ Items []api.RuleItem }
			require.NoError(t, json.Unmarshal([]byte(list.body), &rules))
			require.GreaterOrEqual(t, len(rules.Items), 13)
			for _, it := range rules.Items {
				require.Equal(t, valdrix.GCP, it.Provider)
			}

			// Detection settings live with the tenant's settings.
			res = e.do("PATCH", "/api/v1/settings", map[string]any{"detection_window_days": 14, "exclude_tags": []string{"env=sandbox", "keep"},
				"exclude_regions": []string{"ap-south-1"}}, owner)
			require.Equal(t, http.StatusOK, res.status, res.body)
			require.Contains(t, res.body, `"exclude_tags":["env=sandbox","keep"]`)
			require.Contains(t, res.body, `"detection_window_days":14`)
			res = e.do("PATCH", "/api/v1/settings", map[string]any{"detection_window_days": 91}, owner)
			require.Equal(t, http.StatusBadRequest, res.status, res.body)
			require.Contains(t, res.body, "detection_window_days")
			res = e.do("PATCH", "/api/v1/settings", map[string]any{"exclude_tags": []string{}}, owner)
			require.Equal(t, http.StatusOK, res.status, res.body)
			require.NotContains(t, res.body, "env=sandbox", "an empty list clears the setting")
			require.Contains(t, res.body, `"exclude_regions":["ap-south-1"]`, "other settings are kept")
		})
	}
}
