package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Check names.
const (
	CheckSignIn         = "sign_in"
	CheckSubscriptions  = "subscriptions"
	CheckResourceSearch = "resource_search"
	CheckMetrics        = "read_metrics"
	CheckExport         = "read_export"
)

// Test implements cloud.Tester: it signs in, reads each subscription,
// queries Resource Graph, reads a metric and lists the export container,
// reporting each permission on its own.
func (p *Provider) Test(ctx context.Context, conn cloud.Connection) (cloud.TestReport, error) {
	a, err := p.connection(conn)
	if err != nil {
		return cloud.TestReport{}, err
	}
	var rep cloud.TestReport
	add := func(name string, err error, permission, remedy string) {
		rep.Checks = append(rep.Checks, cloud.CheckOf(name, err, permission, remedy))
	}
	cred, err := p.signIn(ctx, conn)
	if err != nil {
		remedy := fmt.Sprintf("Check the directory (tenant) id %s and application (client) id %s of the app registration and its client secret "+
			"(Entra ID → App registrations → Certificates & secrets; secrets expire). With workload identity federation, add a federated credential "+
			"whose issuer and subject match the workload's token.", a.TenantID, a.ClientID)
		add(CheckSignIn, err, "", remedy)
		for _, n := range []string{CheckSubscriptions, CheckResourceSearch, CheckMetrics, CheckExport} {
			rep.Checks = append(rep.Checks, cloud.Check{Name: n, Status: cloud.CheckSkipped, Message: "not tried: the app could not sign in"})
		}
		rep.Finish()
		return rep, nil
	}
	add(CheckSignIn, nil, "", "")

	client, err := arm.NewClient("valdrix-tester", "v1", cred, p.armOptions(conn.ID, "arm"))
	if err != nil {
		return cloud.TestReport{}, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Resource Manager client")
	}
	var denied []string
	var subErr error
	for _, s := range a.Subscriptions {
		if err := p.get(ctx, client, "/subscriptions/"+s, url2("api-version", "2022-12-01")); err != nil {
			subErr = translate(err, actionSubscriptionRead, "read subscription "+s)
			denied = append(denied, s)
		}
	}
	if len(denied) > 0 && valdrix.ErrorCode(subErr) == valdrix.EFORBIDDEN {
		subErr = missingReader(denied)
	}
	add(CheckSubscriptions, subErr, actionSubscriptionRead, fmt.Sprintf(
		"Assign the Reader role to the app on each subscription: az role assignment create --assignee %s --role Reader --scope /subscriptions/<id> "+
			"(or on a management group above them).", a.ClientID))

	g, err := p.graph(conn, cred, a.Subscriptions)
	if err == nil {
		_, err = g.summarize(ctx)
	}
	add(CheckResourceSearch, err, actionGraphRead,
		"Resource Graph needs only read access to the subscriptions (Reader); if this fails with throttling, try again later.")

	now := p.cfg.Clock.Now().UTC().Truncate(time.Hour)
	region := "eastus"
	err = p.get(ctx, client, "/subscriptions/"+a.Subscriptions[0]+"/providers/Microsoft.Insights/metrics", url2(
		"api-version", metricsAPIVersion, "metricnamespace", "microsoft.compute/virtualmachines", "metricnames", "Percentage CPU",
		"region", region, "timespan", now.Add(-time.Hour).Format(time.RFC3339)+"/"+now.Format(time.RFC3339), "interval", "PT1H", "aggregation", "average"))
	add(CheckMetrics, translate(err, actionMetricsRead, "read Azure Monitor metrics"), actionMetricsRead,
		"Reader includes "+actionMetricsRead+"; with a custom role, add it (or assign Monitoring Reader). Without it idle-resource rules report unknown.")

	if a.StorageAccount == "" {
		rep.Checks = append(rep.Checks, cloud.Check{Name: CheckExport, Status: cloud.CheckSkipped, Message: "no Cost Management export storage account is configured"})
	} else {
		bc, err := azblob.NewClient(p.blobURL(a.StorageAccount), cred, &azblob.ClientOptions{ClientOptions: p.clientOptions(conn.ID, "blob")})
		if err == nil {
			pager := bc.NewListBlobsFlatPager(a.Container, &azblob.ListBlobsFlatOptions{Prefix: to.Ptr(exportPrefix(a)), MaxResults: to.Ptr(int32(1))})
			_, err = pager.NextPage(ctx)
			err = translate(err, actionBlobRead, "list the export container "+a.StorageAccount+"/"+a.Container)
		}
		add(CheckExport, err, actionBlobRead, fmt.Sprintf(
			"Assign Storage Blob Data Reader to the app on the storage account %s (or its container %s): az role assignment create --assignee %s "+
				"--role \"Storage Blob Data Reader\" --scope <storage account id>/blobServices/default/containers/%s. Reader alone does not grant data access.",
			a.StorageAccount, a.Container, a.ClientID, a.Container))
	}
	rep.Finish()
	return rep, nil
}

// get makes an ARM GET and checks the status.
func (p *Provider) get(ctx context.Context, client *arm.Client, path string, qs map[string]string) error {
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(client.Endpoint(), path))
	if err != nil {
		return err
	}
	v := req.Raw().URL.Query()
	for k, val := range qs {
		v.Set(k, val)
	}
	req.Raw().URL.RawQuery = strings.ReplaceAll(v.Encode(), "+", "%20")
	resp, err := client.Pipeline().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return runtime.NewResponseError(resp)
	}
	return nil
}

func url2(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}
