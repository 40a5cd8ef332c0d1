package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/resourcegraph/armresourcegraph"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// resourceType maps an ARM resource type to its canonical type and the
// inventory service that covers it.
type resourceType struct{ arm, canonical, service string }

// resourceTypes are the types the inventory covers (ARM types lower-case,
// as Resource Graph returns them).
var resourceTypes = []resourceType{
	{"microsoft.resources/subscriptions/resourcegroups", "azure.resources.resource_group", "resources"},
	{"microsoft.compute/virtualmachines", "azure.compute.virtual_machine", "compute"},
	{"microsoft.compute/disks", "azure.compute.disk", "compute"},
	{"microsoft.compute/snapshots", "azure.compute.snapshot", "compute"},
	{"microsoft.compute/images", "azure.compute.image", "compute"},
	{"microsoft.network/publicipaddresses", "azure.network.public_ip_address", "network"},
	{"microsoft.network/networkinterfaces", "azure.network.network_interface", "network"},
	{"microsoft.network/loadbalancers", "azure.network.load_balancer", "network"},
	{"microsoft.web/serverfarms", "azure.web.app_service_plan", "web"},
	{"microsoft.sql/servers/databases", "azure.sql.database", "sql"},
}

const resourceGroupType = "microsoft.resources/subscriptions/resourcegroups"

// services are the inventory services, in scan order.
var services = []string{"resources", "compute", "network", "web", "sql"}

// Services returns the services Discover scans.
func Services() []string { return slices.Clone(services) }

func typesOf(service string) []string {
	var out []string
	for _, t := range resourceTypes {
		if t.service == service {
			out = append(out, t.arm)
		}
	}
	return out
}

func canonicalType(arm string) (resourceType, bool) {
	i := slices.IndexFunc(resourceTypes, func(t resourceType) bool { return t.arm == strings.ToLower(arm) })
	if i < 0 {
		return resourceType{}, false
	}
	return resourceTypes[i], true
}

