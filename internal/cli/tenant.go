package cli

import (
	"fmt"
	"time"

	"github.com/valdrix/valdrix/internal/governance"
)

type tenantCmd struct {
	Create tenantCreateCmd `cmd:"" help:"Create a tenant and print its id."`
	List   tenantListCmd   `cmd:"" help:"List tenants."`
}

type tenantCreateCmd struct {
	Name string `name:"name" required:"" help:"The tenant's name."`
	output
}

func (c tenantCreateCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	t, err := core.Governance.CreateTenant(rc, governance.SystemActor("cli"), c.Name)
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, t)
	}
	fmt.Fprintln(rc.env.Stdout, t.ID)
	return nil
}

type tenantListCmd struct {
	Limit int `name:"limit" default:"100" help:"How many to list (newest first); 0 for all."`
	output
}

func (c tenantListCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	ts, err := collect(c.Limit, func(p governance.Page) ([]governance.Tenant, string, error) {
		return core.Governance.ListTenants(rc, governance.SystemActor("cli"), p)
	})
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, ts)
	}
	rows := make([][]string, len(ts))
	for i, t := range ts {
		rows[i] = []string{string(t.ID), t.Name, t.CreatedAt.Format(time.RFC3339)}
	}
	return writeTable(rc.env.Stdout, []string{"ID", "NAME", "CREATED"}, rows)
}

// collect pages through a listing until limit items (0: all).
func collect[T any](limit int, list func(governance.Page) ([]T, string, error)) ([]T, error) {
	out := []T{}
	cursor := ""
	for {
		n := governance.MaxPageLimit
		if limit > 0 {
			n = min(n, limit-len(out))
		}
		items, next, err := list(governance.Page{Limit: n, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		cursor = next
	}
}
