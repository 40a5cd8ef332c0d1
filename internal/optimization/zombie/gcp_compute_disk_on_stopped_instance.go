package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func gcpDiskOnStoppedInstance() *Rule {
	return &Rule{
		ID: "gcp.compute.disk_on_stopped_instance", Code: "G6", Version: 1,
		Title:       "Persistent disk of a long-stopped instance",
		Description: "A stopped (TERMINATED) instance is not billed for vCPUs and memory, but its persistent disks are.",
		Signal:      "disk whose users are all instances stopped for more than stopped_days (last_stop_timestamp)",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.disk"}, Data: DataInventory | DataBilling,
		Thresholds: []Threshold{
			days("stopped_days", 30, "instances stopped for longer than this", "thrifty compute_disk_attached_stopped_instance; AWS Config ec2-stopped-instance analogue (30 d)"),
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the disk, then delete it (or delete the instance with its disks)."},
		SavingsMethod: savingsAll,
		Confidence:    0.9,
		Evaluate: func(s *Subject) Verdict {
			return diskOnStoppedVM(s, attrList(s, "users"), []string{"terminated", "stopped", "suspended"})
		},
	}
}
