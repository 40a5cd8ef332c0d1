package cli

import (
	"fmt"
	"os"

	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/valdrix"
)

type simCmd struct {
	Serve simServeCmd `cmd:"" help:"Serve a simulated AWS, Azure and GCP estate on loopback until interrupted."`
}

type simServeCmd struct {
	Seed      int64 `name:"seed" default:"1" help:"Seed of the generated estate (the same seed gives the same estate)."`
	Resources int   `name:"resources" default:"500" help:"Number of resources."`
	output
}

func (c simServeCmd) Run(rc *runCtx) error {
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{Seed: c.Seed, Resources: c.Resources}, TrustAll: true})
	if err != nil {
		return err
	}
	if err := sim.Start(rc); err != nil {
		return err
	}
	defer sim.Close() //nolint:errcheck
	ep := sim.Endpoints()
	key, secret := sim.PlatformCredentials()
	e := sim.Estate()
	// Azure is served over TLS with a self-signed certificate: write it
	// where the server can be told to trust it. GCP keys are keys the
	// simulator issues.
	ca, err := os.CreateTemp("", "valdrix-sim-azure-ca-*.pem")
	if err != nil {
		return err
	}
	defer os.Remove(ca.Name()) //nolint:errcheck // best effort
	if _, err := ca.Write(sim.AzureCAPEM()); err != nil {
		return err
	}
	if err := ca.Close(); err != nil {
		return err
	}
	info := map[string]any{
		"endpoints":           ep,
		"aws_access_key_id":   key,
		"aws_secret_key":      secret,
		"aws_payer_account":   e.AWSPayerAccount,
		"azure_tenant_id":     sim.AzureTenantID(),
		"azure_subscriptions": accountIDs(e, valdrix.Azure),
		"gcp_projects":        accountIDs(e, valdrix.GCP),
		"azure_ca_file":       ca.Name(),
		"resources":           c.Resources,
		"seed":                c.Seed,
		"seeded_waste_items":  len(e.GroundTruth()),
	}
	if len(e.AccountsOf(valdrix.Azure)) > 0 {
		x := cloudsim.AzureCostExport{StorageAccount: "valdrixcostexports", Container: "cost-exports", Prefix: "exports"}
		if err := sim.AddAzureCostExport(x); err != nil {
			return err
		}
		info["azure_export"] = map[string]string{"storage_account": x.StorageAccount, "container": x.Container, "prefix": x.Prefix}
	}
	if len(e.AccountsOf(valdrix.GCP)) > 0 {
		gkey, err := sim.GCPServiceAccountKey(cloudsim.GCPServiceAccount{})
		if err != nil {
			return err
		}
		info["gcp_service_account_key"], info["gcp_billing_table"] = string(gkey), sim.GCPBillingTable()
	}
	if c.json() {
		if err := writeJSON(rc.env.Stdout, info); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(rc.env.Stdout, "cloud simulator: seed %d, %d resources, %d seeded waste items\n", c.Seed, c.Resources, len(e.GroundTruth()))
		fmt.Fprintf(rc.env.Stdout, "AWS   %s\nAzure %s\nGCP   %s\n", ep.AWS, ep.Azure, ep.GCP)
		fmt.Fprintf(rc.env.Stdout, "platform AWS credentials: VALDRIX_AWS_ACCESS_KEY_ID=%s VALDRIX_AWS_SECRET_ACCESS_KEY=%s VALDRIX_DEBUG_AWS_ENDPOINT=%s\n", key, secret, ep.AWS)
		fmt.Fprintf(rc.env.Stdout, "Azure and GCP: VALDRIX_DEBUG_AZURE_ENDPOINT=%s VALDRIX_DEBUG_AZURE_CA=%s VALDRIX_DEBUG_GCP_ENDPOINT=%s\n", ep.Azure, ca.Name(), ep.GCP)
		fmt.Fprintf(rc.env.Stdout, "Azure connections: tenant %s, any app id and secret; export in storage account valdrixcostexports, container cost-exports, prefix exports (-o json prints a GCP service account key)\n", sim.AzureTenantID())
		fmt.Fprintln(rc.env.Stdout, "press Ctrl-C to stop")
	}
	if rc.env.Ready != nil {
		rc.env.Ready(ep.AWS)
	}
	<-rc.Done()
	return nil
}

// accountIDs lists the estate's accounts (subscriptions, projects) of p.
func accountIDs(e *cloudsim.Estate, p valdrix.Provider) []string {
	var out []string
	for _, i := range e.AccountsOf(p) {
		out = append(out, e.Accounts[i].ID)
	}
	return out
}
