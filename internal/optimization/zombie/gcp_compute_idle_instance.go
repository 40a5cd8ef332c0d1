package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

var gcpVMIdle = vmIdle{
	running: []string{"running"}, namespace: "compute.googleapis.com", cpu: "compute.googleapis.com/instance/cpu/utilization",
	net: "compute.googleapis.com/instance/network/sent_bytes_count", cpuScale: 100, netStat: "Sum", dimensions: resourceDims,
}

func gcpIdleInstance() *Rule {
	return &Rule{
		ID: "gcp.compute.idle_instance", Code: "G4", Version: 1,
		Title:       "Idle Compute Engine instance",
		Description: "A running instance whose CPU stays near zero and that sends almost nothing for two weeks does no work. Missing, throttled or denied metrics give unknown, never idle.",
		Signal:      "running; mean daily CPU utilisation below cpu_percent and sent bytes at most network_bytes_per_day on every day of window_days",
		Provider:    valdrix.GCP, Types: []string{"gcp.compute.instance"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds:    vmIdleThresholds(),
		Action:        Action{Kind: ActionStop, Reversible: true, Description: "Stop the instance (delete it once nobody claims it)."},
		SavingsMethod: "the instance's monthly compute cost (its own ledger lines; disks stay billed while stopped)",
		Confidence:    0.85,
		Queries:       gcpVMIdle.queries,
		Evaluate:      gcpVMIdle.evaluate,
	}
}
