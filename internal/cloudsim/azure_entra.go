package cloudsim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// AzureApp is an Entra ID app registration (its service principal) that
// the simulator accepts, with its role assignments.
type AzureApp struct {
	ClientID string
	// ClientSecret is accepted by the client-credentials grant; empty for an
	// app that signs in with workload identity federation only.
	ClientSecret string
	// FederatedIssuer and FederatedSubject are a federated identity
	// credential: a client assertion with this iss and sub, and the audience
	// api://AzureADTokenExchange, is accepted. The simulator does not check
	// the assertion's signature (Entra ID checks it against the issuer's
	// keys).
	FederatedIssuer, FederatedSubject string
	// Subscriptions get the Reader role (which includes Monitoring Reader's
	// metrics/read); nil means every subscription of the estate, an empty
	// non-nil list none.
	Subscriptions []string
	// StorageAccounts get Storage Blob Data Reader; nil means every storage
	// account, an empty non-nil list none.
	StorageAccounts []string
	// BlobContributor also grants Storage Blob Data Contributor on those
	// accounts: the app may create containers and put blobs.
	BlobContributor bool
}

// FederatedAudience is the audience a workload identity assertion for Entra
// ID must carry.
const FederatedAudience = "api://AzureADTokenExchange"

type azureApp struct {
	AzureApp
	readers map[string]bool // lower-case subscription ids; nil = all
	blobs   map[string]bool // storage accounts; nil = all
}

func (app *azureApp) canRead(sub string) bool {
	return app != nil && (app.readers == nil || app.readers[strings.ToLower(sub)])
}

func (app *azureApp) canReadBlobs(account string) bool {
	return app != nil && (app.blobs == nil || app.blobs[account])
}

func lowerSet(xs []string) map[string]bool {
	if xs == nil {
		return nil
	}
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[strings.ToLower(x)] = true
	}
	return m
}

