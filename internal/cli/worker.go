package cli

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/app"
)

type workerCmd struct{}

func (workerCmd) Run(rc *runCtx) error {
	core, err := rc.openCore(true)
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck // closing on exit
	return app.RunWorker(rc, core, func(metrics string) {
		where := "no metrics listener (set --metrics-addr)"
		if metrics != "" {
			where = "metrics on http://" + metrics + "/metrics"
		}
		fmt.Fprintf(rc.env.Stderr, "Valdrix %s working jobs (database: %s; %s)\n", rc.build.Version, core.Store.Dialect(), where)
		if rc.env.Ready != nil {
			rc.env.Ready(metrics)
		}
	})
}
