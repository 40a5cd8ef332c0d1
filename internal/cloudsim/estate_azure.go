package cloudsim

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var (
	azureVMSizes   = []string{"Standard_B2s", "Standard_D2s_v3", "Standard_D4s_v3", "Standard_D2s_v5", "Standard_E4s_v3", "Standard_F4s_v2"}
	azureDiskSKUs  = []string{"Premium_LRS", "Premium_LRS", "StandardSSD_LRS", "Standard_LRS"}
	azurePlanSKUs  = []string{"P1v3", "P2v3", "S1", "B1"}
	azureSQLSKUs   = []string{"GP_Gen5_2", "GP_Gen5_4", "BC_Gen5_2", "S0"}
	azureDiskSizes = []int{32, 64, 128, 256, 512, 1024}
)

// azure generates an Azure cell (subscription, region) of n resources.
func (g *cellGen) azure(n int) {
	ks, ws := g.kindWeights(valdrix.Azure)
	counts := allocate(n, ws)
	if n >= 1 && counts[0] == 0 { // every cell needs a resource group
		big := 1
		for i := range counts {
			if counts[i] > counts[big] {
				big = i
			}
		}
		counts[0]++
		counts[big]--
	}
	g.reserve(ks, counts)
	sub := g.acct().ID

	// Resource groups; some are left empty.
	glo, ghi := g.span(AzureResourceGroup)
	var groups []int32
	for i := glo; i < ghi; i++ {
		x := g.res(i)
		x.Name = "rg-" + pick(g.r, apps) + "-" + g.env + "-" + g.c.Region + fmt.Sprintf("-%02d", i-glo+1)
		x.ID = "/subscriptions/" + sub + "/resourceGroups/" + x.Name
		x.State, x.Created = "Succeeded", g.ago(30, 1500)
		if i == glo || g.r.Float64() >= g.share(Z20) {
			groups = append(groups, int32(i))
		}
	}
	id := func(x *Resource, provider, typ string) {
		if len(groups) == 0 {
			return
		}
		x.Ref2 = groups[g.r.IntN(len(groups))]
		rg := g.res(int(x.Ref2))
		x.ID = rg.ID + "/providers/" + provider + "/" + typ + "/" + x.Name
		if rg.Created > x.Created {
			rg.Created = g.before(x.Created, 1, 30)
		}
	}

	// Virtual machines.
	vlo, vhi := g.span(AzureVirtualMachine)
	for i := vlo; i < vhi; i++ {
		x := g.res(i)
		x.Name, x.SKU, x.Zone = "vm-"+g.name(), pick(g.r, azureVMSizes), g.zone()
		x.State = "running"
		g.stopOrIdle(x, "deallocated", Z6, Z5)
		id(x, "Microsoft.Compute", "virtualMachines")
	}
	// Network interfaces: one per VM, the rest detached.
	nlo, nhi := g.span(AzureNetworkInterface)
	for i := nlo; i < nhi; i++ {
		x := g.res(i)
		x.Name, x.State = "nic-"+g.name(), "Succeeded"
		x.Extra = fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 4+g.r.IntN(250))
		if vm := vlo + (i - nlo); vm < vhi {
			x.Ref = int32(vm)
			x.Created = g.res(vm).Created
		} else {
			x.Created = g.ago(1, 900)
		}
		id(x, "Microsoft.Network", "networkInterfaces")
	}
	// Disks: an OS disk per VM, then data disks; some unattached.
	dlo, dhi := g.span(AzureDisk)
	next := vlo
	for i := dlo; i < dhi; i++ {
		x := g.res(i)
		x.Name, x.SKU, x.Size = "disk-"+g.name(), pick(g.r, azureDiskSKUs), int32(pick(g.r, azureDiskSizes))
		x.State, x.Created = "Attached", g.ago(1, 900)
		switch {
		case next < vhi:
			x.Ref, x.Flags = int32(next), x.Flags|FlagOSDisk
			x.Created, x.Zone = g.res(next).Created, g.res(next).Zone
			next++
		case vhi == vlo || g.r.Float64() < g.share(Z1):
			x.State, x.Changed = "Unattached", g.ago(2, 300)
			x.Created = g.before(x.Changed, 1, 300)
		default:
			x.Ref = g.pickIn(vlo, vhi)
			x.Created, x.Zone = max(x.Created, g.res(int(x.Ref)).Created), g.res(int(x.Ref)).Zone
		}
		id(x, "Microsoft.Compute", "disks")
	}
	// Snapshots.
	for i := range g.rangeOf(AzureSnapshot) {
		x := g.res(i)
		x.Name, x.State = "snap-"+g.name(), "Succeeded"
		x.SKU = pick(g.r, []string{"Standard_LRS", "Standard_LRS", "Standard_ZRS", "Premium_LRS"})
		switch g.roll(g.share(Z12), g.near()) {
		case 0:
			x.Created = g.ago(91, 600)
		case 1:
			x.Created, x.Flags = g.ago(60, 88), x.Flags|FlagNearMiss
		default:
			x.Created = g.ago(1, 85)
		}
		x.Ref = g.pickIn(dlo, dhi)
		x.Size = int32(pick(g.r, azureDiskSizes))
		if x.Ref >= 0 {
			x.Size = g.res(int(x.Ref)).Size
		}
		id(x, "Microsoft.Compute", "snapshots")
	}
	// Images.
	for i := range g.rangeOf(AzureImage) {
		x := g.res(i)
		x.Name, x.State, x.Created = "img-"+g.name(), "Succeeded", g.ago(5, 700)
		x.Ref, x.Size = g.pickIn(vlo, vhi), 30
		id(x, "Microsoft.Compute", "images")
	}
	// Load balancers.
	llo, lhi := g.span(AzureLoadBalancer)
	for i := llo; i < lhi; i++ {
		x := g.res(i)
		x.Name, x.SKU, x.State, x.Created = "lb-"+g.name(), "Standard", "Succeeded", g.ago(30, 900)
		if g.r.Float64() >= g.share(Z10) {
			x.Size2 = int32(1 + g.r.IntN(6))
		}
		id(x, "Microsoft.Network", "loadBalancers")
	}
	// Public IPs: attached to a NIC of a VM or to a load balancer, or not.
	for i := range g.rangeOf(AzurePublicIP) {
		x := g.res(i)
		x.Name, x.State, x.Created = "pip-"+g.name(), "Succeeded", g.ago(1, 900)
		x.SKU = pick(g.r, []string{"Standard", "Standard", "Basic"})
		x.Extra = fmt.Sprintf("%d.%d.%d.%d", pick(g.r, []int{20, 40, 52, 104, 137}), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
		if g.r.Float64() >= g.share(Z4) {
			if lhi > llo && g.r.IntN(4) == 0 {
				x.Ref = g.pickIn(llo, lhi)
			} else {
				x.Ref = g.pickWhere(nlo, nhi, func(j int) bool { return g.e.Resources[j].Ref >= 0 })
			}
		}
		id(x, "Microsoft.Network", "publicIPAddresses")
	}
	// App Service plans.
	for i := range g.rangeOf(AzureAppServicePlan) {
		x := g.res(i)
		x.Name, x.SKU, x.State, x.Created = "plan-"+g.name(), pick(g.r, azurePlanSKUs), "Ready", g.ago(10, 900)
		x.Size2 = int32(g.r.IntN(6)) // sites
		id(x, "Microsoft.Web", "serverfarms")
	}
	// SQL databases.
	for i := range g.rangeOf(AzureSQLDatabase) {
		x := g.res(i)
		server := "sql-" + strings.ReplaceAll(pick(g.r, apps), "-", "") + "-" + g.env
		x.Name, x.SKU, x.State, x.Extra = "sqldb-"+g.name(), pick(g.r, azureSQLSKUs), "Online", server
		x.Size = int32(pick(g.r, []int{32, 250, 500, 1024}))
		g.ageOrReserve(x, Z14)
		// The id names the server: …/servers/<server>/databases/<db>.
		saved := x.Name
		x.Name = server + "/databases/" + saved
		id(x, "Microsoft.Sql", "servers")
		x.Name = saved
	}
}
