package cli

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/governance"
)

type serveCmd struct{}

func (serveCmd) Run(rc *runCtx) error {
	core, err := rc.openCore(rc.cfg.Workers)
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck // closing on exit
	a, err := app.New(rc, core, rc.build)
	if err != nil {
		return err
	}
	if _, err := a.Listen(); err != nil {
		return err
	}
	workers := "with background workers"
	if !rc.cfg.Workers {
		workers = "API only: run valdrix worker to work background jobs"
	}
	fmt.Fprintf(rc.env.Stderr, "Valdrix %s serving on %s (database: %s; %s)\n", rc.build.Version, a.URL(), core.Store.Dialect(), workers)
	if ts, _, err := core.Governance.ListTenants(rc, governance.SystemActor("cli"), governance.Page{Limit: 1}); err == nil && len(ts) == 0 {
		fmt.Fprintln(rc.env.Stderr, "No tenants yet. Create one, a user and an API key:\n"+
			"  valdrix tenant create --name NAME\n  valdrix user create --email EMAIL --tenant ID --role owner\n  valdrix apikey create --tenant ID --role admin")
	}
	if rc.env.Ready != nil {
		rc.env.Ready(a.URL())
	}
	return a.Run(rc)
}
