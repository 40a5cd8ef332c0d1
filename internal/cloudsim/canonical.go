package cloudsim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// splitmix returns a well-mixed hash of x, for values derived on demand
// (tags, deleted volume ids) so that they need no memory.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (e *Estate) hash(i int, salt uint64) uint64 {
	return splitmix(uint64(e.Config.Seed)*0x100000001b3 ^ uint64(i)<<8 ^ salt)
}

// Tags returns resource i's tags (Azure tags, GCP labels). They are derived
// from the seed and the index, so they cost no memory.
func (e *Estate) Tags(i int) map[string]string {
	x := &e.Resources[i]
	h := e.hash(i, 1)
	p := x.Kind.Provider()
	tags := map[string]string{}
	if p == valdrix.AWS && strings.HasPrefix(x.Kind.Type(), "aws.ec2.") {
		tags["Name"] = x.Name
	}
	if h%10 == 0 { // untagged
		return tags
	}
	env := envOf(e.AccountOf(i).Name)
	team := teams[(h>>8)%uint64(len(teams))]
	switch p {
	case valdrix.AWS:
		tags["env"], tags["team"] = env, team
		if (h>>16)%10 < 6 {
			tags["owner"] = owners[(h>>20)%uint64(len(owners))] + "@" + e.Config.Company + ".example"
		}
		if (h>>24)%2 == 0 {
			tags["cost-center"] = costCtrs[(h>>28)%uint64(len(costCtrs))]
		}
	case valdrix.Azure:
		tags["environment"], tags["team"] = env, team
		if (h>>24)%2 == 0 {
			tags["costCenter"] = costCtrs[(h>>28)%uint64(len(costCtrs))]
		}
	default:
		tags["env"], tags["team"] = env, team
	}
	return tags
}

// CanonicalID returns resource i's id as the inventory reports it
// (cloud.Resource.ID).
func (e *Estate) CanonicalID(i int) string {
	x := &e.Resources[i]
	switch x.Kind {
	case AWSClassicLoadBalancer:
		return e.classicLBARN(i)
	}
	switch x.Kind.Provider() {
	case valdrix.Azure:
		return strings.ToLower(x.ID)
	}
	return x.ID
}

func (e *Estate) classicLBARN(i int) string {
	c := e.CellOfResource(i)
	return "arn:aws:elasticloadbalancing:" + c.Region + ":" + e.Accounts[c.Account].ID + ":loadbalancer/" + e.Resources[i].Name
}

// ARN returns the ARN of AWS resource i.
func (e *Estate) ARN(i int) string {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	acct := e.Accounts[c.Account].ID
	switch x.Kind {
	case AWSInstance:
		return "arn:aws:ec2:" + c.Region + ":" + acct + ":instance/" + x.ID
	case AWSVolume:
		return "arn:aws:ec2:" + c.Region + ":" + acct + ":volume/" + x.ID
	case AWSSnapshot:
		return "arn:aws:ec2:" + c.Region + "::snapshot/" + x.ID
	case AWSAddress:
		return "arn:aws:ec2:" + c.Region + ":" + acct + ":elastic-ip/" + x.ID
	case AWSNatGateway:
		return "arn:aws:ec2:" + c.Region + ":" + acct + ":natgateway/" + x.ID
	case AWSImage:
		return "arn:aws:ec2:" + c.Region + "::image/" + x.ID
	case AWSClassicLoadBalancer:
		return e.classicLBARN(i)
	case AWSBucket:
		return "arn:aws:s3:::" + x.Name
	}
	return x.ID
}

// BillingID returns resource i's id in billing exports (CUR
// line_item_resource_id, Azure ResourceId lower-cased, GCP
// resource.global_name).
func (e *Estate) BillingID(i int) string {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	switch x.Kind {
	case AWSSnapshot:
		return "arn:aws:ec2:" + c.Region + ":" + e.Accounts[c.Account].ID + ":snapshot/" + x.ID
	case AWSNatGateway, AWSClassicLoadBalancer:
		return e.ARN(i)
	case GCPSQLInstance:
		return "//cloudsqladmin.googleapis.com/" + x.ID
	}
	switch x.Kind.Provider() {
	case valdrix.Azure:
		return strings.ToLower(x.ID)
	case valdrix.GCP:
		return gcpGlobalName(x.ID)
	}
	return x.ID
}

