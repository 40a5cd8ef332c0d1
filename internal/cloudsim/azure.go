package cloudsim

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// Azure audiences: the resource an access token is for.
const (
	azureARMAudience     = "https://management.azure.com"
	azureStorageAudience = "https://storage.azure.com"
)

// azureServer serves Entra ID, Azure Resource Manager (Resource Graph,
// Monitor, subscriptions) and Blob storage over TLS on its own loopback
// port: azidentity refuses an authority host without https and azcore
// refuses bearer tokens over plain http.
type azureServer struct {
	s    *Sim
	base string // https://127.0.0.1:port
	srv  *http.Server
	cert tls.Certificate
	pool *x509.CertPool

	mu       sync.Mutex
	apps     map[string]*azureApp   // client id → app registration
	tokens   map[string]azureToken  // access token → grant
	issued   int                    // tokens issued
	accounts map[string]*azureStore // storage account name → blobs
	exports  []AzureCostExport
}

// azureToken is an access token the simulator issued.
type azureToken struct {
	clientID string
	audience string
	expires  time.Time
}

func newAzureServer(s *Sim) *azureServer {
	return &azureServer{s: s, apps: map[string]*azureApp{}, tokens: map[string]azureToken{}, accounts: map[string]*azureStore{}}
}

// startAzureGCP starts the Azure (TLS) and GCP servers. It runs under s.mu.
func (s *Sim) startAzureGCP(ctx context.Context) error {
	if err := s.azure.start(ctx); err != nil {
		return err
	}
	if err := s.gcp.start(ctx); err != nil {
		s.azure.close(ctx)
		return err
	}
	return nil
}

// closeAzureGCP stops the Azure and GCP servers.
func (s *Sim) closeAzureGCP(ctx context.Context) {
	s.azure.close(ctx)
	s.gcp.close(ctx)
}

func (a *azureServer) start(ctx context.Context) error {
	cert, pool, err := selfSignedCert()
	if err != nil {
		return fmt.Errorf("cloudsim: azure certificate: %w", err)
	}
	a.cert, a.pool = cert, pool
	a.srv, a.base, err = serveLoopback(ctx, http.HandlerFunc(a.serve), &cert)
	return err
}

func (a *azureServer) close(ctx context.Context) { shutdown(ctx, a.srv) }

// serveLoopback serves handler on a free port of 127.0.0.1 (over TLS with
// cert) and returns the server and its base URL.
func serveLoopback(ctx context.Context, handler http.Handler, cert *tls.Certificate) (*http.Server, string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("cloudsim: listen: %w", err)
	}
	base := "http://" + ln.Addr().String()
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
		base = "https://" + ln.Addr().String()
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, base, nil
}

// shutdown stops a server started with serveLoopback (nil is fine).
func shutdown(ctx context.Context, srv *http.Server) {
	if srv == nil {
		return
	}
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
}

// selfSignedCert makes a certificate for 127.0.0.1 and localhost and a pool
// that trusts it. Its validity is fixed and wide, so that it needs no clock.
func selfSignedCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "cloudsim", Organization: []string{"Valdrix cloud simulator"}},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// TLSClient returns an HTTP client that trusts the simulator's Azure
// endpoint (and talks plain http to the others). Nil before Start.
func (s *Sim) TLSClient() *http.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.azure.pool == nil {
		return nil
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: s.azure.pool, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 64,
		ForceAttemptHTTP2:   true,
	}
	return &http.Client{Transport: tr}
}

// AzureCAPEM returns the PEM of the certificate the Azure endpoint serves
// (self-signed: trust it to reach the endpoint). Nil before Start.
func (s *Sim) AzureCAPEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.azure.cert.Leaf == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.azure.cert.Leaf.Raw})
}

// AzureTenantID returns the estate's Entra tenant (directory) id.
func (s *Sim) AzureTenantID() string { return s.estate.AzureTenantID }

// AzureTokenCount returns how many access tokens Entra ID issued.
func (s *Sim) AzureTokenCount() int {
	s.azure.mu.Lock()
	defer s.azure.mu.Unlock()
	return s.azure.issued
}

// ExpireAzureTokens makes every issued Azure access token expire now.
func (s *Sim) ExpireAzureTokens() {
	a := s.azure
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, t := range a.tokens {
		t.expires = s.clock.Now().Add(-time.Second)
		a.tokens[k] = t
	}
}

// azureReq is one decoded Azure request.
type azureReq struct {
	w      http.ResponseWriter
	r      *http.Request
	parts  []string // path segments
	api    string   // "entra", "arm" or "blob"
	app    *azureApp
	client string // client id of the caller
}

