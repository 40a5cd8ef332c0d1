package cloudsim

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var (
	gcpMachineTypes = []string{"e2-medium", "e2-standard-2", "e2-standard-4", "n2-standard-4", "n1-standard-1", "n2d-standard-2", "c3-standard-4"}
	gcpDiskTypes    = []string{"pd-balanced", "pd-balanced", "pd-ssd", "pd-standard"}
	gcpSQLTiers     = []string{"db-custom-2-7680", "db-custom-4-15360", "db-g1-small", "db-n1-standard-2"}
)

// gcp generates a GCP cell (project, region) of n resources.
func (g *cellGen) gcp(n int) {
	ks, ws := g.kindWeights(valdrix.GCP)
	g.reserve(ks, allocate(n, ws))
	proj := g.acct().ID
	region := g.c.Region
	zonal := func(x *Resource, coll string) {
		x.ID = fmt.Sprintf("projects/%s/zones/%s/%s/%s", proj, zoneName(region, x.Zone), coll, x.Name)
	}

	// Images (global); the first ones are used by instances.
	alo, ahi := g.span(GCPImage)
	var used []int32
	for i := alo; i < ahi; i++ {
		x := g.res(i)
		x.Name, x.State = "img-"+g.name(), "READY"
		x.ID = fmt.Sprintf("projects/%s/global/images/%s", proj, x.Name)
		x.Size = int32(pick(g.r, []int{10, 20, 50}))
		switch g.roll(g.share(G3), g.near()) {
		case 0:
			x.Created = g.ago(16, 700)
		case 1:
			x.Created, x.Flags = g.ago(2, 10), x.Flags|FlagNearMiss
		default:
			x.Created = g.ago(16, 700)
			used = append(used, int32(i))
		}
	}
	// Instances.
	ilo, ihi := g.span(GCPInstance)
	for j, i := 0, ilo; i < ihi; i, j = i+1, j+1 {
		x := g.res(i)
		x.Name, x.SKU, x.Zone = "vm-"+g.name(), pick(g.r, gcpMachineTypes), g.zone()
		x.State, x.Created = "RUNNING", g.ago(15, 900)
		zonal(x, "instances")
		if g.r.IntN(20) == 0 {
			x.State, x.Changed = "TERMINATED", g.ago(1, 100)
			x.Created = g.before(x.Changed, 1, 300)
		} else {
			switch g.roll(g.share(G4), g.near()) {
			case 0:
				x.Profile = ProfileIdle
			case 1:
				x.Profile, x.Flags = ProfileNearIdle, x.Flags|FlagNearMiss
			}
		}
		switch {
		case j < len(used):
			x.Ref2 = used[j]
		case len(used) > 0 && g.r.IntN(2) == 0:
			x.Ref2 = used[g.r.IntN(len(used))]
		}
		if x.Ref2 >= 0 {
			x.Created = max(x.Created, g.res(int(x.Ref2)).Created+day)
		}
	}
	// Disks: a boot disk per instance, then data disks; some detached.
	dlo, dhi := g.span(GCPDisk)
	next := ilo
	for i := dlo; i < dhi; i++ {
		x := g.res(i)
		x.Name, x.SKU, x.Size = "disk-"+g.name(), pick(g.r, gcpDiskTypes), int32(pick(g.r, []int{10, 50, 100, 200, 500, 1000}))
		x.State, x.Zone = "READY", g.zone()
		switch {
		case next < ihi:
			x.Ref, x.Flags = int32(next), x.Flags|FlagOSDisk
			x.Created, x.Zone = g.res(next).Created, g.res(next).Zone
			next++
		case ihi == ilo || g.r.Float64() < g.share(G1):
			x.Changed = g.ago(16, 300)
			x.Created = g.before(x.Changed, 1, 300)
		case g.r.Float64() < g.near()/(1-g.share(G1)):
			x.Changed, x.Flags = g.ago(2, 10), x.Flags|FlagNearMiss
			x.Created = g.before(x.Changed, 1, 300)
		default:
			x.Ref = g.pickIn(ilo, ihi)
			x.Created, x.Zone = g.res(int(x.Ref)).Created, g.res(int(x.Ref)).Zone
		}
		zonal(x, "disks")
	}
	// Snapshots (global, stored in the region).
	for i := range g.rangeOf(GCPSnapshot) {
		x := g.res(i)
		x.Name, x.State = "snap-"+g.name(), "READY"
		x.ID = fmt.Sprintf("projects/%s/global/snapshots/%s", proj, x.Name)
		switch g.roll(g.share(G7), g.near()) {
		case 0:
			x.Created = g.ago(91, 700)
		case 1:
			x.Created, x.Flags = g.ago(60, 88), x.Flags|FlagNearMiss
		default:
			x.Created = g.ago(1, 85)
		}
		x.Ref = g.pickIn(dlo, dhi)
		x.Size = 10
		if x.Ref >= 0 {
			x.Size = g.res(int(x.Ref)).Size
		}
	}
	// Static external addresses.
	for i := range g.rangeOf(GCPAddress) {
		x := g.res(i)
		x.Name = "ip-" + g.name()
		x.ID = fmt.Sprintf("projects/%s/regions/%s/addresses/%s", proj, region, x.Name)
		x.Extra = fmt.Sprintf("%d.%d.%d.%d", pick(g.r, []int{34, 35, 104, 130}), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
		x.State, x.Created = "IN_USE", g.ago(1, 900)
		switch g.roll(g.share(G2), g.near()) {
		case 0:
			x.State, x.Created = "RESERVED", g.ago(16, 400)
		case 1:
			x.State, x.Created, x.Flags = "RESERVED", g.ago(2, 10), x.Flags|FlagNearMiss
		default:
			x.Ref = g.pickWhere(ilo, ihi, func(j int) bool { return g.e.Resources[j].State == "RUNNING" })
			if x.Ref < 0 {
				x.State, x.Created = "RESERVED", g.ago(16, 400)
			}
		}
		if x.State == "RESERVED" {
			x.Changed = x.Created // reserved and unused since creation
		}
	}
	// Cloud SQL instances.
	for i := range g.rangeOf(GCPSQLInstance) {
		x := g.res(i)
		x.Name, x.SKU, x.State = "sql-"+g.name(), pick(g.r, gcpSQLTiers), "RUNNABLE"
		x.ID = fmt.Sprintf("projects/%s/instances/%s", proj, x.Name)
		x.Extra = pick(g.r, []string{"POSTGRES_15", "POSTGRES_16", "MYSQL_8_0"})
		x.Size = int32(pick(g.r, []int{10, 100, 250, 500}))
		x.Created = g.ago(31, 900)
		switch g.roll(g.share(G8), g.near()) {
		case 0:
			x.Profile = ProfileIdle
		case 1:
			x.Profile, x.Flags = ProfileNearIdle, x.Flags|FlagNearMiss
		}
	}
}
