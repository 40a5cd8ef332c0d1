package cloudsim

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// gcpAssetTypes maps GCP kinds to Cloud Asset Inventory asset types.
var gcpAssetTypes = map[Kind]string{
	GCPInstance:    "compute.googleapis.com/Instance",
	GCPDisk:        "compute.googleapis.com/Disk",
	GCPSnapshot:    "compute.googleapis.com/Snapshot",
	GCPImage:       "compute.googleapis.com/Image",
	GCPAddress:     "compute.googleapis.com/Address",
	GCPSQLInstance: "sqladmin.googleapis.com/Instance",
}

// AssetType returns the Cloud Asset Inventory type of a GCP kind.
func AssetType(k Kind) string { return gcpAssetTypes[k] }

// serveAsset answers ListAssets of a project:
//
//	GET /v1/projects/{project}/assets?assetTypes=…&contentType=RESOURCE&pageSize=…&pageToken=…
func (g *gcpServer) serveAsset(q *gcpReq) {
	p := q.parts
	if q.r.Method != http.MethodGet || len(p) != 4 || p[0] != "v1" || p[1] != "projects" || p[3] != "assets" {
		writeGCPError(q.w, http.StatusNotFound, "NOT_FOUND", "The cloud simulator does not serve "+q.r.URL.Path+" (it serves ListAssets of a project).", nil)
		return
	}
	e := g.s.estate
	project := p[2]
	if i, ok := g.projectByNumber(project); ok {
		project = e.Accounts[i].ID
	}
	const perm = "cloudasset.assets.listResource"
	if g.gcpFault(q, "", "ListAssets", project, perm) {
		return
	}
	ai, ok := g.checkProject(q, project, perm)
	if !ok {
		return
	}
	qs := q.r.URL.Query()
	if ct := qs.Get("contentType"); ct != "" && ct != "RESOURCE" {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", "The cloud simulator lists contentType RESOURCE only, not "+ct+".", nil)
		return
	}
	want := qs["assetTypes"]
	var all []int
	for _, ci := range e.Accounts[ai].Cells {
		c := &e.Cells[ci]
		for _, k := range Kinds(valdrix.GCP) {
			if len(want) > 0 && !slices.Contains(want, gcpAssetTypes[k]) {
				continue
			}
			lo, hi := c.Span(k)
			for i := lo; i < hi; i++ {
				all = append(all, i)
			}
		}
	}
	from, to, next, err := gcpPage(qs, len(all), 100)
	if err != nil {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), nil)
		return
	}
	assets := make([]map[string]any, 0, to-from)
	var ix *gcpCellIndex
	var ixCell int32 = -1
	for _, i := range all[from:to] {
		if x := &e.Resources[i]; x.Cell != ixCell && (x.Kind == GCPInstance || x.Kind == GCPDisk) {
			ix, ixCell = e.gcpIndex(&e.Cells[x.Cell]), x.Cell
		}
		assets = append(assets, e.gcpAsset(i, ix))
	}
	resp := map[string]any{"readTime": g.s.clock.Now().UTC().Format(time.RFC3339Nano), "assets": assets}
	if next != "" {
		resp["nextPageToken"] = next
	}
	writeGCPJSON(q.w, resp)
}

func (g *gcpServer) projectByNumber(number string) (int, bool) {
	e := g.s.estate
	for _, i := range e.AccountsOf(valdrix.GCP) {
		if e.Accounts[i].Number == number {
			return i, true
		}
	}
	return 0, false
}

// gcpAsset renders resource i as a Cloud Asset Inventory asset.
func (e *Estate) gcpAsset(i int, ix *gcpCellIndex) map[string]any {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	acct := e.Accounts[c.Account]
	res := map[string]any{"version": "v1", "parent": "//cloudresourcemanager.googleapis.com/projects/" + acct.Number}
	name := gcpGlobalName(x.ID)
	switch x.Kind {
	case GCPSQLInstance:
		name = "//cloudsql.googleapis.com/" + x.ID
		res["discoveryDocumentUri"], res["discoveryName"] = "https://sqladmin.googleapis.com/$discovery/rest", "DatabaseInstance"
		res["data"], res["location"] = e.sqlInstance(i), c.Region
	default:
		kindName := strings.TrimPrefix(gcpAssetTypes[x.Kind], "compute.googleapis.com/")
		res["discoveryDocumentUri"], res["discoveryName"] = "https://www.googleapis.com/discovery/v1/apis/compute/v1/rest", kindName
		res["data"] = e.gceResource(i, ix)
		switch x.Kind {
		case GCPInstance, GCPDisk:
			res["location"] = zoneName(c.Region, x.Zone)
		case GCPAddress:
			res["location"] = c.Region
		default:
			res["location"] = "global"
		}
	}
	return map[string]any{
		"name": name, "assetType": gcpAssetTypes[x.Kind], "resource": res,
		"ancestors":  []string{"projects/" + acct.Number, "organizations/" + digits(newRand(e.Config.Company+"org"), 12)},
		"updateTime": time.Unix(max(x.Created, x.Changed), 0).UTC().Format(time.RFC3339Nano),
	}
}