// serve routes an Azure request by its first path segment: a tenant id is
// Entra ID, "subscriptions" and "providers" are ARM, anything else is a
// storage account.
func (a *azureServer) serve(w http.ResponseWriter, r *http.Request) {
	q := &azureReq{w: w, r: r, parts: strings.Split(strings.Trim(r.URL.Path, "/"), "/")}
	first := strings.ToLower(q.parts[0])
	switch {
	case len(q.parts) >= 2 && (q.parts[1] == "oauth2" || q.parts[1] == "v2.0" || q.parts[1] == "discovery"):
		q.api = "entra"
		a.serveEntra(q)
	case first == "subscriptions" || first == "providers":
		q.api = "arm"
		if !a.authenticate(q, azureARMAudience) {
			return
		}
		a.serveARM(q)
	case first == "":
		writeARMError(w, http.StatusNotFound, "NotFound", "No route for "+r.URL.Path)
	default:
		q.api = "blob"
		if !a.authenticate(q, azureStorageAudience) {
			return
		}
		a.serveBlob(q)
	}
}

// authenticate checks the bearer token and its audience.
func (a *azureServer) authenticate(q *azureReq, audience string) bool {
	tok, ok := strings.CutPrefix(q.r.Header.Get("Authorization"), "Bearer ")
	fail := func(code, msg string) bool {
		if q.api == "blob" {
			writeBlobError(q.w, http.StatusUnauthorized, code, msg)
		} else {
			q.w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+a.base+"/"+a.s.estate.AzureTenantID+`", error="invalid_token"`)
			writeARMError(q.w, http.StatusUnauthorized, code, msg)
		}
		return false
	}
	if !ok || tok == "" {
		if q.api == "blob" {
			return fail("NoAuthenticationInformation", "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.")
		}
		return fail("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.")
	}
	a.mu.Lock()
	t, found := a.tokens[tok]
	app := a.apps[t.clientID]
	a.mu.Unlock()
	switch {
	case !found:
		if q.api == "blob" {
			return fail("InvalidAuthenticationInfo", "Server failed to authenticate the request. The token is not valid.")
		}
		return fail("InvalidAuthenticationToken", "The access token is invalid.")
	case !a.s.clock.Now().Before(t.expires):
		if q.api == "blob" {
			return fail("InvalidAuthenticationInfo", "Server failed to authenticate the request. The token is expired.")
		}
		return fail("ExpiredAuthenticationToken", "The access token expiry UTC time '"+t.expires.Format(time.RFC1123)+"' is earlier than current UTC time.")
	case t.audience != audience:
		if q.api == "blob" {
			return fail("InvalidAuthenticationInfo", "Audience validation failed. Audience did not match.")
		}
		return fail("InvalidAuthenticationTokenAudience", "The access token has been obtained for wrong audience or resource '"+t.audience+"'. It should exactly match with one of the allowed audiences '"+audience+"'.")
	}
	q.app, q.client = app, t.clientID
	return true
}

// azureFault applies an injected fault to an Azure request; it reports
// whether the request was answered.
func (a *azureServer) azureFault(q *azureReq, service, region, op, account, action, scope string) bool {
	f, ok := a.s.faults.match(service, region, op, account)
	if !ok {
		return false
	}
	w := q.w
	switch f.Kind {
	case FaultThrottle:
		a.s.retryAfterHeaders(w)
		switch q.api {
		case "blob":
			writeBlobError(w, http.StatusServiceUnavailable, "ServerBusy", "The server is busy.")
		case "entra":
			writeEntraError(w, http.StatusTooManyRequests, "temporarily_unavailable", 50196, "The server temporarily throttled the request.")
		default:
			code := "TooManyRequests"
			if service == "resourcegraph" {
				code = "RateLimiting"
				w.Header().Set("x-ms-user-quota-remaining", "0")
				w.Header().Set("x-ms-user-quota-resets-after", "00:00:01")
			}
			writeARMError(w, http.StatusTooManyRequests, code, "Please provide below info when asking for support: timestamp = "+
				a.s.clock.Now().Format(time.RFC3339)+". Details: Too many requests. Please retry.")
		}
	case FaultDeny:
		switch q.api {
		case "blob":
			writeBlobError(w, http.StatusForbidden, "AuthorizationPermissionMismatch", "This request is not authorized to perform this operation using this permission.")
		case "entra":
			writeEntraError(w, http.StatusBadRequest, "unauthorized_client", 7000112, "AADSTS7000112: Application '"+account+"' is disabled.")
		default:
			writeARMError(w, http.StatusForbidden, "AuthorizationFailed", azureDenied(q.client, action, scope))
		}
	case FaultTimeout:
		select {
		case <-q.r.Context().Done():
		case <-a.s.closing:
		}
	case FaultDown:
		msg := "The service is unavailable"
		if region != "" {
			msg += " in " + region
		}
		if q.api == "blob" {
			writeBlobError(w, http.StatusServiceUnavailable, "ServerBusy", msg+".")
		} else {
			writeARMError(w, http.StatusServiceUnavailable, "ServiceUnavailable", msg+". Please try again later.")
		}
	case FaultRefuse:
		refuse(w)
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{\"value\": [<<<this is not a valid page"))
	default:
		return false
	}
	return true
}

