package app

import (
	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/gcp"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// addGCP adds the GCP adapter. It needs no platform credentials: every
// connection carries its own service account key or workload identity
// configuration.
func (c *Core) addGCP(set cloud.Set) error {
	cfg := c.Config
	p, err := gcp.New(gcp.Config{
		Endpoint: cfg.DebugGCPEndpoint, Logger: c.Log, Clock: c.Clock, ScanTimeout: cfg.ScanTimeout,
		FederatedTokenDir: cfg.FederatedTokenDir, Budget: c.Budget,
	})
	if err != nil {
		return err
	}
	set[valdrix.GCP] = cloud.Adapter{Inventory: p, Tester: p, Costs: p, Metrics: p}
	return nil
}
