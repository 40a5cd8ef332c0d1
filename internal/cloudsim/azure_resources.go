package cloudsim

import (
	"fmt"
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// armTypes are the ARM resource types (lower-case, as Resource Graph
// returns them) of the Azure kinds.
var armTypes = map[Kind]string{
	AzureResourceGroup:    "microsoft.resources/subscriptions/resourcegroups",
	AzureVirtualMachine:   "microsoft.compute/virtualmachines",
	AzureDisk:             "microsoft.compute/disks",
	AzureSnapshot:         "microsoft.compute/snapshots",
	AzureImage:            "microsoft.compute/images",
	AzurePublicIP:         "microsoft.network/publicipaddresses",
	AzureNetworkInterface: "microsoft.network/networkinterfaces",
	AzureLoadBalancer:     "microsoft.network/loadbalancers",
	AzureAppServicePlan:   "microsoft.web/serverfarms",
	AzureSQLDatabase:      "microsoft.sql/servers/databases",
}

// ARMType returns the ARM resource type of an Azure kind ("" for others).
func ARMType(k Kind) string { return armTypes[k] }

// azureCellIndex holds a cell's reverse references, to render the ARM
// representation of its resources.
type azureCellIndex struct {
	disks map[int32][]int32 // VM → disks (OS disk first)
	nics  map[int32][]int32 // VM → NICs
	pips  map[int32][]int32 // NIC or load balancer → public IPs
}

func (e *Estate) azureIndex(c *Cell) *azureCellIndex {
	ix := &azureCellIndex{disks: map[int32][]int32{}, nics: map[int32][]int32{}, pips: map[int32][]int32{}}
	lo, hi := c.Span(AzureDisk)
	for i := lo; i < hi; i++ {
		if x := &e.Resources[i]; x.Ref >= 0 {
			if x.Flags&FlagOSDisk != 0 {
				ix.disks[x.Ref] = append([]int32{int32(i)}, ix.disks[x.Ref]...)
			} else {
				ix.disks[x.Ref] = append(ix.disks[x.Ref], int32(i))
			}
		}
	}
	lo, hi = c.Span(AzureNetworkInterface)
	for i := lo; i < hi; i++ {
		if x := &e.Resources[i]; x.Ref >= 0 {
			ix.nics[x.Ref] = append(ix.nics[x.Ref], int32(i))
		}
	}
	lo, hi = c.Span(AzurePublicIP)
	for i := lo; i < hi; i++ {
		if x := &e.Resources[i]; x.Ref >= 0 {
			ix.pips[x.Ref] = append(ix.pips[x.Ref], int32(i))
		}
	}
	return ix
}

func idRef(id string) map[string]string { return map[string]string{"id": id} }

// ipConfigID returns the id of the IP configuration of a NIC or load
// balancer that a public IP is attached to.
func (e *Estate) ipConfigID(j int32) string {
	x := &e.Resources[j]
	if x.Kind == AzureLoadBalancer {
		return x.ID + "/frontendIPConfigurations/frontend-1"
	}
	return x.ID + "/ipConfigurations/ipconfig1"
}

// armResource renders Azure resource i as Resource Graph returns it: the
// ARM resource with every column of the Resources (or ResourceContainers)
// table.
func (e *Estate) armResource(i int, ix *azureCellIndex) map[string]any {
	x := &e.Resources[i]
	c := e.CellOfResource(i)
	acct := e.Accounts[c.Account]
	row := map[string]any{
		"id": x.ID, "name": x.Name, "type": armTypes[x.Kind], "tenantId": e.AzureTenantID, "kind": "",
		"location": c.Region, "subscriptionId": acct.ID, "managedBy": "", "sku": nil, "plan": nil,
		"tags": e.Tags(i), "identity": nil, "zones": nil, "extendedLocation": nil,
		"systemData": map[string]any{"createdAt": rfc3339(x.Created), "createdByType": "User", "lastModifiedAt": rfc3339(max(x.Created, x.Changed))},
	}
	if x.Kind == AzureResourceGroup {
		row["resourceGroup"] = x.Name
	} else if x.Ref2 >= 0 {
		row["resourceGroup"] = strings.ToLower(e.Resources[x.Ref2].Name)
	}
	zones := []string{itoa(int(x.Zone) + 1)}
	props := map[string]any{"provisioningState": "Succeeded"}
	row["properties"] = props
	switch x.Kind {
	case AzureResourceGroup:
	case AzureVirtualMachine:
		row["zones"] = zones
		power := map[string]any{"code": "PowerState/" + x.State, "level": "Info", "displayStatus": "VM " + x.State}
		if x.Changed != 0 {
			power["time"] = rfc3339(x.Changed)
		}
		storage := map[string]any{}
		var data []map[string]any
		for n, d := range ix.disks[int32(i)] {
			dx := &e.Resources[d]
			ref := map[string]any{"name": dx.Name, "createOption": "Attach", "managedDisk": map[string]any{"id": dx.ID, "storageAccountType": dx.SKU}, "diskSizeGB": dx.Size}
			if dx.Flags&FlagOSDisk != 0 {
				ref["osType"], ref["createOption"] = "Linux", "FromImage"
				storage["osDisk"] = ref
			} else {
				ref["lun"] = n
				data = append(data, ref)
			}
		}
		storage["dataDisks"] = data
		var nics []map[string]any
		for n, ni := range ix.nics[int32(i)] {
			nics = append(nics, map[string]any{"id": e.Resources[ni].ID, "properties": map[string]any{"primary": n == 0}})
		}
		props["vmId"] = guid(newRand("vm:" + x.ID))
		props["hardwareProfile"] = map[string]string{"vmSize": x.SKU}
		props["storageProfile"] = storage
		props["networkProfile"] = map[string]any{"networkInterfaces": nics}
		props["timeCreated"] = rfc3339(x.Created)
		props["extended"] = map[string]any{"instanceView": map[string]any{"powerState": power, "computerName": x.Name, "osName": "ubuntu", "osVersion": "22.04"}}
	case AzureDisk:
		row["zones"] = zones
		row["sku"] = map[string]string{"name": x.SKU, "tier": strings.SplitN(x.SKU, "_", 2)[0]}
		props["diskSizeGB"], props["diskSizeBytes"] = x.Size, int64(x.Size)<<30
		props["diskState"], props["timeCreated"] = x.State, rfc3339(x.Created)
		props["creationData"] = map[string]string{"createOption": "Empty"}
		if x.Ref >= 0 {
			row["managedBy"] = e.Resources[x.Ref].ID
		}
		if x.Flags&FlagOSDisk != 0 {
			props["osType"] = "Linux"
			props["creationData"] = map[string]string{"createOption": "FromImage"}
		}
		if x.Changed != 0 {
			props["LastOwnershipUpdateTime"] = rfc3339(x.Changed)
		}
	case AzureSnapshot:
		row["sku"] = map[string]string{"name": x.SKU, "tier": "Standard"}
		props["diskSizeGB"], props["timeCreated"], props["incremental"] = x.Size, rfc3339(x.Created), false
		cd := map[string]string{"createOption": "Copy"}
		if x.Ref >= 0 {
			cd["sourceResourceId"] = e.Resources[x.Ref].ID
		}
		props["creationData"] = cd
	case AzureImage:
		props["storageProfile"] = map[string]any{"osDisk": map[string]any{"osType": "Linux", "osState": "Generalized", "diskSizeGB": x.Size}}
		if x.Ref >= 0 {
			props["sourceVirtualMachine"] = idRef(e.Resources[x.Ref].ID)
		}
		props["hyperVGeneration"] = "V2"
	case AzurePublicIP:
		row["sku"] = map[string]string{"name": x.SKU, "tier": "Regional"}
		props["ipAddress"], props["publicIPAllocationMethod"], props["publicIPAddressVersion"] = x.Extra, "Static", "IPv4"
		props["idleTimeoutInMinutes"] = 4
		if x.Ref >= 0 {
			props["ipConfiguration"] = idRef(e.ipConfigID(x.Ref))
		}
	case AzureNetworkInterface:
		ipc := map[string]any{"privateIPAddress": x.Extra, "privateIPAllocationMethod": "Dynamic", "primary": true}
		if pips := ix.pips[int32(i)]; len(pips) > 0 {
			ipc["publicIPAddress"] = idRef(e.Resources[pips[0]].ID)
		}
		props["ipConfigurations"] = []map[string]any{{"id": x.ID + "/ipConfigurations/ipconfig1", "name": "ipconfig1", "properties": ipc}}
		if x.Ref >= 0 {
			props["virtualMachine"] = idRef(e.Resources[x.Ref].ID)
		}
	case AzureLoadBalancer:
		row["sku"] = map[string]string{"name": x.SKU, "tier": "Regional"}
		var fe []map[string]any
		for _, p := range ix.pips[int32(i)] {
			fe = append(fe, map[string]any{"id": x.ID + "/frontendIPConfigurations/frontend-1", "name": "frontend-1", "properties": map[string]any{"publicIPAddress": idRef(e.Resources[p].ID)}})
		}
		backends := make([]map[string]string, x.Size2)
		group, _, _ := strings.Cut(x.ID, "/providers/")
		for b := range backends {
			backends[b] = idRef(fmt.Sprintf("%s/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-%s/virtualMachines/%d/networkInterfaces/nic/ipConfigurations/ipconfig1", group, x.Name, b))
		}
		props["frontendIPConfigurations"] = fe
		props["backendAddressPools"] = []map[string]any{{"id": x.ID + "/backendAddressPools/pool-1", "name": "pool-1", "properties": map[string]any{"backendIPConfigurations": backends}}}
	case AzureAppServicePlan:
		row["kind"] = "linux"
		row["sku"] = map[string]any{"name": x.SKU, "tier": planTier(x.SKU), "size": x.SKU, "capacity": 1}
		props["numberOfSites"], props["status"], props["reserved"] = x.Size2, x.State, true
	case AzureSQLDatabase:
		row["kind"] = "v12.0,user,vcore"
		row["sku"] = map[string]any{"name": x.SKU, "tier": sqlTier(x.SKU)}
		props["status"], props["maxSizeBytes"], props["creationDate"] = x.State, int64(x.Size)<<30, rfc3339(x.Created)
		props["currentServiceObjectiveName"], props["databaseId"] = x.SKU, guid(newRand("db:"+x.ID))
	}
	return row
}

func planTier(sku string) string {
	switch {
	case strings.HasPrefix(sku, "P"):
		return "PremiumV3"
	case strings.HasPrefix(sku, "S"):
		return "Standard"
	}
	return "Basic"
}

func sqlTier(sku string) string {
	switch {
	case strings.HasPrefix(sku, "GP_"):
		return "GeneralPurpose"
	case strings.HasPrefix(sku, "BC_"):
		return "BusinessCritical"
	}
	return "Standard"
}

// armSubscription renders subscription acct as a ResourceContainers row.
func (e *Estate) armSubscription(acct int) map[string]any {
	a := e.Accounts[acct]
	return map[string]any{
		"id": "/subscriptions/" + a.ID, "name": a.Name, "type": "microsoft.resources/subscriptions", "tenantId": e.AzureTenantID,
		"kind": "", "location": "", "resourceGroup": "", "subscriptionId": a.ID, "managedBy": "", "sku": nil, "plan": nil,
		"tags": map[string]string{}, "identity": nil, "zones": nil, "extendedLocation": nil,
		"properties": map[string]any{"state": "Enabled", "subscriptionPolicies": map[string]string{"quotaId": "EnterpriseAgreement_2014-09-01"}},
	}
}

// azureRegionOf returns the region of the Azure resource with ARM id id.
func (e *Estate) azureRegionOf(id string) (int, string, bool) {
	i, ok := e.Lookup(valdrix.Azure, id)
	if !ok {
		return 0, "", false
	}
	return i, e.CellOfResource(i).Region, true
}