// DeletedVolumeID returns the id of the deleted volume an orphaned snapshot
// was taken from.
func (e *Estate) DeletedVolumeID(i int) string {
	return fmt.Sprintf("vol-0%016x", e.hash(i, 2))
}

// DNSName returns a load balancer's DNS name.
func (e *Estate) DNSName(i int) string {
	x := &e.Resources[i]
	return fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", x.Name, e.hash(i, 3)%1_000_000_000, e.CellOfResource(i).Region)
}

// Zone returns resource i's availability zone name.
func (e *Estate) Zone(i int) string { return zoneName(e.CellOfResource(i).Region, e.Resources[i].Zone) }

// ImageIDOf returns the AMI an instance was launched from.
func (e *Estate) ImageIDOf(i int) string {
	if x := &e.Resources[i]; x.Ref2 >= 0 {
		return e.Resources[x.Ref2].ID
	}
	return publicAMIs[int(e.hash(i, 4)%uint64(len(publicAMIs)))]
}

// SnapshotVolumeID returns the volume a snapshot was taken from (a deleted
// one's id for orphans).
func (e *Estate) SnapshotVolumeID(i int) string {
	if x := &e.Resources[i]; x.Ref >= 0 {
		return e.Resources[x.Ref].ID
	}
	return e.DeletedVolumeID(i)
}

// DBInstanceIDOf returns the DB instance identifier of an RDS snapshot.
func (e *Estate) DBInstanceIDOf(i int) string {
	if x := &e.Resources[i]; x.Ref >= 0 {
		return e.Resources[x.Ref].Name
	}
	return e.deletedDBName(i)
}

// RepositoryURI returns an ECR repository's URI.
func (e *Estate) RepositoryURI(i int) string {
	c := e.CellOfResource(i)
	return e.Accounts[c.Account].ID + ".dkr.ecr." + c.Region + ".amazonaws.com/" + e.Resources[i].Name
}

