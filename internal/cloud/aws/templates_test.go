package aws

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var testParams = TemplateParams{ExternalID: "vdx-7f3a9c", PlatformPrincipal: "arn:aws:iam::999900001111:role/valdrix-platform"}

func TestRenderTemplate(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{TerraformModule, CloudFormationTemplate}, Templates())
	for _, name := range Templates() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, err := RenderTemplate(name, testParams)
			require.NoError(t, err)
			s := string(out)
			require.Contains(t, s, testParams.ExternalID)
			require.Contains(t, s, testParams.PlatformPrincipal)
			require.NotContains(t, s, "{{")
			require.Contains(t, s, "sts:ExternalId")
			// Every action the adapter calls is granted.
			for _, action := range []string{"resource-explorer-2:ListResources", "ec2:DescribeVolumes", "elasticloadbalancing:DescribeTargetHealth",
				"rds:DescribeDBSnapshots", "s3:ListAllMyBuckets", "ecr:GetLifecyclePolicy", "dynamodb:DescribeTable", "logs:DescribeLogGroups",
				"cloudwatch:GetMetricData", "lambda:ListFunctions", "sagemaker:ListEndpoints", "redshift:DescribeClusters", "s3:GetObject"} {
				require.Contains(t, s, action)
			}
			i := strings.Index(s, "Remediation")
			require.Positive(t, i, "there is a separate remediation role")
			readOnly := s[:i]
			require.NotContains(t, readOnly, "Delete", "the read-only role deletes nothing")
		})
	}
	_, err := RenderTemplate(CloudFormationTemplate, TemplateParams{ExternalID: "x", PlatformPrincipal: testParams.PlatformPrincipal})
	require.Equal(t, "external_id", valdrix.ErrorField(err))
	_, err = RenderTemplate("nope.yaml", testParams)
	require.Equal(t, valdrix.ENOTFOUND, valdrix.ErrorCode(err))
}

func TestQuickCreateLink(t *testing.T) {
	t.Parallel()
	link, err := QuickCreateLink("https://valdrix.example/api/v1/aws/template.yaml?c=1&x=y", "valdrix", "us-east-1", testParams)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(link, "https://console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/quickcreate?"))
	q, err := url.ParseQuery(link[strings.Index(link, "quickcreate?")+len("quickcreate?"):])
	require.NoError(t, err)
	require.Equal(t, "https://valdrix.example/api/v1/aws/template.yaml?c=1&x=y", q.Get("templateURL"))
	require.Equal(t, "valdrix", q.Get("stackName"))
	require.Equal(t, testParams.ExternalID, q.Get("param_ExternalId"))
	_, err = QuickCreateLink("http://insecure", "s", "", testParams)
	require.Equal(t, "template_url", valdrix.ErrorField(err))
}
