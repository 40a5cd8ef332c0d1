package cloudsim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// GCPServiceAccount is a service account the simulator knows, with its
// role bindings.
type GCPServiceAccount struct {
	// Email defaults to valdrix-reader@<first project>.iam.gserviceaccount.com.
	Email string
	// Projects get roles/viewer (which covers Cloud Asset, Compute, Cloud
	// SQL and Monitoring reads); nil means every project of the estate, an
	// empty non-nil list none.
	Projects []string
	// NoBilling withholds BigQuery access to the billing export
	// (roles/bigquery.dataViewer on its dataset and roles/bigquery.jobUser).
	NoBilling bool
}

type gcpAccount struct {
	GCPServiceAccount
	projects map[string]bool // nil = all
}

type gcpKey struct {
	email string
	pub   *rsa.PublicKey
}

// gcpPool is a workload identity pool provider: subject tokens with
// subject may be exchanged, and the federated principal may impersonate
// account.
type gcpPool struct {
	subject string
	account string
}

// gcpToken is an access token the simulator issued.
type gcpToken struct {
	principal string      // service account email or federated principal
	account   *gcpAccount // nil for a federated token
	expires   time.Time
}

func (t gcpToken) canRead(project string) bool {
	return t.account != nil && (t.account.projects == nil || t.account.projects[project])
}

func (t gcpToken) canQueryBilling() bool { return t.account != nil && !t.account.NoBilling }

func (s *Sim) registerGCPAccount(sa GCPServiceAccount) (*gcpAccount, error) {
	e := s.estate
	projects := e.AccountsOf(valdrix.GCP)
	if len(projects) == 0 {
		return nil, fmt.Errorf("cloudsim: the estate has no GCP project")
	}
	if sa.Email == "" {
		sa.Email = "valdrix-reader@" + e.Accounts[projects[0]].ID + ".iam.gserviceaccount.com"
	}
	acct := &gcpAccount{GCPServiceAccount: sa}
	if sa.Projects != nil {
		acct.projects = map[string]bool{}
		for _, p := range sa.Projects {
			acct.projects[p] = true
		}
	}
	s.gcp.mu.Lock()
	s.gcp.accounts[sa.Email] = acct
	s.gcp.mu.Unlock()
	return acct, nil
}

// GCPServiceAccountKey registers a service account and returns a new JSON
// key for it, as the console's "Create key" gives, with token_uri pointing
// at the simulator. Only keys made here are accepted.
func (s *Sim) GCPServiceAccountKey(sa GCPServiceAccount) ([]byte, error) {
	acct, err := s.registerGCPAccount(sa)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("cloudsim: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("cloudsim: encode key: %w", err)
	}
	kid := randomKey("", 20)
	kid = strings.ToLower(kid)
	s.gcp.mu.Lock()
	s.gcp.keys[kid] = &gcpKey{email: acct.Email, pub: &key.PublicKey}
	s.gcp.mu.Unlock()
	project := strings.TrimSuffix(acct.Email[strings.IndexByte(acct.Email, '@')+1:], ".iam.gserviceaccount.com")
	return json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": project, "private_key_id": kid,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": acct.Email, "client_id": digits(newRand(acct.Email), 21),
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": s.gcp.tokenURI(),
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + url.PathEscape(acct.Email),
		"universe_domain":             "googleapis.com",
	}, "", "  ")
}

func (g *gcpServer) tokenURI() string { return g.base + "/oauth2/token" }

// GCPWorkloadIdentity is a workload identity federation setup: a pool
// provider that accepts subject tokens with Subject, whose principal may
// impersonate ServiceAccount.
type GCPWorkloadIdentity struct {
	// TokenFile is where the workload's subject token (a JWT) is read from
	// (credential_source.file).
	TokenFile string
	// Subject is the sub the subject token must carry. The simulator does
	// not check the token's signature (STS checks it against the issuer's
	// keys).
	Subject        string
	ServiceAccount GCPServiceAccount
}