// sqlInstance renders Cloud SQL instance i as the SQL Admin API returns it.
func (e *Estate) sqlInstance(i int) map[string]any {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	proj := e.Accounts[c.Account].ID
	return map[string]any{
		"kind": "sql#instance", "name": x.Name, "project": proj, "region": c.Region, "gceZone": zoneName(c.Region, x.Zone),
		"databaseVersion": x.Extra, "state": x.State, "instanceType": "CLOUD_SQL_INSTANCE", "backendType": "SECOND_GEN",
		"connectionName": proj + ":" + c.Region + ":" + x.Name, "selfLink": "https://sqladmin.googleapis.com/v1/" + x.ID,
		"createTime": time.Unix(x.Created, 0).UTC().Format("2006-01-02T15:04:05.000Z"),
		"settings": map[string]any{
			"kind": "sql#settings", "tier": x.SKU, "dataDiskSizeGb": itoa(x.Size), "dataDiskType": "PD_SSD", "activationPolicy": "ALWAYS",
			"availabilityType": "ZONAL", "pricingPlan": "PER_USE", "userLabels": e.Tags(i), "settingsVersion": "3",
			"storageAutoResize": true, "backupConfiguration": map[string]any{"enabled": true},
		},
		"ipAddresses": []map[string]string{{"type": "PRIMARY", "ipAddress": "34.1." + itoa(int(e.hash(i, 13)%250)) + "." + itoa(int(e.hash(i, 14)%250))}},
	}
}

// serveSQL answers the SQL Admin API's instances.list:
//
//	GET /v1/projects/{project}/instances
//
// A region that is down is left out with a REGION_UNREACHABLE warning.
func (g *gcpServer) serveSQL(q *gcpReq) {
	p := q.parts
	if q.r.Method != http.MethodGet || len(p) != 4 || p[0] != "v1" || p[1] != "projects" || p[3] != "instances" {
		writeGCPError(q.w, http.StatusNotFound, "NOT_FOUND", "The cloud simulator does not serve "+q.r.URL.Path+" (it serves instances.list).", nil)
		return
	}
	project := p[2]
	const perm = "cloudsql.instances.list"
	if g.gcpFault(q, "", "ListInstances", project, perm) {
		return
	}
	ai, ok := g.checkProject(q, project, perm)
	if !ok {
		return
	}
	e := g.s.estate
	var all []int
	var warnings []map[string]string
	for _, ci := range e.Accounts[ai].Cells {
		c := &e.Cells[ci]
		if f, hit := g.s.faults.matchRegional(q.service, c.Region, "ListInstances", project); hit {
			if f.Kind == FaultDown {
				warnings = append(warnings, map[string]string{"code": "REGION_UNREACHABLE", "message": "Region " + c.Region + " is unreachable; the list may be incomplete.", "region": c.Region})
				continue
			}
			if g.applyGCPFault(q, f, c.Region, project, perm) {
				return
			}
		}
		lo, hi := c.Span(GCPSQLInstance)
		for i := lo; i < hi; i++ {
			all = append(all, i)
		}
	}
	from, to, next, err := gcpPage(q.r.URL.Query(), len(all), 500)
	if err != nil {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), nil)
		return
	}
	items := make([]map[string]any, 0, to-from)
	for _, i := range all[from:to] {
		items = append(items, e.sqlInstance(i))
	}
	resp := map[string]any{"kind": "sql#instancesList", "items": items}
	if next != "" {
		resp["nextPageToken"] = next
	}
	if len(warnings) > 0 {
		resp["warnings"] = warnings
	}
	writeGCPJSON(q.w, resp)
}
