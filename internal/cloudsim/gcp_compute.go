package cloudsim

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// computeSelfLink is the prefix of Compute Engine self links.
const computeSelfLink = "https://www.googleapis.com/compute/v1/"

// gcpZone is a fixed UTC offset zone for Compute Engine timestamps, which
// the API writes in Pacific time ("2026-03-01T10:00:00.000-07:00").
var gcpZone = time.FixedZone("PDT", -7*3600)

func gceTime(unix int64) string {
	return time.Unix(unix, 0).In(gcpZone).Format("2006-01-02T15:04:05.000-07:00")
}

// gcpCellIndex holds a cell's reverse references: instance → disks (boot
// first) and instance → static address.
type gcpCellIndex struct {
	disks map[int32][]int32
	addrs map[int32]int32
}

func (e *Estate) gcpIndex(c *Cell) *gcpCellIndex {
	ix := &gcpCellIndex{disks: map[int32][]int32{}, addrs: map[int32]int32{}}
	lo, hi := c.Span(GCPDisk)
	for i := lo; i < hi; i++ {
		if x := &e.Resources[i]; x.Ref >= 0 {
			if x.Flags&FlagOSDisk != 0 {
				ix.disks[x.Ref] = append([]int32{int32(i)}, ix.disks[x.Ref]...)
			} else {
				ix.disks[x.Ref] = append(ix.disks[x.Ref], int32(i))
			}
		}
	}
	lo, hi = c.Span(GCPAddress)
	for i := lo; i < hi; i++ {
		if x := &e.Resources[i]; x.Ref >= 0 {
			ix.addrs[x.Ref] = int32(i)
		}
	}
	return ix
}

// numericID returns a resource's numeric id, as Compute Engine has them.
func (e *Estate) numericID(i int) string { return strconv.FormatUint(e.hash(i, 11)>>1, 10) }

// gceResource renders Compute Engine resource i as the API (and Cloud
// Asset Inventory's resource.data) returns it.
func (e *Estate) gceResource(i int, ix *gcpCellIndex) map[string]any {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	proj := e.Accounts[c.Account].ID
	zone := zoneName(c.Region, x.Zone)
	r := map[string]any{
		"id": e.numericID(i), "name": x.Name, "selfLink": computeSelfLink + x.ID, "creationTimestamp": gceTime(x.Created),
		"labels": e.Tags(i), "labelFingerprint": "42WmSpB8rSM=",
	}
	switch x.Kind {
	case GCPInstance:
		r["kind"], r["status"] = "compute#instance", x.State
		r["zone"] = computeSelfLink + "projects/" + proj + "/zones/" + zone
		r["machineType"] = r["zone"].(string) + "/machineTypes/" + x.SKU
		var disks []map[string]any
		for n, d := range ix.disks[int32(i)] {
			dx := &e.Resources[d]
			disks = append(disks, map[string]any{"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE",
				"source": computeSelfLink + dx.ID, "deviceName": dx.Name, "index": n, "boot": dx.Flags&FlagOSDisk != 0,
				"autoDelete": dx.Flags&FlagOSDisk != 0, "diskSizeGb": itoa(dx.Size), "interface": "SCSI"})
		}
		r["disks"] = disks
		nic := map[string]any{"kind": "compute#networkInterface", "name": "nic0", "network": computeSelfLink + "projects/" + proj + "/global/networks/default",
			"networkIP": "10.128.0." + itoa(2+int(e.hash(i, 12)%250))}
		if a, ok := ix.addrs[int32(i)]; ok {
			nic["accessConfigs"] = []map[string]any{{"kind": "compute#accessConfig", "type": "ONE_TO_ONE_NAT", "name": "External NAT", "natIP": e.Resources[a].Extra}}
		}
		r["networkInterfaces"] = []map[string]any{nic}
		r["cpuPlatform"], r["startRestricted"], r["deletionProtection"] = "Intel Broadwell", false, false
		r["scheduling"] = map[string]any{"onHostMaintenance": "MIGRATE", "automaticRestart": true, "preemptible": false, "provisioningModel": "STANDARD"}
		if x.Changed != 0 {
			r["lastStopTimestamp"] = gceTime(x.Changed)
		}
		r["lastStartTimestamp"] = gceTime(x.Created)
	case GCPDisk:
		r["kind"], r["status"], r["sizeGb"] = "compute#disk", x.State, itoa(x.Size)
		r["zone"] = computeSelfLink + "projects/" + proj + "/zones/" + zone
		r["type"] = r["zone"].(string) + "/diskTypes/" + x.SKU
		r["physicalBlockSizeBytes"] = "4096"
		if x.Ref >= 0 {
			inst := &e.Resources[x.Ref]
			r["users"] = []string{computeSelfLink + inst.ID}
			r["lastAttachTimestamp"] = gceTime(max(x.Created, inst.Created))
			if x.Flags&FlagOSDisk != 0 && inst.Ref2 >= 0 {
				img := &e.Resources[inst.Ref2]
				r["sourceImage"], r["sourceImageId"] = computeSelfLink+img.ID, e.numericID(int(inst.Ref2))
			}
		} else if x.Changed != 0 {
			r["lastDetachTimestamp"] = gceTime(x.Changed)
		}
	case GCPSnapshot:
		r["kind"], r["status"], r["diskSizeGb"] = "compute#snapshot", x.State, itoa(x.Size)
		r["storageBytes"], r["storageLocations"], r["snapshotType"] = strconv.FormatInt(int64(x.Size)<<29, 10), []string{c.Region}, "STANDARD"
		if x.Ref >= 0 {
			r["sourceDisk"], r["sourceDiskId"] = computeSelfLink+e.Resources[x.Ref].ID, e.numericID(int(x.Ref))
		}
	case GCPImage:
		r["kind"], r["status"], r["diskSizeGb"] = "compute#image", x.State, itoa(x.Size)
		r["storageLocations"], r["sourceType"], r["archiveSizeBytes"] = []string{c.Region}, "RAW", strconv.FormatInt(int64(x.Size)<<28, 10)
	case GCPAddress:
		r["kind"], r["status"], r["address"] = "compute#address", x.State, x.Extra
		r["addressType"], r["networkTier"], r["ipVersion"] = "EXTERNAL", "PREMIUM", "IPV4"
		r["region"] = computeSelfLink + "projects/" + proj + "/regions/" + c.Region
		if x.Ref >= 0 {
			r["users"] = []string{computeSelfLink + e.Resources[x.Ref].ID}
		}
	}
	return r
}

