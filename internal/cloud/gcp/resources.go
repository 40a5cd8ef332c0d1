package gcp

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// kind is a resource kind the inventory covers.
type kind struct {
	asset     string // Cloud Asset Inventory type
	canonical string
	service   string // inventory service
}

var kinds = []kind{
	{"compute.googleapis.com/Instance", "gcp.compute.instance", "compute"},
	{"compute.googleapis.com/Disk", "gcp.compute.disk", "compute"},
	{"compute.googleapis.com/Snapshot", "gcp.compute.snapshot", "compute"},
	{"compute.googleapis.com/Image", "gcp.compute.image", "compute"},
	{"compute.googleapis.com/Address", "gcp.compute.address", "compute"},
	{"sqladmin.googleapis.com/Instance", "gcp.sql.instance", "sqladmin"},
}

// services are the inventory services, in scan order.
var services = []string{"compute", "sqladmin"}

// Services returns the services Discover scans.
func Services() []string { return slices.Clone(services) }

func kindOfAsset(assetType string) (kind, bool) {
	i := slices.IndexFunc(kinds, func(k kind) bool { return k.asset == assetType })
	if i < 0 {
		return kind{}, false
	}
	return kinds[i], true
}

// assetTypes returns the asset types of the given services.
func assetTypes(svcs []string) []string {
	var out []string
	for _, k := range kinds {
		if slices.Contains(svcs, k.service) {
			out = append(out, k.asset)
		}
	}
	return out
}

// flexInt is an integer that Google writes as a JSON string (int64 fields)
// or a number.
type flexInt struct {
	v  int64
	ok bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	f.v, f.ok = v, true
	return nil
}

func (f flexInt) set(a map[string]string, k string) {
	if f.ok {
		a[k] = strconv.FormatInt(f.v, 10)
	}
}

// gceJSON is a Compute Engine resource as the API (and Cloud Asset
// Inventory's resource.data) returns it: the fields the inventory reads
// of instances, disks, snapshots, images and addresses.
type gceJSON struct {
	Name              string            `json:"name"`
	SelfLink          string            `json:"selfLink"`
	CreationTimestamp string            `json:"creationTimestamp"`
	Labels            map[string]string `json:"labels"`
	Status            string            `json:"status"`
	Zone              string            `json:"zone"`
	Region            string            `json:"region"`
	MachineType       string            `json:"machineType"`
	Disks             []struct {
		Source string `json:"source"`
		Boot   bool   `json:"boot"`
	} `json:"disks"`
	LastStopTimestamp   string   `json:"lastStopTimestamp"`
	SizeGb              flexInt  `json:"sizeGb"`
	Type                string   `json:"type"`
	Users               []string `json:"users"`
	LastAttachTimestamp string   `json:"lastAttachTimestamp"`
	LastDetachTimestamp string   `json:"lastDetachTimestamp"`
	SourceImage         string   `json:"sourceImage"`
	DiskSizeGb          flexInt  `json:"diskSizeGb"`
	SourceDisk          string   `json:"sourceDisk"`
	StorageLocations    []string `json:"storageLocations"`
	Address             string   `json:"address"`
	AddressType         string   `json:"addressType"`
}

// sqlJSON is a Cloud SQL instance as the SQL Admin API returns it.
type sqlJSON struct {
	Name            string `json:"name"`
	Project         string `json:"project"`
	Region          string `json:"region"`
	DatabaseVersion string `json:"databaseVersion"`
	State           string `json:"state"`
	CreateTime      string `json:"createTime"`
	Settings        struct {
		Tier           string            `json:"tier"`
		DataDiskSizeGb flexInt           `json:"dataDiskSizeGb"`
		UserLabels     map[string]string `json:"userLabels"`
	} `json:"settings"`
}

// found is a converted resource with what the instance join needs.
type found struct {
	r           cloud.Resource
	bootDisk    string // instances: the boot disk's id
	sourceImage string // disks: the image they were made from
}

// trimLink turns a Compute Engine URL or asset name into the resource's
// path, "projects/p/zones/z/disks/d".
func trimLink(u string) string {
	if i := strings.Index(u, "projects/"); i >= 0 {
		return u[i:]
	}
	return u
}

func lastSegment(u string) string { return u[strings.LastIndexByte(u, '/')+1:] }

// regionOfZone returns the region of a zone ("us-central1-a" → "us-central1").
func regionOfZone(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return zone
}

