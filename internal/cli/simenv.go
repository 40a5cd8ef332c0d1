package cli

import (
	"errors"
	"fmt"
	"slices"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// simEnv is a platform on an embedded SQLite database in dir, pointed at a
// running simulated estate, with a tenant whose connections cover every
// simulated account.
type simEnv struct {
	sim    *app.Simulation
	core   *app.Core
	tenant valdrix.TenantID
	conns  []inventory.Connection
}

// startSimEnv starts the simulator and the core (working jobs when work is
// set), creates the tenant and connects the simulated accounts. An
// ephemeral platform keeps its encryption key in memory only.
func startSimEnv(rc *runCtx, sc app.SimConfig, dir string, work, ephemeral bool) (*simEnv, error) {
	sim, err := app.StartSimulation(rc, sc, rc.clock().Now())
	if err != nil {
		return nil, err
	}
	cfg := rc.cfg
	cfg.DataDir, cfg.DatabaseURL, cfg.MigrateDatabaseURL, cfg.EncryptionKeys = dir, "", "", ""
	if ephemeral {
		cfg.EncryptionKeys = keyring.Generate(rc.clock().Now()).Encode()
	}
	sim.Apply(&cfg)
	core, err := rc.openCoreWith(cfg, work)
	if err != nil {
		return nil, errors.Join(err, sim.Close())
	}
	env := &simEnv{sim: sim, core: core}
	t, err := core.Governance.CreateTenant(rc, cliActor, "Simulated estate")
	if err != nil {
		return nil, errors.Join(err, env.close())
	}
	env.tenant = t.ID
	fmt.Fprintf(rc.env.Stderr, "simulated estate: seed %d, %d resources, %d seeded waste items; connecting its accounts…\n",
		sc.Seed, len(sim.Sim.Estate().Resources), len(sim.Sim.Estate().GroundTruth()))
	if env.conns, err = sim.Connect(rc, core, cliActor, env.tenant); err != nil {
		return nil, errors.Join(err, env.close())
	}
	return env, nil
}

func (e *simEnv) close() error { return errors.Join(e.core.Close(), e.sim.Close()) }

// compare measures findings against the simulator's seeded waste.
func (e *simEnv) compare(recs []optimization.Record) truthReport {
	truth := e.sim.GroundTruth()
	r := truthReport{Seeded: len(truth)}
	seen := map[string]bool{}
	for _, f := range recs {
		k := app.TruthKey(f.Provider, f.Code, f.BillingID)
		if seen[k] {
			continue
		}
		seen[k] = true
		if truth[k] {
			r.Found++
		} else {
			r.Extra++
		}
	}
	for k := range truth {
		if !seen[k] {
			r.Missed = append(r.Missed, k)
		}
	}
	slices.Sort(r.Missed)
	if n := r.Found + r.Extra; n > 0 {
		r.Precision = float64(r.Found) / float64(n)
	}
	if r.Seeded > 0 {
		r.Recall = float64(r.Found) / float64(r.Seeded)
	}
	return r
}
