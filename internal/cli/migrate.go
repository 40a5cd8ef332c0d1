package cli

import (
	"fmt"
	"strconv"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/store"
)

type migrateCmd struct {
	Up     migrateUpCmd     `cmd:"" help:"Apply pending migrations (on PostgreSQL, as the schema owner: --migrate-database-url)."`
	Status migrateStatusCmd `cmd:"" help:"List migrations and whether each is applied."`
}

type migrateUpCmd struct {
	output
}

func (c migrateUpCmd) Run(rc *runCtx) error {
	if err := rc.cfg.Validate(); err != nil {
		return err
	}
	log, err := rc.logger()
	if err != nil {
		return err
	}
	applied, err := store.Migrate(rc, app.StoreConfig(rc.cfg, log, nil, nil))
	if err != nil {
		return err
	}
	if c.json() {
		if applied == nil {
			applied = []store.MigrationStatus{}
		}
		return writeJSON(rc.env.Stdout, applied)
	}
	if len(applied) == 0 {
		fmt.Fprintln(rc.env.Stdout, "The database is up to date.")
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(rc.env.Stdout, "applied %s %d %s\n", m.Source, m.Version, m.Name)
	}
	return nil
}

type migrateStatusCmd struct {
	output
}

func (c migrateStatusCmd) Run(rc *runCtx) error {
	if err := rc.cfg.Validate(); err != nil {
		return err
	}
	log, err := rc.logger()
	if err != nil {
		return err
	}
	st, err := store.Migrations(rc, app.StoreConfig(rc.cfg, log, nil, nil))
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, st)
	}
	rows := make([][]string, len(st))
	for i, m := range st {
		at := "pending"
		switch {
		case m.Applied && m.AppliedAt.IsZero():
			at = "applied"
		case m.Applied:
			at = m.AppliedAt.Format("2006-01-02 15:04:05Z")
		}
		rows[i] = []string{m.Source, strconv.FormatInt(m.Version, 10), m.Name, at}
	}
	return writeTable(rc.env.Stdout, []string{"SOURCE", "VERSION", "NAME", "APPLIED"}, rows)
}