// RegisterAzureApp registers (or replaces) an app registration in the
// estate's tenant.
func (s *Sim) RegisterAzureApp(app AzureApp) error {
	if !isGUID(app.ClientID) {
		return fmt.Errorf("cloudsim: azure client id %q is not a GUID", app.ClientID)
	}
	if app.ClientSecret == "" && (app.FederatedIssuer == "" || app.FederatedSubject == "") {
		return fmt.Errorf("cloudsim: azure app %s needs a client secret or a federated credential", app.ClientID)
	}
	a := s.azure
	a.mu.Lock()
	defer a.mu.Unlock()
	a.apps[strings.ToLower(app.ClientID)] = &azureApp{AzureApp: app, readers: lowerSet(app.Subscriptions), blobs: lowerSet(app.StorageAccounts)}
	return nil
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

func writeEntraError(w http.ResponseWriter, status int, code string, aadsts int, desc string) {
	if !strings.HasPrefix(desc, "AADSTS") {
		desc = fmt.Sprintf("AADSTS%d: %s", aadsts, desc)
	}
	body, _ := json.Marshal(map[string]any{
		"error": code, "error_description": desc + " Trace ID: " + requestID + " Correlation ID: " + requestID,
		"error_codes": []int{aadsts}, "trace_id": requestID, "correlation_id": requestID,
	})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// serveEntra answers the Entra ID endpoints MSAL calls: instance discovery,
// the tenant's OpenID configuration and the token endpoint.
func (a *azureServer) serveEntra(q *azureReq) {
	tenant := q.parts[0]
	rest := strings.Join(q.parts[1:], "/")
	switch {
	case rest == "discovery/instance":
		host := strings.TrimPrefix(a.base, "https://")
		writeAzureJSON(q.w, map[string]any{
			"tenant_discovery_endpoint": a.base + "/" + tenant + "/v2.0/.well-known/openid-configuration", "api-version": "1.1",
			"metadata": []map[string]any{{"preferred_network": host, "preferred_cache": host, "aliases": []string{host}}},
		})
	case rest == "v2.0/.well-known/openid-configuration":
		if !strings.EqualFold(tenant, a.s.estate.AzureTenantID) {
			writeEntraError(q.w, http.StatusBadRequest, "invalid_tenant", 90002, "Tenant '"+tenant+"' not found.")
			return
		}
		t := a.base + "/" + tenant
		writeAzureJSON(q.w, map[string]any{
			"token_endpoint": t + "/oauth2/v2.0/token", "authorization_endpoint": t + "/oauth2/v2.0/authorize",
			"issuer": t + "/v2.0", "jwks_uri": t + "/discovery/v2.0/keys", "response_types_supported": []string{"code", "id_token"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
			"tenant_region_scope":                   "NA",
		})
	case rest == "oauth2/v2.0/token" && q.r.Method == http.MethodPost:
		a.serveToken(q, tenant)
	default:
		writeEntraError(q.w, http.StatusNotFound, "invalid_request", 900561, "The endpoint only accepts POST requests.")
	}
}

// serveToken is the client-credentials grant with a client secret or a
// federated client assertion.
func (a *azureServer) serveToken(q *azureReq, tenant string) {
	if err := q.r.ParseForm(); err != nil {
		writeEntraError(q.w, http.StatusBadRequest, "invalid_request", 900144, "The request body must contain a valid form.")
		return
	}
	f := q.r.PostForm
	clientID := strings.ToLower(f.Get("client_id"))
	if !strings.EqualFold(tenant, a.s.estate.AzureTenantID) {
		writeEntraError(q.w, http.StatusBadRequest, "invalid_request", 90002, "Tenant '"+tenant+"' not found. Check to make sure you have the correct tenant ID.")
		return
	}
	if a.azureFault(q, "entra", "", "token", clientID, "", "") {
		return
	}
	if f.Get("grant_type") != "client_credentials" {
		writeEntraError(q.w, http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '"+f.Get("grant_type")+"'.")
		return
	}
	audience := ""
	for _, sc := range strings.Fields(f.Get("scope")) {
		if r, ok := strings.CutSuffix(sc, "/.default"); ok {
			audience = strings.TrimRight(r, "/")
		}
	}
	if audience != azureARMAudience && audience != azureStorageAudience {
		writeEntraError(q.w, http.StatusBadRequest, "invalid_scope", 500011, "The resource principal named "+audience+" was not found in the tenant.")
		return
	}
	a.mu.Lock()
	app := a.apps[clientID]
	if app == nil && a.s.cfg.TrustAll && isGUID(clientID) {
		app = &azureApp{AzureApp: AzureApp{ClientID: clientID, ClientSecret: f.Get("client_secret")}}
		if app.ClientSecret == "" {
			app.FederatedIssuer, app.FederatedSubject = "*", "*"
		}
		a.apps[clientID] = app
	}
	a.mu.Unlock()
	if app == nil {
		writeEntraError(q.w, http.StatusBadRequest, "unauthorized_client", 700016, "Application with identifier '"+clientID+
			"' was not found in the directory '"+tenant+"'. This can happen if the application has not been installed by the administrator of the tenant.")
		return
	}
	switch {
	case f.Get("client_secret") != "":
		if app.ClientSecret == "" || f.Get("client_secret") != app.ClientSecret {
			writeEntraError(q.w, http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"+clientID+"'.")
			return
		}
	case f.Get("client_assertion") != "":
		if f.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
			writeEntraError(q.w, http.StatusBadRequest, "invalid_request", 700025, "Client assertion type is not supported.")
			return
		}
		if msg := a.checkAssertion(app, f.Get("client_assertion")); msg != "" {
			writeEntraError(q.w, http.StatusUnauthorized, "invalid_client", 70021, msg)
			return
		}
	default:
		writeEntraError(q.w, http.StatusUnauthorized, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
		return
	}
	tok := randomKey("simaz.", 24)
	d := min(a.s.cfg.SessionDuration, time.Hour)
	a.mu.Lock()
	a.tokens[tok] = azureToken{clientID: clientID, audience: audience, expires: a.s.clock.Now().Add(d)}
	a.issued++
	a.mu.Unlock()
	secs := int(d / time.Second)
	writeAzureJSON(q.w, map[string]any{"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok})
}

// checkAssertion checks a federated client assertion's claims (not its
// signature) and returns Entra's error text, or "".
func (a *azureServer) checkAssertion(app *azureApp, assertion string) string {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	var c struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp int64           `json:"exp"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return "AADSTS50027: JWT token is invalid or malformed."
	}
	var auds []string
	if json.Unmarshal(c.Aud, &auds) != nil {
		var one string
		_ = json.Unmarshal(c.Aud, &one)
		auds = []string{one}
	}
	if c.Exp != 0 && c.Exp <= a.s.clock.Now().Unix() {
		return "AADSTS700024: Client assertion is not within its valid time range."
	}
	wild := app.FederatedIssuer == "*"
	if !slices.Contains(auds, FederatedAudience) || (!wild && (c.Iss != app.FederatedIssuer || c.Sub != app.FederatedSubject)) {
		return fmt.Sprintf("AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'. Assertion Audience: '%s'.",
			c.Iss, c.Sub, strings.Join(auds, ","))
	}
	return ""
}
