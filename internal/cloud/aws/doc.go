// Package aws is the AWS adapter of the cloud seam: inventory through
// Resource Explorer 2 and per-service describe calls, CloudWatch metrics,
// the connection tester, and the CUR 2.0 export reader, all with credentials
// from STS AssumeRole into the customer's role. It also holds the onboarding
// templates (CloudFormation and Terraform) that create that role.
//
// It is one of the only packages that import aws-sdk-go-v2. It imports cloud
// and valdrix; never the store, api, app or another module.
package aws
