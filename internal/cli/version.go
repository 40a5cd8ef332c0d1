package cli

import (
	"fmt"
	"runtime"
)

type versionCmd struct {
	output
}

func (c versionCmd) Run(rc *runCtx) error {
	if c.json() {
		return writeJSON(rc.env.Stdout, map[string]string{"version": rc.build.Version, "commit": rc.build.Commit, "date": rc.build.Date, "go": runtime.Version()})
	}
	fmt.Fprintf(rc.env.Stdout, "valdrix %s (commit %s, built %s, %s)\n", rc.build.Version, orNone(rc.build.Commit), orNone(rc.build.Date), runtime.Version())
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
