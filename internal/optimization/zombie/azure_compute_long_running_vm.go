package zombie

import (
	"strings"

	"github.com/valdrix/valdrix/internal/valdrix"
)

const azureRISource = "Azure Reserved VM Instances: up to 72 % (three years); one-year terms commonly save about 40 %"

func azureVMCompute(l *Line) bool {
	return l.ChargeCategory == "Usage" && (l.ServiceCategory == "Compute" || strings.Contains(l.ServiceName, "Virtual Machines")) &&
		!UsageTypeHas("Disk", "Snapshot")(l)
}

func azureLongRunningVM() *Rule {
	return &Rule{
		ID: "azure.compute.long_running_vm", Code: "Z7", Version: 1,
		Title:       "VM on pay-as-you-go for months",
		Description: "A VM billed at pay-as-you-go rates every day for months is a steady load a reservation or savings plan discounts. Purchase advice: opt in.",
		Signal:      "compute charges on demand on each of the last on_demand_days days and the VM at least min_age_days old",
		Provider:    valdrix.Azure, Types: []string{"azure.compute.virtual_machine"}, Data: DataBilling | DataInventory,
		Thresholds:    commitmentThresholds(40, azureRISource),
		Action:        Action{Kind: ActionPurchase, Reversible: false, Description: "Buy a reservation or an Azure savings plan for compute."},
		SavingsMethod: "the pay-as-you-go compute cost × commitment_discount_percent",
		Confidence:    0.7,
		OptIn:         true,
		Billing:       azureVMCompute,
		Evaluate: func(s *Subject) Verdict {
			if s.Resource != nil && !stateIs(s, "running") {
				return OK("the VM is " + s.State)
			}
			return onDemandLongRunning(s, azureVMCompute, azureRISource)
		},
	}
}
