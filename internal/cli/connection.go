package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type connectionCmd struct {
	Create     connectionCreateCmd     `cmd:"" help:"Connect a cloud account (AWS prints the ExternalId and role templates to deploy)."`
	List       connectionListCmd       `cmd:"" help:"List a tenant's connections."`
	Show       connectionShowCmd       `cmd:"" help:"Show a connection."`
	Update     connectionUpdateCmd     `cmd:"" help:"Change a connection's settings."`
	Delete     connectionDeleteCmd     `cmd:"" help:"Remove a connection with its secrets, scans and inventory."`
	Test       connectionTestCmd       `cmd:"" help:"Try each permission the connection needs."`
	Onboarding connectionOnboardingCmd `cmd:"" help:"Print what to deploy for an AWS connection (ExternalId, templates, quick-create link)."`
}

var cliActor = governance.SystemActor("cli")

// connectionSettings are the provider settings flags shared by create and update.
type connectionSettings struct {
	AccountID     string   `name:"account-id" group:"AWS" help:"AWS account id (12 digits)."`
	RoleARN       string   `name:"role-arn" group:"AWS" help:"AWS role to assume (default: arn:aws:iam::<account>:role/ValdrixReadOnly)."`
	Region        []string `name:"region" group:"AWS" help:"AWS regions to inventory (repeatable; default: every enabled region)."`
	ExportBucket  string   `name:"export-bucket" group:"AWS" help:"S3 bucket of the CUR 2.0 export."`
	ExportPrefix  string   `name:"export-prefix" group:"AWS" help:"Prefix of the CUR 2.0 export."`
	ExportRegion  string   `name:"export-region" group:"AWS" help:"Region of the export bucket."`
	AzureTenant   string   `name:"azure-tenant-id" group:"Azure" help:"Entra tenant id."`
	ClientID      string   `name:"client-id" group:"Azure" help:"App registration (client) id."`
	SecretStdin   bool     `name:"client-secret-stdin" group:"Azure" help:"Read the client secret from stdin."`
	Subscription  []string `name:"subscription" group:"Azure" help:"Subscription ids (repeatable)."`
	Storage       string   `name:"storage-account" group:"Azure" help:"Storage account of the Cost Management export."`
	Container     string   `name:"container" group:"Azure" help:"Container of the export."`
	KeyFile       string   `name:"service-account-key-file" type:"existingfile" group:"GCP" help:"Service-account JSON key file (stored encrypted)."`
	Project       []string `name:"project" group:"GCP" help:"Project ids (repeatable)."`
	BillingTable  string   `name:"billing-table" group:"GCP" help:"project.dataset.table of the billing export."`
	AzurePrefix   string   `name:"azure-export-prefix" group:"Azure" help:"Prefix of the export in the container."`
	WorkloadIdent string   `name:"workload-identity-file" type:"existingfile" group:"GCP" help:"GCP external_account JSON (workload identity)."`
}

func (f connectionSettings) spec(provider valdrix.Provider, stdin io.Reader) (inventory.ConnectionSpec, error) {
	spec := inventory.ConnectionSpec{Provider: provider}
	switch provider {
	case valdrix.AWS:
		if f.AccountID != "" || f.RoleARN != "" || len(f.Region) > 0 || f.ExportBucket != "" {
			spec.AWS = &inventory.AWSSettings{AccountID: f.AccountID, RoleARN: f.RoleARN, Regions: f.Region,
				ExportBucket: f.ExportBucket, ExportPrefix: f.ExportPrefix, ExportRegion: f.ExportRegion}
		}
	case valdrix.Azure:
		z := &inventory.AzureSpec{AzureSettings: inventory.AzureSettings{TenantID: f.AzureTenant, ClientID: f.ClientID,
			Subscriptions: f.Subscription, StorageAccount: f.Storage, Container: f.Container, ExportPrefix: f.AzurePrefix}}
		if f.SecretStdin {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && line == "" {
				return spec, valdrix.FieldError("--client-secret-stdin", "no secret on stdin")
			}
			z.ClientSecret = strings.TrimRight(line, "\r\n")
		}
		if f.AzureTenant != "" || f.ClientID != "" || z.ClientSecret != "" || len(f.Subscription) > 0 {
			spec.Azure = z
		}
	case valdrix.GCP:
		g := &inventory.GCPSpec{GCPSettings: inventory.GCPSettings{Projects: f.Project, BillingTable: f.BillingTable}}
		if f.KeyFile != "" {
			b, err := os.ReadFile(f.KeyFile)
			if err != nil {
				return spec, valdrix.FieldError("--service-account-key-file", "cannot read it: %v", err)
			}
			g.ServiceAccountKey = string(b)
		}
		if f.WorkloadIdent != "" {
			b, err := os.ReadFile(f.WorkloadIdent)
			if err != nil {
				return spec, valdrix.FieldError("--workload-identity-file", "cannot read it: %v", err)
			}
			g.WorkloadIdentityConfig = string(b)
		}
		if len(f.Project) > 0 || g.ServiceAccountKey != "" || g.WorkloadIdentityConfig != "" || f.BillingTable != "" {
			spec.GCP = g
		}
	}
	return spec, nil
}