func rfc(s string) string {
	t, ok := parseTime(s)
	if !ok {
		return ""
	}
	return t.Format(time.RFC3339)
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

func setIf(a map[string]string, k, v string) {
	if v != "" {
		a[k] = v
	}
}

// toResource converts a resource of kind k (its JSON) in project.
func toResource(k kind, raw []byte, project string) (found, error) {
	if k.canonical == "gcp.sql.instance" {
		return sqlResource(raw, project)
	}
	var d gceJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return found{}, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Google returned a malformed %s", k.canonical)
	}
	id := trimLink(d.SelfLink)
	r := cloud.Resource{
		Provider: valdrix.GCP, AccountID: project, Type: k.canonical, ID: id, BillingID: "//compute.googleapis.com/" + id,
		Name: d.Name, State: strings.ToLower(d.Status), Tags: d.Labels, Attrs: map[string]string{},
	}
	r.CreatedAt, _ = parseTime(d.CreationTimestamp)
	a := r.Attrs
	f := found{}
	zone := lastSegment(d.Zone)
	switch k.canonical {
	case "gcp.compute.instance":
		r.Region = regionOfZone(zone)
		mt := lastSegment(d.MachineType)
		setIf(a, "machine_type", mt)
		setIf(a, "zone", zone)
		if n, ok := machineVCPUs(mt); ok {
			a["vcpus"] = strconv.Itoa(n)
		}
		setIf(a, "last_stop_timestamp", rfc(d.LastStopTimestamp))
		for _, disk := range d.Disks {
			if disk.Boot {
				f.bootDisk = trimLink(disk.Source)
			}
		}
	case "gcp.compute.disk":
		r.Region = regionOfZone(zone)
		setIf(a, "disk_type", lastSegment(d.Type))
		d.SizeGb.set(a, "size_gb")
		setIf(a, "zone", zone)
		setIf(a, "users", joinLinks(d.Users))
		setIf(a, "last_attach_timestamp", rfc(d.LastAttachTimestamp))
		setIf(a, "last_detach_timestamp", rfc(d.LastDetachTimestamp))
		f.sourceImage = trimLink(d.SourceImage)
	case "gcp.compute.snapshot", "gcp.compute.image":
		r.Region = "global"
		if len(d.StorageLocations) > 0 {
			r.Region = d.StorageLocations[0]
		}
		d.DiskSizeGb.set(a, "disk_size_gb")
		if k.canonical == "gcp.compute.snapshot" {
			setIf(a, "source_disk", trimLink(d.SourceDisk))
		}
	case "gcp.compute.address":
		r.Region = lastSegment(d.Region)
		setIf(a, "address", d.Address)
		setIf(a, "address_type", d.AddressType)
		setIf(a, "users", joinLinks(d.Users))
	}
	if id == "" || r.Region == "" {
		return found{}, valdrix.Errorf(valdrix.EUNAVAILABLE, "Google returned a %s without a self link or location", k.canonical)
	}
	f.r = r
	return f, nil
}

func sqlResource(raw []byte, project string) (found, error) {
	var d sqlJSON
	if err := json.Unmarshal(raw, &d); err != nil {
		return found{}, valdrix.Wrap(valdrix.EUNAVAILABLE, err, "Google returned a malformed Cloud SQL instance")
	}
	if d.Project != "" {
		project = d.Project
	}
	id := "projects/" + project + "/instances/" + d.Name
	r := cloud.Resource{
		Provider: valdrix.GCP, AccountID: project, Region: d.Region, Type: "gcp.sql.instance", ID: id,
		BillingID: "//cloudsqladmin.googleapis.com/" + id, Name: d.Name, State: strings.ToLower(d.State),
		Tags: d.Settings.UserLabels, Attrs: map[string]string{},
	}
	r.CreatedAt, _ = parseTime(d.CreateTime)
	setIf(r.Attrs, "tier", d.Settings.Tier)
	setIf(r.Attrs, "database_version", d.DatabaseVersion)
	d.Settings.DataDiskSizeGb.set(r.Attrs, "disk_size_gb")
	if d.Name == "" || d.Region == "" {
		return found{}, valdrix.Errorf(valdrix.EUNAVAILABLE, "Google returned a Cloud SQL instance without a name or region")
	}
	return found{r: r}, nil
}

func joinLinks(us []string) string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = trimLink(u)
	}
	return strings.Join(out, ",")
}

// join sets each instance's source_image from its boot disk (Compute
// Engine records the image on the disk, not the instance) and drops empty
// attribute maps.
func join(fs []found) []cloud.Resource {
	images := map[string]string{}
	for _, f := range fs {
		if f.sourceImage != "" {
			images[f.r.ID] = f.sourceImage
		}
	}
	out := make([]cloud.Resource, 0, len(fs))
	for _, f := range fs {
		if img, ok := images[f.bootDisk]; ok && f.bootDisk != "" {
			f.r.Attrs["source_image"] = img
		}
		if len(f.r.Attrs) == 0 {
			f.r.Attrs = nil
		}
		out = append(out, f.r)
	}
	return out
}

// machineVCPUs reads the vCPU count from a machine type name, following
// Compute Engine's naming ("n2-standard-4" → 4, "custom-6-23040" → 6;
// the shared-core e2-micro, e2-small and e2-medium have 2 vCPUs, f1-micro
// and g1-small 1).
func machineVCPUs(mt string) (int, bool) {
	switch mt {
	case "e2-micro", "e2-small", "e2-medium":
		return 2, true
	case "f1-micro", "g1-small":
		return 1, true
	}
	parts := strings.Split(mt, "-")
	if i := slices.Index(parts, "custom"); i >= 0 && i+1 < len(parts) {
		n, err := strconv.Atoi(parts[i+1])
		return n, err == nil && n > 0
	}
	if len(parts) < 3 {
		return 0, false
	}
	n, err := strconv.Atoi(parts[len(parts)-1])
	return n, err == nil && n > 0
}
