package cli

import (
	"bufio"
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type userCmd struct {
	Create userCreateCmd `cmd:"" help:"Create a user. The password is read from stdin with --password-stdin, or generated and printed once."`
	List   userListCmd   `cmd:"" help:"List users."`
}

type userCreateCmd struct {
	Email         string `name:"email" required:"" help:"The user's email."`
	Name          string `name:"name" help:"The user's display name."`
	PasswordStdin bool   `name:"password-stdin" help:"Read the password from the first line of stdin."`
	Tenant        string `name:"tenant" help:"Also make the user a member of this tenant."`
	Role          string `name:"role" default:"owner" enum:"owner,admin,member,viewer" help:"Role in --tenant."`
	output
}

// createdUser is user create's JSON output.
type createdUser struct {
	ID       string           `json:"id"`
	Email    string           `json:"email"`
	Password string           `json:"password,omitempty"`
	TenantID valdrix.TenantID `json:"tenant_id,omitempty"`
	Role     valdrix.Role     `json:"role,omitempty"`
}

func (c userCreateCmd) Run(rc *runCtx) error {
	var tenant valdrix.TenantID
	if c.Tenant != "" {
		t, err := valdrix.ParseTenantID("--tenant", c.Tenant)
		if err != nil {
			return err
		}
		tenant = t
	}
	password, generated := "", false
	if c.PasswordStdin {
		line, err := bufio.NewReader(rc.env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return valdrix.FieldError("--password-stdin", "no password on stdin")
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		password, generated = governance.GeneratePassword(), true
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	actor := governance.SystemActor("cli")
	u, err := core.Governance.CreateUser(rc, actor, c.Email, c.Name, password)
	if err != nil {
		return err
	}
	out := createdUser{ID: u.ID, Email: u.Email}
	if generated {
		out.Password = password
	}
	if tenant != "" {
		m, err := core.Governance.AddMember(rc, actor, tenant, u.ID, valdrix.Role(c.Role))
		if err != nil {
			return fmt.Errorf("user %s was created but not added to the tenant: %w", u.ID, err)
		}
		out.TenantID, out.Role = m.TenantID, m.Role
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, out)
	}
	fmt.Fprintln(rc.env.Stdout, u.ID)
	if generated {
		fmt.Fprintf(rc.env.Stdout, "password: %s\n", password)
		fmt.Fprintln(rc.env.Stderr, "The generated password is shown only now.")
	}
	return nil
}

type userListCmd struct {
	Limit int `name:"limit" default:"100" help:"How many to list (newest first); 0 for all."`
	output
}

func (c userListCmd) Run(rc *runCtx) error {
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	us, err := collect(c.Limit, func(p governance.Page) ([]governance.User, string, error) {
		return core.Governance.ListUsers(rc, governance.SystemActor("cli"), p)
	})
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, us)
	}
	rows := make([][]string, len(us))
	for i, u := range us {
		pw := "yes"
		if u.PasswordHash == "" {
			pw = "no"
		}
		rows[i] = []string{u.ID, u.Email, u.Name, pw, u.CreatedAt.Format(time.RFC3339)}
	}
	return writeTable(rc.env.Stdout, []string{"ID", "EMAIL", "NAME", "PASSWORD", "CREATED"}, rows)
}