type connectionCreateCmd struct {
	tenantFlag
	Provider string `name:"provider" required:"" enum:"aws,azure,gcp" help:"aws, azure or gcp."`
	Name     string `name:"name" required:"" help:"A name for the connection."`
	connectionSettings
	output
}

func (c connectionCreateCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	spec, err := c.spec(valdrix.Provider(c.Provider), rc.env.Stdin)
	if err != nil {
		return err
	}
	spec.Name = c.Name
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	conn, onboarding, err := core.Inventory.CreateConnection(rc, cliActor, tenant, spec)
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, map[string]any{"connection": conn, "onboarding": onboarding})
	}
	fmt.Fprintln(rc.env.Stdout, conn.ID)
	if onboarding != nil {
		printOnboardingSummary(rc, *onboarding)
	}
	return nil
}

func printOnboardingSummary(rc *runCtx, o inventory.Onboarding) {
	fmt.Fprintf(rc.env.Stderr, "ExternalId: %s\n%s\n", o.ExternalID, o.Instructions)
	if o.QuickCreateURL != "" {
		fmt.Fprintf(rc.env.Stderr, "Quick-create link: %s\n", o.QuickCreateURL)
	}
	fmt.Fprintln(rc.env.Stderr, "The templates: valdrix connection onboarding --tenant … ID")
}

type connectionListCmd struct {
	tenantFlag
	output
}

func (c connectionListCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	cs, err := collect(0, func(p governance.Page) ([]inventory.Connection, string, error) {
		return core.Inventory.ListConnections(rc, cliActor, tenant, p)
	})
	if err != nil {
		return err
	}
	if c.json() {
		return writeJSON(rc.env.Stdout, cs)
	}
	rows := make([][]string, len(cs))
	for i, x := range cs {
		rows[i] = []string{x.ID, string(x.Provider), x.Name, x.AccountRef, string(x.Status), fmtTime(x.TestedAt)}
	}
	return writeTable(rc.env.Stdout, []string{"ID", "PROVIDER", "NAME", "ACCOUNT", "STATUS", "TESTED"}, rows)
}

type connectionIDArg struct {
	tenantFlag
	ID string `arg:"" help:"Connection id."`
}

type connectionShowCmd struct {
	connectionIDArg
}

func (c connectionShowCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	conn, err := core.Inventory.GetConnection(rc, cliActor, tenant, c.ID)
	if err != nil {
		return err
	}
	return writeJSON(rc.env.Stdout, conn)
}

type connectionUpdateCmd struct {
	connectionIDArg
	Name    string `name:"name" help:"New name."`
	Disable bool   `name:"disable" xor:"state" help:"Switch the connection off."`
	Enable  bool   `name:"enable" xor:"state" help:"Switch the connection back on."`
	connectionSettings
}

func (c connectionUpdateCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	cur, err := core.Inventory.GetConnection(rc, cliActor, tenant, c.ID)
	if err != nil {
		return err
	}
	spec, err := c.spec(cur.Provider, rc.env.Stdin)
	if err != nil {
		return err
	}
	if spec.AWS != nil && cur.AWS != nil {
		merged := *cur.AWS // keep settings not given on the command line
		if spec.AWS.RoleARN != "" {
			merged.RoleARN = spec.AWS.RoleARN
		}
		if len(spec.AWS.Regions) > 0 {
			merged.Regions = spec.AWS.Regions
		}
		if spec.AWS.ExportBucket != "" {
			merged.ExportBucket, merged.ExportPrefix, merged.ExportRegion = spec.AWS.ExportBucket, spec.AWS.ExportPrefix, spec.AWS.ExportRegion
		}
		spec.AWS = &merged
	}
	spec.Name = c.Name
	switch {
	case c.Disable:
		t := true
		spec.Disabled = &t
	case c.Enable:
		f := false
		spec.Disabled = &f
	}
	conn, err := core.Inventory.UpdateConnection(rc, cliActor, tenant, c.ID, spec)
	if err != nil {
		return err
	}
	return writeJSON(rc.env.Stdout, conn)
}

