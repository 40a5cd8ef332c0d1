package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureLowIODisk() *Rule {
	return &Rule{
		ID: "azure.compute.low_io_disk", Code: "Z3", Version: 1,
		Title:       "Managed disk with almost no I/O",
		Description: "An attached disk with almost no reads or writes for a month holds data nobody uses, billed at its full tier.",
		Signal:      "attached; mean daily read + write operations (Composite Disk Read/Write Operations/sec × 86,400) below max_ops_per_day over window_days",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.disk"}, Data: DataMetrics | DataInventory,
		Thresholds: []Threshold{
			windowDays("window_days", 30, "days of metrics", "thrifty compute_disk_avg_read_write_ops (30 d)"),
			{Name: "max_ops_per_day", Unit: UnitCount, Default: 100, Min: 0, Max: 1e9, Description: "mean operations a day below which the disk is unused",
				Source: "thrifty compute_disk_avg_read_write_ops_low (100; 500 info)"},
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the disk, detach and delete it, or downgrade its tier."},
		SavingsMethod: savingsAll,
		Confidence:    0.7,
		Queries: func(s *Subject) []MetricSpec {
			if st, _ := s.Attr("disk_state"); st != "attached" {
				return nil
			}
			d, dims := pdays(s, "window_days"), resourceDims(s)
			return []MetricSpec{
				{Key: "read", Namespace: "Microsoft.Compute/disks", Metric: "Composite Disk Read Operations/sec", Dimensions: dims, Stat: "Average", Days: d},
				{Key: "write", Namespace: "Microsoft.Compute/disks", Metric: "Composite Disk Write Operations/sec", Dimensions: dims, Stat: "Average", Days: d},
			}
		},
		Evaluate: func(s *Subject) Verdict {
			if st, _ := s.Attr("disk_state"); st != "attached" {
				return OK("the disk is not attached (see the unattached-disk rule)")
			}
			ws, v := s.Windows(pdays(s, "window_days"), "read", "write")
			if v != nil {
				return *v
			}
			ops := (ws[0].Mean() + ws[1].Mean()) * 86400
			if ops >= s.Param("max_ops_per_day") {
				return OK(fmt.Sprintf("%.0f operations a day", ops))
			}
			return Waste(fmt.Sprintf("%.1f operations a day over %d days", ops, pdays(s, "window_days")), deleteSavings(s), F("ops_per_day", ops))
		},
	}
}