// GCPWorkloadIdentityConfig registers a workload identity pool provider
// and the service account it impersonates, and returns the credential
// configuration ("type": "external_account") for it.
func (s *Sim) GCPWorkloadIdentityConfig(w GCPWorkloadIdentity) ([]byte, error) {
	acct, err := s.registerGCPAccount(w.ServiceAccount)
	if err != nil {
		return nil, err
	}
	e := s.estate
	first := e.Accounts[e.AccountsOf(valdrix.GCP)[0]]
	audience := "//iam.googleapis.com/projects/" + first.Number + "/locations/global/workloadIdentityPools/valdrix/providers/valdrix-" + digits(newRand(w.Subject), 6)
	s.gcp.mu.Lock()
	s.gcp.pools[audience] = &gcpPool{subject: w.Subject, account: acct.Email}
	s.gcp.mu.Unlock()
	return json.MarshalIndent(map[string]any{
		"type": "external_account", "audience": audience, "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
		"token_url":                         s.gcp.base + "/sts/v1/token",
		"service_account_impersonation_url": s.gcp.base + "/iamcredentials/v1/projects/-/serviceAccounts/" + acct.Email + ":generateAccessToken",
		"credential_source":                 map[string]any{"file": w.TokenFile, "format": map[string]string{"type": "text"}},
	}, "", "  ")
}

// GCPBillingProject returns the project holding the billing export
// dataset (the estate's first GCP project).
func (s *Sim) GCPBillingProject() string {
	e := s.estate
	return e.Accounts[e.AccountsOf(valdrix.GCP)[0]].ID
}

// GCPBillingTable returns the detailed (resource-level) billing export
// table, project.dataset.table.
func (s *Sim) GCPBillingTable() string {
	return s.GCPBillingProject() + "." + gcpBillingDataset + "." + s.estate.gcpBillingTableName()
}

const gcpBillingDataset = "billing_export"

func (e *Estate) gcpBillingTableName() string {
	return "gcp_billing_export_resource_v1_" + strings.ReplaceAll(e.GCPBillingAccount, "-", "_")
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc string) {
	body, _ := json.Marshal(map[string]string{"error": code, "error_description": desc})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (g *gcpServer) issue(principal string, acct *gcpAccount) (string, int) {
	tok := randomKey("ya29.sim", 24)
	d := min(g.s.cfg.SessionDuration, time.Hour)
	g.mu.Lock()
	g.tokens[tok] = gcpToken{principal: principal, account: acct, expires: g.s.clock.Now().Add(d)}
	g.issued++
	g.mu.Unlock()
	return tok, int(d / time.Second)
}

// serveOAuth2 is Google's OAuth2 token endpoint for the JWT-bearer grant
// of a service account key: the assertion's RS256 signature is checked
// against the key the simulator issued.
func (g *gcpServer) serveOAuth2(q *gcpReq) {
	if q.r.Method != http.MethodPost || strings.Join(q.parts, "/") != "token" {
		writeOAuthError(q.w, http.StatusNotFound, "invalid_request", "Not found")
		return
	}
	if err := q.r.ParseForm(); err != nil {
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_request", "Invalid form")
		return
	}
	if q.r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeOAuthError(q.w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: "+q.r.PostForm.Get("grant_type"))
		return
	}
	header, claims, signed, sig, err := splitJWT(q.r.PostForm.Get("assertion"))
	if err != nil {
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: "+err.Error())
		return
	}
	var h struct{ Alg, Kid string }
	var c struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Exp   int64  `json:"exp"`
		Iat   int64  `json:"iat"`
	}
	if json.Unmarshal(header, &h) != nil || json.Unmarshal(claims, &c) != nil {
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: malformed header or claims")
		return
	}
	if g.gcpFault(q, "", "Token", "", "") {
		return
	}
	g.mu.Lock()
	key := g.keys[h.Kid]
	acct := g.accounts[c.Iss]
	g.mu.Unlock()
	digest := sha256.Sum256(signed)
	switch {
	case h.Alg != "RS256":
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: alg must be RS256")
	case key == nil || acct == nil || key.email != c.Iss:
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid grant: account not found")
	case rsa.VerifyPKCS1v15(key.pub, crypto.SHA256, digest[:], sig) != nil:
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT Signature.")
	case c.Aud != g.tokenURI():
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Failed audience check. The right audience is "+g.tokenURI())
	case c.Exp <= g.s.clock.Now().Unix()-300 || c.Exp-c.Iat > 3600:
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	case c.Scope == "":
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_scope", "Empty or missing scope not allowed.")
	default:
		tok, secs := g.issue(acct.Email, acct)
		writeGCPJSON(q.w, map[string]any{"access_token": tok, "expires_in": secs, "token_type": "Bearer"})
	}
}

