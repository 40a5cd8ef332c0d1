package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func azureDiskOnDeallocatedVM() *Rule {
	return &Rule{
		ID: "azure.compute.disk_on_deallocated_vm", Code: "Z2", Version: 1,
		Title:       "Managed disk of a long-deallocated VM",
		Description: "A deallocated VM is not billed for compute, but its managed disks are. A disk whose VM has been deallocated for a month is storage nobody uses.",
		Signal:      "disk managed by a VM deallocated for more than stopped_days",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.disk"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("stopped_days", 30, "VMs deallocated for longer than this", "thrifty compute_disk_attached_stopped_virtual_machine; Flexera long_stopped_instances (30 d)"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the disk and delete it, or downgrade it to Standard HDD while the VM is off."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Evaluate: func(s *Subject) Verdict {
			vm, ok := s.Attr("managed_by")
			if !ok {
				return OK("the disk is not attached to a VM")
			}
			return diskOnStoppedVM(s, []string{vm}, []string{"deallocated", "stopped"})
		},
	}
}
