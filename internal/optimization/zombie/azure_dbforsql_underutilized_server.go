package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func azureUnderutilizedDBServer() *Rule {
	return &Rule{
		ID: "azure.dbforsql.underutilized_server", Code: "Z17", Version: 1,
		Title:       "Over-provisioned MySQL or PostgreSQL flexible server",
		Description: "A flexible server whose daily CPU peak stays low for a week runs on twice the vCores it needs; halving them halves the compute price.",
		Signal:      "the mean of the daily cpu_percent maxima below max_cpu_percent over window_days",
		Provider:    valdrix.Azure, Types: []string{"azure.dbformysql.flexible_server", "azure.dbforpostgresql.flexible_server", "azure.dbformariadb.server"},
		Data: DataMetrics | DataInventory | DataBilling,
		Thresholds: []Threshold{
			windowDays("window_days", 7, "days of metrics", "Azure Advisor OrcasMySql/PostgreSqlCpuRightSize (7 d)"),
			percent("max_cpu_percent", 25, "a mean daily CPU peak below this is over-provisioned", "thrifty rds_db_instance_avg_cpu_utilization_low (25 %), applied to Azure's managed databases"),
		},
		Action:        Action{Kind: ActionModify, Reversible: true, Description: "Scale the server down to half its vCores."},
		SavingsMethod: "half the server's billed compute cost (vCore prices are linear in vCores)",
		Confidence:    0.7,
		Queries: func(s *Subject) []MetricSpec {
			ns := map[string]string{
				"azure.dbformysql.flexible_server":      "Microsoft.DBforMySQL/flexibleServers",
				"azure.dbforpostgresql.flexible_server": "Microsoft.DBforPostgreSQL/flexibleServers",
				"azure.dbformariadb.server":             "Microsoft.DBforMariaDB/servers",
			}[s.Type]
			return []MetricSpec{{Key: "cpu", Namespace: ns, Metric: "cpu_percent", Dimensions: resourceDims(s), Stat: "Maximum", Days: pdays(s, "window_days")}}
		},
		Evaluate: func(s *Subject) Verdict {
			ws, v := s.Windows(pdays(s, "window_days"), "cpu")
			if v != nil {
				return *v
			}
			cpu := ws[0].Mean()
			if cpu >= s.Param("max_cpu_percent") {
				return OK(fmt.Sprintf("daily CPU peaks average %.1f %%", cpu))
			}
			return Waste(fmt.Sprintf("daily CPU peaks average %.1f %% over %d days", cpu, pdays(s, "window_days")),
				s.CostWhere(UsageTypeHas("vCore")).Scale(1, 2, "half the billed vCore cost: vCore prices are linear in vCores (Azure Database pricing)"),
				F("cpu_daily_max_mean", cpu))
		},
	}
}
