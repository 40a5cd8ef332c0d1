package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

var azureVMIdle = vmIdle{
	running: []string{"running"}, namespace: "Microsoft.Compute/virtualMachines", cpu: "Percentage CPU", net: "Network Out Total",
	cpuScale: 1, netStat: "Total", dimensions: resourceDims,
}

func azureIdleVM() *Rule {
	return &Rule{
		ID: "azure.compute.idle_vm", Code: "Z5", Version: 1,
		Title:       "Idle virtual machine",
		Description: "A running VM whose CPU stays near zero and that sends almost nothing for two weeks does no work. Missing, throttled or denied metrics give unknown, never idle.",
		Signal:      "running; mean daily Percentage CPU below cpu_percent and Network Out Total at most network_bytes_per_day on every day of window_days",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.virtual_machine"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds:    vmIdleThresholds(),
		Action:        Action{Kind: ActionStop, Reversible: true, Description: "Stop and deallocate the VM (delete it once nobody claims it)."},
		SavingsMethod: "the VM's monthly compute cost (its own ledger lines; managed disks stay billed while deallocated)",
		Confidence:    0.85,
		Queries:       azureVMIdle.queries,
		Evaluate:      azureVMIdle.evaluate,
	}
}