// refuse closes the connection without an answer.
func refuse(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	w.WriteHeader(http.StatusServiceUnavailable)
}

// SetRetryAfter sets the delay the Azure and GCP throttling answers ask
// for (Retry-After, and retry-after-ms for Azure); default one second.
func (s *Sim) SetRetryAfter(d time.Duration) {
	s.gcp.mu.Lock()
	defer s.gcp.mu.Unlock()
	s.gcp.retryAfter = d
}

func (s *Sim) retryAfter() time.Duration {
	s.gcp.mu.Lock()
	defer s.gcp.mu.Unlock()
	if s.gcp.retryAfter <= 0 {
		return time.Second
	}
	return s.gcp.retryAfter
}

func (s *Sim) retryAfterHeaders(w http.ResponseWriter) {
	d := s.retryAfter()
	w.Header().Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	w.Header().Set("retry-after-ms", strconv.FormatInt(d.Milliseconds(), 10))
}

// azureDenied is ARM's AuthorizationFailed message, naming the action.
func azureDenied(clientID, action, scope string) string {
	return fmt.Sprintf("The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. "+
		"If access was recently granted, please refresh your credentials.", clientID, objectID(clientID), action, scope)
}

// objectID derives a stable service principal object id from a client id.
func objectID(clientID string) string { return guid(newRand("oid:" + clientID)) }

func writeARMError(w http.ResponseWriter, status int, code, msg string) {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-error-code", code)
	w.Header().Set("x-ms-request-id", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeAzureJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeARMError(w, http.StatusInternalServerError, "InternalServerError", "encode response")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("x-ms-request-id", requestID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// serveARM routes an Azure Resource Manager request.
func (a *azureServer) serveARM(q *azureReq) {
	p := q.parts
	n := len(p)
	switch {
	case q.r.Method == http.MethodPost && n == 3 && strings.EqualFold(p[1], "Microsoft.ResourceGraph") && p[2] == "resources":
		a.serveResourceGraph(q)
	case q.r.Method == http.MethodGet && n >= 4 && strings.EqualFold(p[n-3], "providers") && strings.EqualFold(p[n-2], "Microsoft.Insights") && strings.EqualFold(p[n-1], "metrics"):
		a.serveMetrics(q)
	case q.r.Method == http.MethodGet && n == 2 && strings.EqualFold(p[0], "subscriptions"):
		a.serveSubscription(q, p[1])
	default:
		writeARMError(q.w, http.StatusNotFound, "NoRegisteredProviderFound", "The simulator does not implement "+q.r.Method+" "+q.r.URL.Path)
	}
}

// serveSubscription answers GET /subscriptions/{id}, which needs Reader.
func (a *azureServer) serveSubscription(q *azureReq, sub string) {
	e := a.s.estate
	if a.azureFault(q, "arm", "", "GetSubscription", sub, "Microsoft.Resources/subscriptions/read", "/subscriptions/"+sub) {
		return
	}
	i, ok := e.Account(valdrix.Azure, strings.ToLower(sub))
	if !ok {
		writeARMError(q.w, http.StatusNotFound, "SubscriptionNotFound", "The subscription '"+sub+"' could not be found.")
		return
	}
	if !q.app.canRead(sub) {
		writeARMError(q.w, http.StatusForbidden, "AuthorizationFailed", azureDenied(q.client, "Microsoft.Resources/subscriptions/read", "/subscriptions/"+sub))
		return
	}
	acct := e.Accounts[i]
	writeAzureJSON(q.w, map[string]any{
		"id": "/subscriptions/" + acct.ID, "subscriptionId": acct.ID, "tenantId": e.AzureTenantID,
		"displayName": acct.Name, "state": "Enabled",
		"subscriptionPolicies": map[string]string{"locationPlacementId": "Public_2014-09-01", "quotaId": "EnterpriseAgreement_2014-09-01", "spendingLimit": "Off"},
		"authorizationSource":  "RoleBased",
	})
}
