package zombie

import "github.com/valdrix/valdrix/internal/valdrix"

var vpnHours = UsageTypeHas("VPN-Usage-Hours")

func awsIdleVPNConnection() *Rule {
	return &Rule{
		ID: "aws.vpn.idle_connection", Code: "A31", Version: 1,
		Title:       "Site-to-site VPN connection without traffic",
		Description: "A VPN connection bills every hour it exists. Tunnels that carried no data for a month are unused.",
		Signal:      "billed VPN hours, and TunnelDataIn + TunnelDataOut sum to 0 on every day of window_days",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.vpn_connection"}, Data: DataBilling | DataMetrics,
		Thresholds: []Threshold{
			windowDays("window_days", 30, "days of metrics", "AWS Trusted Advisor Inactive VPN connections"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Delete the VPN connection (and its customer gateway if unused)."},
		SavingsMethod: savingsAll,
		Confidence:    0.85,
		Billing:       vpnHours,
		Queries: func(s *Subject) []MetricSpec {
			d, dims := pdays(s, "window_days"), awsDim("VpnId", s.ID)
			return []MetricSpec{
				{Key: "in", Namespace: "AWS/VPN", Metric: "TunnelDataIn", Dimensions: dims, Stat: "Sum", Days: d},
				{Key: "out", Namespace: "AWS/VPN", Metric: "TunnelDataOut", Dimensions: dims, Stat: "Sum", Days: d},
			}
		},
		Evaluate: func(s *Subject) Verdict {
			if s.Resource == nil && s.Usage.Where(vpnHours).Empty() {
				return OK("no VPN hours in the window")
			}
			return noTraffic(s)
		},
	}
}
