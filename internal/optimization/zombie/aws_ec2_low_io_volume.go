package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsLowIOVolume() *Rule {
	return &Rule{
		ID: "aws.ec2.low_io_volume", Code: "A6", Version: 1,
		Title:       "EBS volume with almost no I/O",
		Description: "An attached volume that reads and writes almost nothing for a month holds data nobody uses; it is billed for its full size.",
		Signal:      "mean daily VolumeReadOps + VolumeWriteOps below max_ops_per_day over window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.volume"}, Data: DataMetrics | DataInventory,
		Thresholds: []Threshold{
			windowDays("window_days", 30, "days of metrics", "thrifty ebs_volume_avg_read_write_ops (30 d)"),
			{Name: "max_ops_per_day", Unit: UnitCount, Default: 100, Min: 0, Max: 1e9, Description: "mean read + write operations a day below which the volume is unused",
				Source: "thrifty ebs_volume_avg_read_write_ops_low (100; 500 for info)"},
		},
		Action:        Action{Kind: ActionSnapshotDelete, Reversible: true, Description: "Snapshot the volume, detach and delete it."},
		SavingsMethod: savingsAll,
		Confidence:    0.7,
		Queries: func(s *Subject) []MetricSpec {
			if s.State != "in-use" {
				return nil
			}
			d := pdays(s, "window_days")
			dims := awsDim("VolumeId", s.ID)
			return []MetricSpec{
				{Key: "read", Namespace: "AWS/EBS", Metric: "VolumeReadOps", Dimensions: dims, Stat: "Sum", Days: d},
				{Key: "write", Namespace: "AWS/EBS", Metric: "VolumeWriteOps", Dimensions: dims, Stat: "Sum", Days: d},
			}
		},
		Evaluate: func(s *Subject) Verdict {
			if s.State != "in-use" {
				return OK("the volume is " + s.State + " (see the unattached-volume rule)")
			}
			ws, v := s.Windows(pdays(s, "window_days"), "read", "write")
			if v != nil {
				return *v
			}
			ops := ws[0].Mean() + ws[1].Mean()
			if ops >= s.Param("max_ops_per_day") {
				return OK(fmt.Sprintf("%.0f operations a day", ops), F("ops_per_day", ops))
			}
			return Waste(fmt.Sprintf("%.1f read and write operations a day over %d days", ops, pdays(s, "window_days")), deleteSavings(s), F("ops_per_day", ops))
		},
	}
}