type connectionDeleteCmd struct {
	connectionIDArg
}

func (c connectionDeleteCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	if err := core.Inventory.DeleteConnection(rc, cliActor, tenant, c.ID); err != nil {
		return err
	}
	fmt.Fprintf(rc.env.Stdout, "deleted %s\n", c.ID)
	return nil
}

type connectionTestCmd struct {
	connectionIDArg
	output
}

func (c connectionTestCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	rep, err := core.Inventory.TestConnection(rc, cliActor, tenant, c.ID)
	if err != nil {
		return err
	}
	if c.json() {
		if err := writeJSON(rc.env.Stdout, rep); err != nil {
			return err
		}
	} else {
		printTest(rc.env.Stdout, rep)
	}
	if !rep.OK {
		return fmt.Errorf("the connection test failed")
	}
	return nil
}

func printTest(w io.Writer, rep cloud.TestReport) {
	rows := make([][]string, len(rep.Checks))
	for i, ch := range rep.Checks {
		rows[i] = []string{ch.Name, string(ch.Status), orDash(ch.MissingPermission), orDash(ch.Message)}
	}
	_ = writeTable(w, []string{"CHECK", "STATUS", "MISSING PERMISSION", "DETAIL"}, rows)
	for _, ch := range rep.Checks {
		if ch.Remedy != "" && ch.Status == cloud.CheckFailed {
			fmt.Fprintf(w, "\n%s: %s\n", ch.Name, ch.Remedy)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type connectionOnboardingCmd struct {
	connectionIDArg
	Template string `name:"template" default:"summary" enum:"summary,cloudformation,terraform,json" help:"What to print: summary, cloudformation, terraform or json."`
}

func (c connectionOnboardingCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	o, err := core.Inventory.Onboarding(rc, cliActor, tenant, c.ID)
	if err != nil {
		return err
	}
	switch c.Template {
	case "cloudformation":
		fmt.Fprint(rc.env.Stdout, o.CloudFormationTemplate)
	case "terraform":
		fmt.Fprint(rc.env.Stdout, o.TerraformModule)
	case "json":
		return writeJSON(rc.env.Stdout, o)
	default:
		fmt.Fprintf(rc.env.Stdout, "ExternalId: %s\n%s\n", o.ExternalID, o.Instructions)
		if o.QuickCreateURL != "" {
			fmt.Fprintf(rc.env.Stdout, "Quick-create link: %s\n", o.QuickCreateURL)
		}
	}
	return nil
}

type inventoryCmd struct {
	tenantFlag
	Connection string   `name:"connection" required:"" help:"Connection id."`
	Region     []string `name:"region" help:"Only these regions (repeatable)."`
	Service    []string `name:"service" help:"Only these services, e.g. ec2, rds (repeatable)."`
	output
}

func (c inventoryCmd) Run(rc *runCtx) error {
	tenant, err := c.tenant()
	if err != nil {
		return err
	}
	core, err := rc.core()
	if err != nil {
		return err
	}
	defer core.Close() //nolint:errcheck
	start := time.Now()
	fmt.Fprintln(rc.env.Stderr, "discovering…")
	scan, err := core.Inventory.Discover(rc, cliActor, tenant, c.Connection, cloud.DiscoverOpts{Regions: c.Region, Services: c.Service})
	if err != nil && scan.ID == "" {
		return err
	}
	counts, cerr := core.Inventory.CountResources(rc, cliActor, tenant, c.Connection)
	if cerr != nil {
		return cerr
	}
	if c.json() {
		if jerr := writeJSON(rc.env.Stdout, map[string]any{"scan": scan, "counts": counts}); jerr != nil {
			return jerr
		}
		return err
	}
	rows := make([][]string, len(counts))
	var total int64
	for i, n := range counts {
		rows[i] = []string{n.Type, n.Region, groupDigits(n.Count)}
		total += n.Count
	}
	_ = writeTable(rc.env.Stdout, []string{"TYPE", "REGION", "COUNT"}, rows)
	fmt.Fprintf(rc.env.Stdout, "\nscan %s: %s, %s resources found, %s in the inventory, %s\n", scan.ID, scan.Status,
		groupDigits(scan.Resources), groupDigits(total), time.Since(start).Round(time.Millisecond))
	for _, it := range scan.Report.Failed() {
		fmt.Fprintf(rc.env.Stdout, "  %s %s: %s — %s", it.Region, it.Service, it.Status, it.Message)
		if it.MissingPermission != "" {
			fmt.Fprintf(rc.env.Stdout, " (missing %s)", it.MissingPermission)
		}
		fmt.Fprintln(rc.env.Stdout)
	}
	return err
}
