package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const gcpCUDSource = "GCP committed use discounts: 37 % (one year) to 55 % (three years) for general-purpose machine types"

func gcpVMCompute(l *Line) bool {
	b := strings.ToLower(l.UsageType)
	return l.ChargeCategory == "Usage" && (strings.Contains(b, "core") || strings.Contains(b, "ram") || strings.Contains(b, "instance"))
}

func gcpLongRunningInstance() *Rule {
	return &Rule{
		ID: "gcp.compute.long_running_instance", Code: "G5", Version: 1,
		Title:       "Instance on demand for months",
		Description: "An instance billed on demand every day for months is a steady load a committed use discount covers. Purchase advice: opt in.",
		Signal:      "vCPU/RAM lines on demand on each of the last on_demand_days days and the instance at least min_age_days old",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.instance"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(37, gcpCUDSource),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Buy a resource-based committed use discount for the instance's vCPUs and memory."},
		SavingsMethod: "the on-demand compute cost × commitment_discount_percent",
		Confidence:    0.7,
		OptIn:         true,
		Billing:       gcpVMCompute,
		Evaluate: func(s *Subject) Verdict {
			if s.Resource != nil && !stateIs(s, "running") {
				return OK("the instance is " + s.State)
			}
			return onDemandLongRunning(s, gcpVMCompute, gcpCUDSource)
		},
	}
}
