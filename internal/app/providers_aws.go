package app

import (
	"net/http"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/aws"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// addAWS adds the AWS adapter when the platform's AWS credentials are set,
// and returns the onboarding renderer (available either way: a customer can
// prepare the role before the platform is configured).
func (c *Core) addAWS(set cloud.Set) (inventory.OnboardingFunc, error) {
	cfg := c.Config
	onboarding := func(conn inventory.Connection, externalID string) (inventory.Onboarding, error) {
		p := aws.TemplateParams{ExternalID: externalID, PlatformPrincipal: cfg.AWSPlatformARN}
		if p.PlatformPrincipal == "" {
			p.PlatformPrincipal = "arn:aws:iam::000000000000:root" // placeholder until the platform principal is configured
		}
		o := inventory.Onboarding{ExternalID: externalID, PlatformPrincipal: cfg.AWSPlatformARN,
			Instructions: "Deploy the CloudFormation template (or the Terraform module) in account " + conn.AccountRef +
				" with this ExternalId, then run the connection test. The role is read-only; remediation uses a separate, optional write role."}
		cfn, err := aws.RenderTemplate("deploy/valdrix-role.cfn.yaml", p)
		if err != nil {
			return o, err
		}
		tf, err := aws.RenderTemplate("deploy/terraform/main.tf", p)
		if err != nil {
			return o, err
		}
		o.CloudFormationTemplate, o.TerraformModule = string(cfn), string(tf)
		if link, err := aws.QuickCreateLink(cfg.AWSTemplateURL, "valdrix-"+conn.AccountRef, "us-east-1", p); err == nil {
			o.QuickCreateURL = link
		}
		return o, nil
	}
	if cfg.AWSAccessKeyID == "" {
		return onboarding, nil
	}
	p, err := aws.New(aws.Config{
		AccessKeyID: cfg.AWSAccessKeyID, SecretAccessKey: cfg.AWSSecretAccessKey, Endpoint: cfg.DebugAWSEndpoint,
		HTTPClient: &http.Client{Timeout: 2 * time.Minute}, Logger: c.Log, Clock: c.Clock, ScanTimeout: cfg.ScanTimeout,
		Budget: c.Budget,
	})
	if err != nil {
		return nil, err
	}
	set[valdrix.AWS] = cloud.Adapter{Inventory: p, Tester: p, Costs: p, Metrics: p}
	return onboarding, nil
}