func rfc3339(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

func itoa[T ~int32 | ~int | ~int64](v T) string { return strconv.FormatInt(int64(v), 10) }

// Canonical returns resource i as the inventory must report it: the
// expected output of an adapter for this resource. docs/resources.md lists
// the attributes per type.
func (e *Estate) Canonical(i int) cloud.Resource {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	r := cloud.Resource{
		Provider: x.Kind.Provider(), AccountID: e.Accounts[c.Account].ID, Region: c.Region, Type: x.Kind.Type(),
		ID: e.CanonicalID(i), BillingID: e.BillingID(i), Name: x.Name, State: strings.ToLower(x.State),
		CreatedAt: time.Unix(x.Created, 0).UTC(), Tags: e.Tags(i), Attrs: map[string]string{},
	}
	switch x.Kind {
	case AWSAddress, AWSTargetGroup, AWSFunction: // their APIs give no creation time
		r.CreatedAt = time.Time{}
	}
	a := r.Attrs
	ref := func() *Resource { return &e.Resources[x.Ref] }
	zone := zoneName(c.Region, x.Zone)
	switch x.Kind {
	case AWSInstance:
		a["instance_type"], a["availability_zone"], a["vcpus"] = x.SKU, zone, itoa(vcpus(x.SKU))
		a["platform"] = "linux"
		a["image_id"] = e.ImageIDOf(i)
		a["launch_time"] = rfc3339(x.Created)
		if x.State == "stopped" {
			a["stopped_at"] = rfc3339(x.Changed)
		}
	case AWSVolume:
		a["volume_type"], a["size_gib"], a["availability_zone"] = x.SKU, itoa(x.Size), zone
		a["encrypted"] = strconv.FormatBool(x.Flags&FlagEncrypted != 0)
		if x.Size2 > 0 {
			a["iops"] = itoa(x.Size2)
		}
		if x.Ref >= 0 {
			a["attached_instance_ids"] = ref().ID
		}
	case AWSSnapshot:
		a["size_gib"], a["description"], a["storage_tier"] = itoa(x.Size), x.Extra, "standard"
		a["volume_id"] = e.SnapshotVolumeID(i)
	case AWSAddress:
		a["public_ip"], a["allocation_id"], a["domain"] = x.Extra, x.ID, "vpc"
		if x.Ref >= 0 {
			a["instance_id"] = ref().ID
			a["association_id"] = "eipassoc-" + x.ID[len("eipalloc-"):]
		}
	case AWSNatGateway:
		a["public_ip"], a["connectivity_type"] = x.Extra, "public"
	case AWSImage:
		a["architecture"], a["root_device_type"], a["public"] = x.Extra, "ebs", "false"
		if x.Ref >= 0 {
			a["snapshot_ids"] = ref().ID
		}
	case AWSClassicLoadBalancer:
		a["dns_name"], a["scheme"] = e.DNSName(i), "internet-facing"
		ids := e.linkedIDs(i)
		a["instance_count"], a["healthy_count"] = itoa(len(ids)), itoa(e.healthy(i))
		if len(ids) > 0 {
			a["instance_ids"] = strings.Join(ids, ",")
		}
	case AWSLoadBalancer:
		a["lb_type"], a["dns_name"], a["scheme"] = x.SKU, e.DNSName(i), "internet-facing"
	case AWSTargetGroup:
		a["protocol"], a["port"], a["target_type"] = "HTTP", itoa(x.Size2), "instance"
		if x.Ref >= 0 {
			a["load_balancer_arns"] = ref().ID
		}
		ids := e.linkedIDs(i)
		a["target_count"], a["healthy_count"] = itoa(len(ids)), itoa(e.healthy(i))
		if len(ids) > 0 {
			a["target_ids"] = strings.Join(ids, ",")
		}
	case AWSDBInstance:
		engine, version, _ := strings.Cut(x.Extra, "|")
		a["instance_class"], a["engine"], a["engine_version"] = x.SKU, engine, version
		a["allocated_storage_gib"], a["storage_type"], a["multi_az"], a["availability_zone"] = itoa(x.Size), "gp3", "false", zone
		if IsExtendedSupport(engine, version) {
			a["engine_lifecycle_support"] = "open-source-rds-extended-support"
		}
	case AWSDBSnapshot:
		a["snapshot_type"], a["allocated_storage_gib"] = x.Extra, itoa(x.Size)
		a["db_instance_id"] = e.DBInstanceIDOf(i)
	case AWSBucket:
	case AWSRepository:
		a["repository_uri"] = e.RepositoryURI(i)
		a["lifecycle_policy"] = strconv.FormatBool(x.Flags&FlagLifecycle != 0)
	case AWSRedshiftCluster:
		a["node_type"], a["node_count"] = x.SKU, itoa(x.Size2)
	case AWSSageMakerEndpoint:
	case AWSFunction:
		a["runtime"], a["memory_mb"], a["code_size_bytes"] = x.Extra, itoa(x.Size2), itoa(int64(x.Size)*1024)
		a["last_modified"] = rfc3339(x.Created)
	case AWSTable:
		a["billing_mode"], a["size_bytes"], a["item_count"] = x.SKU, itoa(int64(x.Size)*1024*1024), itoa(int64(x.Size)*1000)
		if x.SKU == "PROVISIONED" {
			a["read_capacity"], a["write_capacity"] = itoa(x.Size2), itoa(x.Size2)
		}
	case AWSLogGroup:
		a["stored_bytes"] = itoa(int64(x.Size) * 1024 * 1024)
		if x.Flags&FlagRetention != 0 {
			a["retention_days"] = itoa(x.Size2)
		}
	}
	e.canonicalAzureGCP(i, &r)
	if len(r.Attrs) == 0 {
		r.Attrs = nil
	}
	return r
}

func (e *Estate) canonicalAzureGCP(i int, r *cloud.Resource) {
	x := &e.Resources[i]
	a := r.Attrs
	c := e.CellOfResource(i)
	refID := func(j int32) string { return strings.ToLower(e.Resources[j].ID) }
	if x.Kind.Provider() == valdrix.Azure {
		if x.Kind != AzureResourceGroup && x.Ref2 >= 0 {
			a["resource_group"] = strings.ToLower(e.Resources[x.Ref2].Name)
		}
		if x.Kind == AzureVirtualMachine || x.Kind == AzureDisk {
			a["zone"] = itoa(int(x.Zone) + 1)
		}
	}
	switch x.Kind {
	case AzureVirtualMachine:
		a["vm_size"], a["power_state"], a["vcpus"] = x.SKU, x.State, itoa(vcpus(x.SKU))
		if x.Changed != 0 {
			a["power_state_changed_at"] = rfc3339(x.Changed)
		}
	case AzureDisk:
		a["sku"], a["size_gib"], a["disk_state"] = x.SKU, itoa(x.Size), strings.ToLower(x.State)
		if x.Ref >= 0 {
			a["managed_by"] = refID(x.Ref)
		}
		if x.Flags&FlagOSDisk != 0 {
			a["os_disk"] = "true"
		}
		if x.Changed != 0 {
			a["last_ownership_update"] = rfc3339(x.Changed)
		}
	case AzureSnapshot:
		a["sku"], a["size_gib"] = x.SKU, itoa(x.Size)
		if x.Ref >= 0 {
			a["source_disk_id"] = refID(x.Ref)
		}
	case AzureImage:
		a["size_gib"] = itoa(x.Size)
		if x.Ref >= 0 {
			a["source_vm_id"] = refID(x.Ref)
		}
	case AzurePublicIP:
		a["sku"], a["ip_address"], a["allocation_method"] = x.SKU, x.Extra, "static"
		if x.Ref >= 0 {
			a["attached_to"] = refID(x.Ref)
		}
	case AzureNetworkInterface:
		a["private_ip"] = x.Extra
		if x.Ref >= 0 {
			a["vm_id"] = refID(x.Ref)
		}
	case AzureLoadBalancer:
		a["sku"], a["backend_count"] = x.SKU, itoa(x.Size2)
	case AzureAppServicePlan:
		a["sku"], a["site_count"] = x.SKU, itoa(x.Size2)
	case AzureSQLDatabase:
		a["sku"], a["server"], a["max_size_gib"] = x.SKU, x.Extra, itoa(x.Size)
	case GCPInstance:
		a["machine_type"], a["zone"], a["vcpus"] = x.SKU, zoneName(c.Region, x.Zone), itoa(vcpus(x.SKU))
		if x.Ref2 >= 0 {
			a["source_image"] = e.Resources[x.Ref2].ID
		}
		if x.Changed != 0 {
			a["last_stop_timestamp"] = rfc3339(x.Changed)
		}
	case GCPDisk:
		a["disk_type"], a["size_gb"], a["zone"] = x.SKU, itoa(x.Size), zoneName(c.Region, x.Zone)
		if x.Ref >= 0 {
			a["users"] = e.Resources[x.Ref].ID
			a["last_attach_timestamp"] = rfc3339(max(x.Created, e.Resources[x.Ref].Created))
		} else if x.Changed != 0 {
			a["last_detach_timestamp"] = rfc3339(x.Changed)
		}
	case GCPSnapshot:
		a["disk_size_gb"] = itoa(x.Size)
		if x.Ref >= 0 {
			a["source_disk"] = e.Resources[x.Ref].ID
		}
	case GCPImage:
		a["disk_size_gb"] = itoa(x.Size)
	case GCPAddress:
		a["address"], a["address_type"] = x.Extra, "EXTERNAL"
		if x.Ref >= 0 {
			a["users"] = e.Resources[x.Ref].ID
		}
	case GCPSQLInstance:
		a["tier"], a["database_version"], a["disk_size_gb"] = x.SKU, x.Extra, itoa(x.Size)
	}
}

func (e *Estate) linkedIDs(i int) []string {
	var ids []string
	for _, t := range e.links[int32(i)] {
		ids = append(ids, e.Resources[t].ID)
	}
	return ids
}

// healthy counts the registered instances of i that are running and pass
// health checks (instances of idle hosts still pass).
func (e *Estate) healthy(i int) int {
	n := 0
	for _, t := range e.links[int32(i)] {
		if e.TargetHealthy(int(t)) {
			n++
		}
	}
	return n
}

// TargetHealthy reports whether instance t passes load balancer health
// checks: running, and not one of the deterministic 1-in-10 unhealthy ones.
func (e *Estate) TargetHealthy(t int) bool {
	return e.Resources[t].State == "running" && e.hash(t, 5)%10 != 0
}

func (e *Estate) deletedDBName(i int) string {
	return fmt.Sprintf("%s-deleted-%04d", apps[e.hash(i, 6)%uint64(len(apps))], e.hash(i, 7)%10000)
}

// CanonicalResources returns the expected inventory of account acct (an
// index into Accounts), restricted to the given regions when non-empty.
func (e *Estate) CanonicalResources(acct int, regions ...string) []cloud.Resource {
	var out []cloud.Resource
	for _, ci := range e.Accounts[acct].Cells {
		c := &e.Cells[ci]
		if len(regions) > 0 && !containsStr(regions, c.Region) {
			continue
		}
		for k := Kind(1); k < numKinds; k++ {
			lo, hi := c.Span(k)
			for i := lo; i < hi; i++ {
				out = append(out, e.Canonical(i))
			}
		}
	}
	return out
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
