package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// TestSecretsNeverLeak drives the flows that handle secrets — passwords,
// session tokens, API keys, invitation tokens, encrypted secrets and the
// keyring — with debug logging on, then greps every log line and every
// response for them. Each secret may appear only in the one response that
// hands it out.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	e := newEnv(t, dialectConfig(t, store.SQLite))
	tn, ids := e.seedTenant("Alpha")
	owner := ids[valdrix.RoleOwner]
	ctx := context.Background()

	var bodies []string
	record := func(r response) response { bodies = append(bodies, r.body+"\n"+headerText(r.header)); return r }

	login := e.do("POST", "/api/v1/auth/login", map[string]any{"email": owner.email, "password": owner.pass}, nil)
	require.Equal(t, http.StatusOK, login.status)
	var token string
	for _, c := range login.cookies {
		if c.Name == "valdrix_session" {
			token = c.Value
		}
	}
	require.NotEmpty(t, token)
	cookie := &http.Cookie{Name: "valdrix_session", Value: token}

	created := e.do("POST", "/api/v1/api-keys", map[string]any{"name": "ci", "role": "viewer"}, withCookie(cookie))
	require.Equal(t, http.StatusCreated, created.status)
	newKey, _ := created.json(t)["key"].(string)
	require.NotEmpty(t, newKey)

	inv := e.do("POST", "/api/v1/members", map[string]any{"email": "invitee@example.com", "role": "member"}, bearer(owner.apiKey))
	require.Equal(t, http.StatusCreated, inv.status)
	invite, _ := inv.json(t)["invite_token"].(string)
	require.NotEmpty(t, invite)
	const invitePassword = "invitee-chosen-password"
	record(e.do("POST", "/api/v1/auth/accept-invite", map[string]any{"token": invite, "password": invitePassword}, nil))

	secretID, err := e.core.Governance.PutSecret(ctx, tn.ID, "", "azure.client_secret", []byte("azure-client-secret-value"))
	require.NoError(t, err)
	_, err = e.core.Governance.GetSecret(ctx, tn.ID, secretID)
	require.NoError(t, err)

	// Failing and succeeding calls with every credential.
	record(e.do("GET", "/api/v1/me", nil, withCookie(cookie)))
	record(e.do("GET", "/api/v1/me", nil, bearer(newKey)))
	record(e.do("GET", "/api/v1/me", nil, bearer(newKey+"x")))
	record(e.do("GET", "/api/v1/me", nil, bearer(owner.apiKey)))
	record(e.do("GET", "/api/v1/api-keys", nil, bearer(owner.apiKey)))
	record(e.do("GET", "/api/v1/members", nil, bearer(owner.apiKey)))
	record(e.do("GET", "/api/v1/audit?limit=500", nil, bearer(owner.apiKey)))
	record(e.do("POST", "/api/v1/auth/login", map[string]any{"email": owner.email, "password": owner.pass + "-wrong"}, nil))
	record(e.do("POST", "/api/v1/auth/login", map[string]any{"email": "invitee@example.com", "password": invitePassword}, nil))
	record(e.do("POST", "/api/v1/auth/logout", nil, withCookie(cookie)))
	record(e.do("GET", "/api/v1/me", nil, withCookie(cookie)))
	record(e.do("GET", "/metrics", nil, nil))

	// The secret is what follows the lookup part; it may itself contain
	// "_" (base64url), so cut at the first "_" after the prefix.
	_, keySecret, _ := strings.Cut(strings.TrimPrefix(newKey, "vdx_"), "_")
	require.Len(t, keySecret, 43)
	secrets := map[string]string{
		"password":        owner.pass,
		"invite password": invitePassword,
		"session token":   token,
		"new api key":     newKey,
		"api key secret":  keySecret,
		"seed api key":    owner.apiKey,
		"invite token":    invite,
		"stored secret":   "azure-client-secret-value",
		"keyring":         strings.SplitN(e.core.Keyring.Encode(), ":", 2)[1],
	}
	logs := e.logs.String()
	require.Contains(t, logs, "http request", "debug logging was on")
	for name, s := range secrets {
		require.NotContains(t, logs, s, "%s appears in the logs", name)
		for _, b := range bodies {
			require.NotContains(t, b, s, "%s appears in a response", name)
		}
	}
	// Audit metadata never carries them either.
	events, _, err := e.core.Store.ListAudit(ctx, tn.ID, auditAll, pageAll)
	require.NoError(t, err)
	for _, ev := range events {
		for name, s := range secrets {
			require.NotContains(t, ev.Metadata+ev.Target+ev.Actor, s, "%s in the audit log", name)
		}
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, vs := range h {
		b.WriteString(k + ": " + strings.Join(vs, ",") + "\n")
	}
	return b.String()
}