// splitJWT decodes a compact JWT's parts without verifying it.
func splitJWT(tok string) (header, claims, signed, sig []byte, err error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, nil, nil, nil, fmt.Errorf("not a compact JWT")
	}
	if header, err = base64.RawURLEncoding.DecodeString(parts[0]); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("header: %w", err)
	}
	if claims, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("claims: %w", err)
	}
	if sig, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("signature: %w", err)
	}
	return header, claims, []byte(parts[0] + "." + parts[1]), sig, nil
}

// serveSTS is the Security Token Service's token exchange for workload
// identity federation.
func (g *gcpServer) serveSTS(q *gcpReq) {
	if q.r.Method != http.MethodPost || strings.Join(q.parts, "/") != "v1/token" {
		writeOAuthError(q.w, http.StatusNotFound, "invalid_request", "Not found")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(q.r.Body, 1<<20))
	form, err := url.ParseQuery(string(body))
	if strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
		var m map[string]string
		if jerr := json.Unmarshal(body, &m); jerr == nil {
			form, err = url.Values{}, nil
			for k, v := range m {
				form.Set(k, v)
			}
		}
	}
	if err != nil {
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_request", "Invalid form")
		return
	}
	if g.gcpFault(q, "", "ExchangeToken", "", "") {
		return
	}
	g.mu.Lock()
	pool := g.pools[form.Get("audience")]
	g.mu.Unlock()
	_, claims, _, _, jerr := splitJWT(form.Get("subject_token"))
	var c struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if jerr == nil {
		jerr = json.Unmarshal(claims, &c)
	}
	switch {
	case form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange":
		writeOAuthError(q.w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be urn:ietf:params:oauth:grant-type:token-exchange")
	case pool == nil:
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.")
	case jerr != nil:
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "Unable to parse the ID Token.")
	case c.Exp != 0 && c.Exp <= g.s.clock.Now().Unix():
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "ID Token issued at "+time.Unix(c.Exp, 0).UTC().Format(time.RFC3339)+" is stale to sign-in.")
	case c.Sub != pool.subject:
		writeOAuthError(q.w, http.StatusBadRequest, "invalid_grant", "The given credential is rejected by the attribute condition.")
	default:
		principal := "principal://iam.googleapis.com/" + strings.TrimPrefix(form.Get("audience"), "//iam.googleapis.com/") + "/subject/" + c.Sub
		tok, secs := g.issue(principal, nil)
		writeGCPJSON(q.w, map[string]any{"access_token": tok, "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
			"token_type": "Bearer", "expires_in": secs})
	}
}

// serveImpersonation is IAM Credentials' generateAccessToken for the
// service account a workload identity pool may impersonate.
func (g *gcpServer) serveImpersonation(q *gcpReq) {
	p := strings.Join(q.parts, "/")
	email, ok := strings.CutSuffix(strings.TrimPrefix(p, "v1/projects/-/serviceAccounts/"), ":generateAccessToken")
	if q.r.Method != http.MethodPost || !ok || email == p {
		writeGCPError(q.w, http.StatusNotFound, "NOT_FOUND", "Not found: "+q.r.URL.Path, nil)
		return
	}
	if g.gcpFault(q, "", "GenerateAccessToken", "", "iam.serviceAccounts.getAccessToken") {
		return
	}
	g.mu.Lock()
	acct := g.accounts[email]
	allowed := false
	for _, pool := range g.pools {
		if pool.account == email && strings.HasSuffix(q.tok.principal, "/subject/"+pool.subject) {
			allowed = true
		}
	}
	g.mu.Unlock()
	if acct == nil || !allowed {
		writeGCPError(q.w, http.StatusForbidden, "PERMISSION_DENIED", "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
			[]gcpDetail{errorInfo("IAM_PERMISSION_DENIED", "iamcredentials.googleapis.com", map[string]string{"permission": "iam.serviceAccounts.getAccessToken"})})
		return
	}
	tok, secs := g.issue(acct.Email, acct)
	writeGCPJSON(q.w, map[string]any{"accessToken": tok, "expireTime": g.s.clock.Now().Add(time.Duration(secs) * time.Second).UTC().Format(time.RFC3339)})
}
