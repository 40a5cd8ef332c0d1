package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

const disksByVM = "azure.compute.disk.managed_by"

func azureDeallocatedVM() *Rule {
	return &Rule{
		ID: "azure.compute.deallocated_vm", Code: "Z6", Version: 1,
		Title:       "VM deallocated for a month",
		Description: "A deallocated VM is not billed for compute, but its OS and data disks are. After a month off it is usually forgotten.",
		Signal:      "power state deallocated and power_state_changed_at older than stopped_days",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.virtual_machine"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("stopped_days", 30, "VMs deallocated for longer than this", "Flexera cost/azure/long_stopped_instances (30 d)"),
		},
		Action:        Action{Kind: ActionTerminate, Reversible: false, Description: "Snapshot the disks, then delete the VM and its disks."},
		SavingsMethod: "the monthly cost of the VM's managed disks (" + savingsRelated + ")",
		Confidence:    0.9,
		Indexes:       []Index{{Name: disksByVM, Types: []string{"azure.compute.disk"}, Keys: attrKey("managed_by")}},
		Evaluate: func(s *Subject) Verdict {
			return stoppedVM(s, []string{"deallocated", "stopped"}, disksByVM)
		},
	}
}
