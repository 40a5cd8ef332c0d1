package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/azure"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// addAzure adds the Azure adapter. It needs no platform credentials: every
// connection signs in as its own app registration.
func (c *Core) addAzure(set cloud.Set) error {
	cfg := c.Config
	hc := &http.Client{Timeout: 2 * time.Minute}
	if cfg.DebugAzureCA != "" {
		pem, err := os.ReadFile(cfg.DebugAzureCA)
		if err != nil {
			return fmt.Errorf("read --debug-azure-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--debug-azure-ca %s holds no PEM certificate", cfg.DebugAzureCA)
		}
		hc.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, MaxIdleConnsPerHost: 64}
	}
	ac := azure.Config{
		Endpoint: cfg.DebugAzureEndpoint, HTTPClient: hc, Logger: c.Log, Clock: c.Clock, ScanTimeout: cfg.ScanTimeout,
		FederatedTokenDir: cfg.FederatedTokenDir, Budget: c.Budget,
	}
	if cfg.DebugAzureEndpoint != "" {
		// The simulator has no Resource Manager quota to respect.
		ac.RateLimit, ac.RateBurst = 200, 50
	}
	p, err := azure.New(ac)
	if err != nil {
		return err
	}
	set[valdrix.Azure] = cloud.Adapter{Inventory: p, Tester: p, Costs: p, Metrics: p}
	return nil
}
