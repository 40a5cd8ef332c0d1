package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

func azureIdleVNetGateway() *Rule {
	return &Rule{
		ID: "azure.network.idle_vnet_gateway", Code: "Z8", Version: 1,
		Title:       "Idle virtual network gateway",
		Description: "A VPN or ExpressRoute gateway bills by the hour. Tunnels that carried no data for three months are unused.",
		Signal:      "TunnelIngressBytes + TunnelEgressBytes sum to 0 on every day of window_days",
		Provider:    valdrix.Azure, Types: []string{"azure.network.virtual_network_gateway"}, Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 90, "days of metrics", "Azure Advisor IdleVNetGateway (90 d); thrifty virtual_network_gateway_unused"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the gateway (recreate it from infrastructure code if needed)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Queries: func(s *Subject) []MetricSpec {
			d, dims := pdays(s, "window_days"), resourceDims(s)
			return []MetricSpec{
				{Key: "in", Namespace: "Microsoft.Network/virtualNetworkGateways", Metric: "TunnelIngressBytes", Dimensions: dims, Stat: "Total", Days: d},
				{Key: "out", Namespace: "Microsoft.Network/virtualNetworkGateways", Metric: "TunnelEgressBytes", Dimensions: dims, Stat: "Total", Days: d},
			}
		},
		Evaluate: noTraffic,
	}
}
