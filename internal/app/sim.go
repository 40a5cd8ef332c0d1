package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// SimConfig sizes a simulated estate for the demo and one-shot scans.
type SimConfig struct {
	Seed int64
	// Resources over AWS, Azure and GCP (default 300).
	Resources int
	// Now is the estate's "as of" time (default: the current hour), so
	// that its billing ends where the platform's clock is.
	Now time.Time
	// Mix is each cloud's share of the resources (default the
	// simulator's: 60 % AWS, 25 % Azure, 15 % GCP).
	Mix map[valdrix.Provider]float64
}

// Simulation is a running cloud simulator on loopback and the settings
// that point the platform's adapters at it.
type Simulation struct {
	Sim    *cloudsim.Sim
	caFile string
}

// Names of the simulated billing exports.
const (
	simAzureStorage   = "valdrixcostexports"
	simAzureContainer = "cost-exports"
	simAzurePrefix    = "exports"
	simCURPrefix      = "cur2"
)

// StartSimulation generates the estate and serves its AWS, Azure and GCP
// APIs on loopback (every role trusted: no credentials needed).
func StartSimulation(ctx context.Context, sc SimConfig, now time.Time) (*Simulation, error) {
	if sc.Now.IsZero() {
		sc.Now = now.UTC().Truncate(time.Hour)
	}
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: sc.Seed, Resources: cmp.Or(sc.Resources, 300), Now: sc.Now, Mix: sc.Mix,
	}, TrustAll: true})
	if err != nil {
		return nil, err
	}
	if err := sim.Start(ctx); err != nil {
		return nil, err
	}
	s := &Simulation{Sim: sim}
	// Azure is served over TLS with the simulator's own certificate
	// authority: the adapter is told to trust it through a file.
	ca, err := os.CreateTemp("", "valdrix-sim-azure-ca-*.pem")
	if err != nil {
		_ = sim.Close()
		return nil, err
	}
	s.caFile = ca.Name()
	_, werr := ca.Write(sim.AzureCAPEM())
	if err := errors.Join(werr, ca.Close()); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Apply points cfg's cloud adapters at the simulator.
func (s *Simulation) Apply(cfg *Config) {
	ep := s.Sim.Endpoints()
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = s.Sim.PlatformCredentials()
	cfg.DebugAWSEndpoint = ep.AWS
	cfg.DebugAzureEndpoint, cfg.DebugAzureCA = ep.Azure, s.caFile
	cfg.DebugGCPEndpoint = ep.GCP
}

// Close stops the simulator.
func (s *Simulation) Close() error {
	err := s.Sim.Close()
	if s.caFile != "" {
		err = errors.Join(err, os.Remove(s.caFile))
	}
	return err
}

// Connect creates, in tenant, one connection per simulated AWS account
// (each with its CUR 2.0 export in its own bucket), one for the Azure
// subscriptions (with a Cost Management export) and one for the GCP
// projects (with the BigQuery billing export), and tests each.
func (s *Simulation) Connect(ctx context.Context, core *Core, actor governance.Actor, tenant valdrix.TenantID) ([]inventory.Connection, error) {
	e := s.Sim.Estate()
	var specs []inventory.ConnectionSpec
	months := e.BillingMonths()
	start := months[0].Start().Time()
	for _, i := range e.AccountsOf(valdrix.AWS) {
		acct := e.Accounts[i]
		bucket := "valdrix-cur-" + acct.ID
		if _, err := s.Sim.ExportCUR2(ctx, cloudsim.CUR2Export{AccountID: acct.ID, Bucket: bucket, Prefix: simCURPrefix, Start: start, End: e.Now}); err != nil {
			return nil, fmt.Errorf("simulated CUR export of %s: %w", acct.ID, err)
		}
		specs = append(specs, inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "AWS " + acct.Name,
			AWS: &inventory.AWSSettings{AccountID: acct.ID, RoleARN: cloudsim.RoleARN(acct.ID),
				ExportBucket: bucket, ExportPrefix: simCURPrefix, ExportRegion: "us-east-1"}})
	}
	if subs := accountIDs(e, valdrix.Azure); len(subs) > 0 {
		// The amortized dataset: it bills unused reservation hours (Z19).
		x := cloudsim.AzureCostExport{StorageAccount: simAzureStorage, Container: simAzureContainer, Prefix: simAzurePrefix,
			Dataset: cloudsim.DatasetAmortizedCost}
		if err := s.Sim.AddAzureCostExport(x); err != nil {
			return nil, err
		}
		specs = append(specs, inventory.ConnectionSpec{Provider: valdrix.Azure, Name: "Azure " + strings.Join(subs, ", "),
			Azure: &inventory.AzureSpec{ClientSecret: "simulated-secret", AzureSettings: inventory.AzureSettings{
				TenantID: s.Sim.AzureTenantID(), ClientID: valdrix.NewID(), Subscriptions: subs,
				StorageAccount: simAzureStorage, Container: simAzureContainer, ExportPrefix: simAzurePrefix}}})
	}
	if projects := accountIDs(e, valdrix.GCP); len(projects) > 0 {
		key, err := s.Sim.GCPServiceAccountKey(cloudsim.GCPServiceAccount{})
		if err != nil {
			return nil, err
		}
		specs = append(specs, inventory.ConnectionSpec{Provider: valdrix.GCP, Name: "GCP " + strings.Join(projects, ", "),
			GCP: &inventory.GCPSpec{ServiceAccountKey: string(key), GCPSettings: inventory.GCPSettings{
				Projects: projects, BillingTable: s.Sim.GCPBillingTable()}}})
	}
	out := make([]inventory.Connection, 0, len(specs))
	for _, spec := range specs {
		c, _, err := core.Inventory.CreateConnection(ctx, actor, tenant, spec)
		if err != nil {
			return out, fmt.Errorf("connect %s: %w", spec.Name, err)
		}
		rep, err := core.Inventory.TestConnection(ctx, actor, tenant, c.ID)
		if err != nil {
			return out, fmt.Errorf("test %s: %w", spec.Name, err)
		}
		if !rep.OK {
			return out, fmt.Errorf("the simulated connection %s failed its test: %+v", spec.Name, rep.Checks)
		}
		out = append(out, c)
	}
	return out, nil
}

// GroundTruth counts the estate's seeded waste: (code, billing id) pairs,
// the way findings name them (Azure ids without regard to case).
func (s *Simulation) GroundTruth() map[string]bool {
	out := map[string]bool{}
	for _, tr := range s.Sim.Estate().GroundTruth() {
		out[TruthKey(tr.Provider, string(tr.Code), tr.BillingID)] = true
	}
	return out
}

// TruthKey names a (code, billing id) pair for comparing findings with the
// simulator's ground truth.
func TruthKey(p valdrix.Provider, code, billingID string) string {
	if p == valdrix.Azure {
		billingID = strings.ToLower(billingID)
	}
	return code + " " + billingID
}

// accountIDs lists the estate's accounts (subscriptions, projects) of p.
func accountIDs(e *cloudsim.Estate, p valdrix.Provider) []string {
	var out []string
	for _, i := range e.AccountsOf(p) {
		out = append(out, e.Accounts[i].ID)
	}
	return out
}
