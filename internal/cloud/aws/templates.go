package aws

import (
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// The onboarding templates, kept in the repository and embedded so that the
// API can return them.
//
//go:embed deploy/valdrix-role.cfn.yaml deploy/terraform/main.tf
var templates embed.FS

// Template file names.
const (
	CloudFormationTemplate = "deploy/valdrix-role.cfn.yaml"
	TerraformModule        = "deploy/terraform/main.tf"
)

// TemplateParams fill the onboarding templates.
type TemplateParams struct {
	ExternalID        string // the connection's generated external id
	PlatformPrincipal string // ARN of the platform principal that assumes the role
}

var (
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]{2,200}$`)
	principalRE  = regexp.MustCompile(`^arn:(aws|aws-us-gov|aws-cn):(iam|sts)::[0-9]{12}:[\w+=,.@/-]+$`)
)

func (p TemplateParams) validate() error {
	if !externalIDRE.MatchString(p.ExternalID) {
		return valdrix.FieldError("external_id", "must be 2 to 200 characters of letters, digits and +=,.@:/-")
	}
	if !principalRE.MatchString(p.PlatformPrincipal) {
		return valdrix.FieldError("platform_principal", "must be an IAM or STS ARN")
	}
	return nil
}

// RenderTemplate returns template name (CloudFormationTemplate or
// TerraformModule) with the external id and platform principal filled in
// as defaults.
func RenderTemplate(name string, p TemplateParams) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	raw, err := fs.ReadFile(templates, name)
	if err != nil {
		return nil, valdrix.Errorf(valdrix.ENOTFOUND, "no template %q", name)
	}
	r := strings.NewReplacer("{{EXTERNAL_ID}}", p.ExternalID, "{{PLATFORM_PRINCIPAL}}", p.PlatformPrincipal)
	return []byte(r.Replace(string(raw))), nil
}

// Templates lists the embedded template names.
func Templates() []string {
	var out []string
	_ = fs.WalkDir(templates, "deploy", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// QuickCreateLink returns the CloudFormation console link that creates the
// stack from templateURL (where the API serves the rendered template) with
// the external id and principal as parameters.
func QuickCreateLink(templateURL, stackName, region string, p TemplateParams) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	u, err := url.Parse(templateURL)
	if err != nil || u.Scheme != "https" {
		return "", valdrix.FieldError("template_url", "must be an https URL")
	}
	q := url.Values{}
	q.Set("templateURL", templateURL)
	q.Set("stackName", stackName)
	q.Set("param_ExternalId", p.ExternalID)
	q.Set("param_ValdrixPrincipal", p.PlatformPrincipal)
	base := "https://console.aws.amazon.com/cloudformation/home"
	if region != "" {
		base += "?region=" + url.QueryEscape(region)
	}
	return fmt.Sprintf("%s#/stacks/quickcreate?%s", base, q.Encode()), nil
}