// kqlList renders values as a KQL list: ('a', 'b').
func kqlList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + v + "'"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// regionRE is what an Azure region name looks like; anything else is not
// put into a query.
var regionRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,40}$`)

// Resource Graph queries the adapter sends (the simulator answers exactly
// these shapes).
func subscriptionsQuery() string {
	return "ResourceContainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, name"
}

func summaryQueries() []string {
	var arm []string
	for _, t := range resourceTypes {
		if t.arm != resourceGroupType {
			arm = append(arm, t.arm)
		}
	}
	return []string{
		"Resources | where type in~ " + kqlList(arm) + " | summarize count() by type, location",
		"ResourceContainers | where type =~ '" + resourceGroupType + "' | summarize count() by type, location",
	}
}

func listQuery(service, region string) string {
	if service == "resources" {
		return "ResourceContainers | where type =~ '" + resourceGroupType + "' and location =~ '" + region +
			"' | project id, name, type, location, subscriptionId, resourceGroup, tags, properties, systemData"
	}
	return "Resources | where type in~ " + kqlList(typesOf(service)) + " and location =~ '" + region +
		"' | project id, name, type, location, subscriptionId, resourceGroup, tags, sku, kind, zones, managedBy, properties, systemData"
}

// graph runs Resource Graph queries for a connection.
type graph struct {
	client   *armresourcegraph.Client
	subs     []*string
	pageSize int32
}

func (p *Provider) graph(conn cloud.Connection, cred azcore.TokenCredential, subs []string) (*graph, error) {
	c, err := armresourcegraph.NewClient(cred, p.armOptions(conn.ID, "resourcegraph"))
	if err != nil {
		return nil, valdrix.Wrap(valdrix.EINTERNAL, err, "could not build the Resource Graph client")
	}
	g := &graph{client: c, pageSize: int32(p.cfg.PageSize)}
	for _, s := range subs {
		g.subs = append(g.subs, to.Ptr(strings.ToLower(s)))
	}
	return g, nil
}

// query runs q, following $skipToken pages, and hands each page's rows to
// fn.
func (g *graph) query(ctx context.Context, q string, fn func(rows []json.RawMessage) error) error {
	var skip *string
	for {
		resp, err := g.client.Resources(ctx, armresourcegraph.QueryRequest{
			Query: to.Ptr(q), Subscriptions: g.subs,
			Options: &armresourcegraph.QueryRequestOptions{
				Top: to.Ptr(g.pageSize), SkipToken: skip, ResultFormat: to.Ptr(armresourcegraph.ResultFormatObjectArray),
			},
		}, nil)
		if err != nil {
			return translate(err, actionGraphRead, "query Azure Resource Graph")
		}
		raw, err := json.Marshal(resp.Data)
		if err != nil {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Resource Graph returned a malformed page")
		}
		var rows []json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil {
			return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Resource Graph returned a malformed page (data is not an object array)")
		}
		if err := fn(rows); err != nil {
			return err
		}
		if resp.SkipToken == nil || *resp.SkipToken == "" {
			return nil
		}
		skip = resp.SkipToken
	}
}

// argRow is one Resource Graph row of the list queries.
type argRow struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Type           string            `json:"type"`
	Location       string            `json:"location"`
	SubscriptionID string            `json:"subscriptionId"`
	ResourceGroup  string            `json:"resourceGroup"`
	Kind           string            `json:"kind"`
	ManagedBy      string            `json:"managedBy"`
	Tags           map[string]string `json:"tags"`
	SKU            *struct {
		Name string `json:"name"`
		Tier string `json:"tier"`
	} `json:"sku"`
	Zones      []string        `json:"zones"`
	Properties json.RawMessage `json:"properties"`
	SystemData *struct {
		CreatedAt string `json:"createdAt"`
	} `json:"systemData"`
}

type idRef struct {
	ID string `json:"id"`
}

// armProps holds the properties the inventory reads, of every covered type.
type armProps struct {
	ProvisioningState string `json:"provisioningState"`
	TimeCreated       string `json:"timeCreated"`
	CreationDate      string `json:"creationDate"`
	HardwareProfile   struct {
		VMSize string `json:"vmSize"`
	} `json:"hardwareProfile"`
	Extended struct {
		InstanceView struct {
			PowerState struct {
				Code string `json:"code"`
				Time string `json:"time"`
			} `json:"powerState"`
		} `json:"instanceView"`
	} `json:"extended"`
	DiskSizeGB              *int64 `json:"diskSizeGB"`
	DiskState               string `json:"diskState"`
	OSType                  string `json:"osType"`
	LastOwnershipUpdateTime string `json:"LastOwnershipUpdateTime"`
	CreationData            struct {
		SourceResourceID string `json:"sourceResourceId"`
	} `json:"creationData"`
	StorageProfile struct {
		OSDisk struct {
			DiskSizeGB *int64 `json:"diskSizeGB"`
		} `json:"osDisk"`
	} `json:"storageProfile"`
	SourceVirtualMachine     idRef  `json:"sourceVirtualMachine"`
	IPAddress                string `json:"ipAddress"`
	PublicIPAllocationMethod string `json:"publicIPAllocationMethod"`
	IPConfiguration          idRef  `json:"ipConfiguration"`
	IPConfigurations         []struct {
		Properties struct {
			PrivateIPAddress string `json:"privateIPAddress"`
		} `json:"properties"`
	} `json:"ipConfigurations"`
	VirtualMachine      idRef `json:"virtualMachine"`
	BackendAddressPools []struct {
		Properties struct {
			BackendIPConfigurations      []json.RawMessage `json:"backendIPConfigurations"`
			LoadBalancerBackendAddresses []json.RawMessage `json:"loadBalancerBackendAddresses"`
		} `json:"properties"`
	} `json:"backendAddressPools"`
	NumberOfSites *int64 `json:"numberOfSites"`
	Status        string `json:"status"`
	MaxSizeBytes  *int64 `json:"maxSizeBytes"`
}

// toResource maps a Resource Graph row to a canonical resource; ok is
// false for types the inventory does not cover.
func toResource(raw json.RawMessage) (cloud.Resource, bool, error) {
	var row argRow
	if err := json.Unmarshal(raw, &row); err != nil {
		return cloud.Resource{}, false, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Resource Graph returned a malformed row")
	}
	t, ok := canonicalType(row.Type)
	if !ok {
		return cloud.Resource{}, false, nil
	}
	var pr armProps
	if len(row.Properties) > 0 && string(row.Properties) != "null" {
		if err := json.Unmarshal(row.Properties, &pr); err != nil {
			return cloud.Resource{}, false, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Resource Graph returned malformed properties for %s", row.ID)
		}
	}
	id := strings.ToLower(row.ID)
	r := cloud.Resource{
		Provider: valdrix.Azure, AccountID: strings.ToLower(row.SubscriptionID), Region: row.Location, Type: t.canonical,
		ID: id, BillingID: id, Name: row.Name, State: strings.ToLower(pr.ProvisioningState), Tags: row.Tags, Attrs: map[string]string{},
	}
	for _, ts := range []string{pr.TimeCreated, pr.CreationDate} {
		if c, ok := parseTime(ts); ok {
			r.CreatedAt = c
			break
		}
	}
	if r.CreatedAt.IsZero() && row.SystemData != nil {
		r.CreatedAt, _ = parseTime(row.SystemData.CreatedAt)
	}
	a := r.Attrs
	if t.arm != resourceGroupType {
		setIf(a, "resource_group", strings.ToLower(row.ResourceGroup))
	}
	if len(row.Zones) > 0 {
		a["zone"] = row.Zones[0]
	}
	sku := ""
	if row.SKU != nil {
		sku = row.SKU.Name
	}
	switch t.arm {
	case "microsoft.compute/virtualmachines":
		power := strings.ToLower(strings.TrimPrefix(pr.Extended.InstanceView.PowerState.Code, "PowerState/"))
		r.State = power
		setIf(a, "vm_size", pr.HardwareProfile.VMSize)
		setIf(a, "power_state", power)
		if n, ok := vmVCPUs(pr.HardwareProfile.VMSize); ok {
			a["vcpus"] = strconv.Itoa(n)
		}
		if power != "running" {
			setIf(a, "power_state_changed_at", rfc(pr.Extended.InstanceView.PowerState.Time))
		}
	case "microsoft.compute/disks":
		r.State = strings.ToLower(pr.DiskState)
		setIf(a, "sku", sku)
		setInt(a, "size_gib", pr.DiskSizeGB)
		setIf(a, "disk_state", strings.ToLower(pr.DiskState))
		setIf(a, "managed_by", strings.ToLower(row.ManagedBy))
		if pr.OSType != "" {
			a["os_disk"] = "true"
		}
		setIf(a, "last_ownership_update", rfc(pr.LastOwnershipUpdateTime))
	case "microsoft.compute/snapshots":
		setIf(a, "sku", sku)
		setInt(a, "size_gib", pr.DiskSizeGB)
		setIf(a, "source_disk_id", strings.ToLower(pr.CreationData.SourceResourceID))
	case "microsoft.compute/images":
		setInt(a, "size_gib", pr.StorageProfile.OSDisk.DiskSizeGB)
		setIf(a, "source_vm_id", strings.ToLower(pr.SourceVirtualMachine.ID))
	case "microsoft.network/publicipaddresses":
		setIf(a, "sku", sku)
		setIf(a, "ip_address", pr.IPAddress)
		setIf(a, "allocation_method", strings.ToLower(pr.PublicIPAllocationMethod))
		setIf(a, "attached_to", parentOfIPConfig(pr.IPConfiguration.ID))
	case "microsoft.network/networkinterfaces":
		if len(pr.IPConfigurations) > 0 {
			setIf(a, "private_ip", pr.IPConfigurations[0].Properties.PrivateIPAddress)
		}
		setIf(a, "vm_id", strings.ToLower(pr.VirtualMachine.ID))
	case "microsoft.network/loadbalancers":
		setIf(a, "sku", sku)
		n := 0
		for _, pool := range pr.BackendAddressPools {
			n += max(len(pool.Properties.BackendIPConfigurations), len(pool.Properties.LoadBalancerBackendAddresses))
		}
		a["backend_count"] = strconv.Itoa(n)
	case "microsoft.web/serverfarms":
		r.State = strings.ToLower(pr.Status)
		setIf(a, "sku", sku)
		setInt(a, "site_count", pr.NumberOfSites)
	case "microsoft.sql/servers/databases":
		r.State = strings.ToLower(pr.Status)
		setIf(a, "sku", sku)
		setIf(a, "server", serverOf(id))
		if pr.MaxSizeBytes != nil {
			a["max_size_gib"] = strconv.FormatInt(*pr.MaxSizeBytes>>30, 10)
		}
	}
	if len(r.Attrs) == 0 {
		r.Attrs = nil
	}
	return r, true, nil
}

// isSystemDatabase reports whether a row is a SQL server's master
// database, which is free and not the customer's.
func isSystemDatabase(r cloud.Resource) bool {
	return r.Type == "azure.sql.database" && strings.EqualFold(r.Name, "master")
}

func setIf(a map[string]string, k, v string) {
	if v != "" {
		a[k] = v
	}
}

func setInt(a map[string]string, k string, v *int64) {
	if v != nil {
		a[k] = strconv.FormatInt(*v, 10)
	}
}

func parseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

// rfc normalises a time to UTC RFC 3339 ("" when absent or malformed).
func rfc(s string) string {
	t, ok := parseTime(s)
	if !ok {
		return ""
	}
	return t.Format(time.RFC3339)
}

// parentOfIPConfig returns the NIC or load balancer an IP configuration id
// belongs to.
func parentOfIPConfig(id string) string {
	id = strings.ToLower(id)
	for _, seg := range []string{"/ipconfigurations/", "/frontendipconfigurations/"} {
		if i := strings.Index(id, seg); i > 0 {
			return id[:i]
		}
	}
	return id
}

// serverOf returns the SQL server of a database id (…/servers/<s>/databases/<d>).
func serverOf(id string) string {
	_, rest, ok := strings.Cut(id, "/servers/")
	if !ok {
		return ""
	}
	s, _, _ := strings.Cut(rest, "/")
	return s
}

// vmVCPUs reads the vCPU count from a VM size name: the number after the
// family letters ("Standard_D4s_v3" → 4), or the active count of a
// constrained size ("Standard_E4-2s_v3" → 2). Azure's size naming
// convention (learn.microsoft.com, "Azure virtual machine sizes naming
// conventions").
func vmVCPUs(size string) (int, bool) {
	s := strings.TrimPrefix(strings.TrimPrefix(size, "Standard_"), "Basic_")
	i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
	if i < 0 {
		return 0, false
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(s[i:j])
	if err != nil {
		return 0, false
	}
	if j < len(s) && s[j] == '-' {
		k := j + 1
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if c, err := strconv.Atoi(s[j+1 : k]); err == nil {
			return c, true
		}
	}
	return n, n > 0
}

// summary counts resources per region and service, from the summary
// queries.
type summary map[string]map[string]int // region → service → count

func (g *graph) summarize(ctx context.Context) (summary, error) {
	out := summary{}
	for _, q := range summaryQueries() {
		err := g.query(ctx, q, func(rows []json.RawMessage) error {
			for _, raw := range rows {
				var row struct {
					Type     string `json:"type"`
					Location string `json:"location"`
					Count    int    `json:"count_"`
				}
				if err := json.Unmarshal(raw, &row); err != nil {
					return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Resource Graph returned a malformed summary row")
				}
				t, ok := canonicalType(row.Type)
				if !ok || !regionRE.MatchString(row.Location) {
					continue
				}
				if out[row.Location] == nil {
					out[row.Location] = map[string]int{}
				}
				out[row.Location][t.service] += row.Count
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// visibleSubscriptions returns the subscriptions of subs the app can read
// (Resource Graph silently leaves out the others).
func (g *graph) visibleSubscriptions(ctx context.Context) (map[string]bool, error) {
	seen := map[string]bool{}
	err := g.query(ctx, subscriptionsQuery(), func(rows []json.RawMessage) error {
		for _, raw := range rows {
			var row struct {
				SubscriptionID string `json:"subscriptionId"`
			}
			if err := json.Unmarshal(raw, &row); err != nil {
				return valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Azure Resource Graph returned a malformed subscription row")
			}
			seen[strings.ToLower(row.SubscriptionID)] = true
		}
		return nil
	})
	return seen, err
}

func missingReader(subs []string) error {
	return valdrix.Wrap(valdrix.EFORBIDDEN, &cloud.PermissionError{Permission: actionSubscriptionRead, Err: fmt.Errorf("subscriptions not visible: %s", strings.Join(subs, ", "))},
		"the app cannot read subscription(s) %s: assign it the Reader role on them", strings.Join(subs, ", "))
}
