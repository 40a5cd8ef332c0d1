package cli

import (
	"fmt"
	"time"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type apikeyCmd struct {
	Create apikeyCreateCmd `cmd:"" help:"Create an API key and print it (shown once)."`
	List   apikeyListCmd   `cmd:"" help:"List a tenant's API keys."`
	Revoke apikeyRevokeCmd `cmd:"" help:"Revoke an API key."`
}

type tenantFlag struct {
	Tenant string `name:"tenant" required:"" help:"Tenant id."`
}

func (f tenantFlag) tenant() (valdrix.TenantID, error) {
	return valdrix.ParseTenantID("--tenant", f.Tenant)
}

type apikeyCreateCmd struct {
	tenantFlag
	Role      string        `name:"role" required:"" enum:"owner,admin,member,viewer" help:"The key's role."`
	Name      string        `name:"name" default:"cli" help:"A label for the key."`
	ExpiresIn time.Duration `name:"expires-in" help:"Expire the key after this long (e.g. 720h); never by default."`
	output
}

// createdKey is apikey create's JSON output.
type createdKey struct {
	ID     string `json:"id"`
	Prefix string `json:"prefix"`
	Key    string `json:"key"`
}

func (c apikeyCreateCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	var exp *time.Time
	if c.ExpiresIn > 0 {
		t := core.Clock.Now().Add(c.ExpiresIn)
		exp = &t
	}
	k, plain, err := core.Governance.CreateAPIKey(rc, governance.SystemActor("cli"), tenant, c.Name, valdrix.Role(c.Role), exp)
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, createdKey{ID: k.ID, Prefix: k.Prefix, Key: plain})
	}
	fmt.Fprintln(rc.env.Stdout, plain)
	fmt.Fprintln(rc.env.Stderr, "The key is shown only now; store it safely.")
	return nil
}

type apikeyListCmd struct {
	tenantFlag
	output
}

func (c apikeyListCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	ks, err := collect(0, func(p governance.Page) ([]governance.APIKey, string, error) {
		return core.Governance.ListAPIKeys(rc, governance.SystemActor("cli"), tenant, p)
	})
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, ks)
	}
	rows := make([][]string, len(ks))
	for i, k := range ks {
		rows[i] = []string{k.ID, k.Name, k.Prefix, string(k.Role), fmtTime(&k.CreatedAt), fmtTime(k.LastUsedAt), fmtTime(k.ExpiresAt), fmtTime(k.RevokedAt)}
	}
	return writeTable(rc.env.Stdout, []string{"ID", "NAME", "PREFIX", "ROLE", "CREATED", "LAST USED", "EXPIRES", "REVOKED"}, rows)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

type apikeyRevokeCmd struct {
	tenantFlag
	ID string `arg:"" help:"The key's id."`
}

func (c apikeyRevokeCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	k, err := core.Governance.RevokeAPIKey(rc, governance.SystemActor("cli"), tenant, c.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(rc.env.Stdout, "revoked %s (%s) at %s\n", k.ID, k.Prefix, fmtTime(k.RevokedAt))
	return nil
}
