package zombie

import (
	"fmt"
	"time"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsIdleEMRCluster() *Rule {
	return &Rule{
		ID: "aws.emr.idle_cluster", Code: "A22", Version: 1,
		Title:       "Idle EMR cluster",
		Description: "An EMR cluster reports IsIdle = 1 when it runs no job; a cluster idle for hours at the end of the day keeps billing every instance.",
		Signal:      "running; IsIdle (hourly minimum) is 1 for the last idle_hours hours of the metric window",
		Provider:    valdrix.AWS, Types: []string{"aws.emr.cluster"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			{Name: "idle_hours", Unit: UnitHours, Default: 1, Min: 1, Max: 24, Integer: true, Description: "trailing hours of IsIdle = 1 (the window ends at the start of today, UTC)",
				Source: "thrifty emr_cluster_is_idle_30_minutes (30 min; hourly metric periods round it up to 1 h)"},
		},
		Action:        Action{Kind: ActionTerminate, Reversible: false, Description: "Terminate the cluster (enable auto-termination for the next one)."},
		SavingsMethod: savingsAll,
		Confidence:    0.75,
		Queries: func(s *Subject) []MetricSpec {
			if !stateIs(s, "running", "waiting") {
				return nil
			}
			return []MetricSpec{{Key: "idle", Namespace: "AWS/ElasticMapReduce", Metric: "IsIdle", Dimensions: awsDim("JobFlowId", s.ID),
				Stat: "Minimum", Period: time.Hour, Days: 1}}
		},
		Evaluate: func(s *Subject) Verdict {
			if !stateIs(s, "running", "waiting") {
				return OK("the cluster is " + s.State)
			}
			n := pdays(s, "idle_hours")
			ws, v := s.Windows(n, "idle")
			if v != nil {
				return *v
			}
			pts := ws[0].Points
			for _, p := range pts[len(pts)-n:] {
				if p.Value < 1 {
					return OK("ran jobs in the last hours of the window")
				}
			}
			return Waste(fmt.Sprintf("idle for the last %d hours of the window", n), deleteSavings(s))
		},
	}
}