// gceScope returns the aggregated-list scope of a zonal or regional
// resource.
func (e *Estate) gceScope(i int) string {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	if x.Kind == GCPAddress {
		return "regions/" + c.Region
	}
	return "zones/" + zoneName(c.Region, x.Zone)
}

// computeCollections maps Compute Engine collections to kinds, IAM
// permissions and the aggregated list item key.
var computeCollections = map[string]struct {
	kind       Kind
	permission string
	listKind   string
}{
	"instances": {GCPInstance, "compute.instances.list", "compute#instanceAggregatedList"},
	"disks":     {GCPDisk, "compute.disks.list", "compute#diskAggregatedList"},
	"addresses": {GCPAddress, "compute.addresses.list", "compute#addressAggregatedList"},
	"snapshots": {GCPSnapshot, "compute.snapshots.list", "compute#snapshotList"},
	"images":    {GCPImage, "compute.images.list", "compute#imageList"},
}

// serveCompute answers aggregatedList for instances, disks and addresses,
// and the global lists of snapshots and images:
//
//	GET /compute/v1/projects/{p}/aggregated/{instances|disks|addresses}
//	GET /compute/v1/projects/{p}/global/{snapshots|images}
//
// A region that is down is reported as unreachable in an aggregated list
// (its scopes carry an UNREACHABLE warning) rather than failing the call.
func (g *gcpServer) serveCompute(q *gcpReq) {
	p := q.parts
	if q.r.Method != http.MethodGet || len(p) != 6 || p[0] != "compute" || p[1] != "v1" || p[2] != "projects" || (p[4] != "aggregated" && p[4] != "global") {
		writeGCPError(q.w, http.StatusNotFound, "NOT_FOUND", "The cloud simulator does not serve "+q.r.URL.Path+" (it lists instances, disks and addresses with aggregatedList, snapshots and images globally).", nil)
		return
	}
	project, coll := p[3], p[5]
	info, ok := computeCollections[coll]
	aggregated := p[4] == "aggregated"
	if !ok || aggregated != (coll != "snapshots" && coll != "images") {
		writeGCPError(q.w, http.StatusNotFound, "NOT_FOUND", "The cloud simulator does not serve "+q.r.URL.Path, nil)
		return
	}
	op := "List" + strings.ToUpper(coll[:1]) + coll[1:]
	if aggregated {
		op = "AggregatedList" + strings.ToUpper(coll[:1]) + coll[1:]
	}
	if g.gcpFault(q, "", op, project, info.permission) {
		return
	}
	ai, ok := g.checkProject(q, project, info.permission)
	if !ok {
		return
	}
	e := g.s.estate
	var unreachable []string
	type item struct {
		i  int
		ix *gcpCellIndex
	}
	var all []item
	for _, ci := range e.Accounts[ai].Cells {
		c := &e.Cells[ci]
		if aggregated {
			if f, hit := g.s.faults.matchRegional(q.service, c.Region, op, project); hit {
				if f.Kind == FaultDown {
					unreachable = append(unreachable, c.Region)
					continue
				}
				if g.applyGCPFault(q, f, c.Region, project, info.permission) {
					return
				}
			}
		}
		lo, hi := c.Span(info.kind)
		var ix *gcpCellIndex
		if hi > lo && (info.kind == GCPInstance || info.kind == GCPDisk) {
			ix = e.gcpIndex(c)
		}
		for i := lo; i < hi; i++ {
			all = append(all, item{i, ix})
		}
	}
	from, to, next, err := gcpPage(q.r.URL.Query(), len(all), 500)
	if err != nil {
		writeGCPError(q.w, http.StatusBadRequest, "INVALID_ARGUMENT", err.Error(), nil)
		return
	}
	resp := map[string]any{"kind": info.listKind, "id": "projects/" + project + "/" + p[4] + "/" + coll,
		"selfLink": computeSelfLink + "projects/" + project + "/" + p[4] + "/" + coll}
	if next != "" {
		resp["nextPageToken"] = next
	}
	if !aggregated {
		items := make([]map[string]any, 0, to-from)
		for _, it := range all[from:to] {
			items = append(items, e.gceResource(it.i, it.ix))
		}
		resp["items"] = items
		writeGCPJSON(q.w, resp)
		return
	}
	scopes := map[string]map[string]any{}
	for _, it := range all[from:to] {
		sc := e.gceScope(it.i)
		if scopes[sc] == nil {
			scopes[sc] = map[string]any{coll: []map[string]any{}}
		}
		scopes[sc][coll] = append(scopes[sc][coll].([]map[string]any), e.gceResource(it.i, it.ix))
	}
	var unreach []string
	for _, region := range unreachable {
		if coll == "addresses" {
			unreach = append(unreach, "regions/"+region)
		} else {
			for z := range uint8(3) {
				unreach = append(unreach, "zones/"+zoneName(region, z))
			}
		}
	}
	for _, sc := range unreach {
		scopes[sc] = map[string]any{"warning": map[string]any{"code": "UNREACHABLE", "message": "Scope " + sc + " is unreachable: its region is down.",
			"data": []map[string]string{{"key": "scope", "value": sc}}}}
	}
	resp["items"] = scopes
	if len(unreach) > 0 {
		resp["unreachables"] = unreach
	}
	writeGCPJSON(q.w, resp)
}

// matchRegional returns a fault that names region (a fault without a
// region has been applied to the whole call already).
func (f *Faults) matchRegional(service, region, op, account string) (Fault, bool) {
	f.mu.Lock()
	has := false
	for _, st := range f.faults {
		if st.Region == region {
			has = true
		}
	}
	f.mu.Unlock()
	if !has {
		return Fault{}, false
	}
	return f.match(service, region, op, account)
}

// gcpPage returns the [from, to) window of n items for a pageToken and
// maxResults (or pageSize), and the next token.
func gcpPage(qs map[string][]string, n, defaultSize int) (from, to int, next string, err error) {
	get := func(k string) string {
		if v := qs[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	size := defaultSize
	if v := cmpOr(get("maxResults"), get("pageSize")); v != "" {
		s, perr := strconv.Atoi(v)
		if perr != nil || s < 1 {
			return 0, 0, "", errInvalid("Invalid value for maxResults: " + v)
		}
		size = min(s, 1000)
	}
	return page(get("pageToken"), size, n)
}
