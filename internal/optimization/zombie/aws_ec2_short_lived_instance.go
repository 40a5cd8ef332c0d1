package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

func awsShortLivedInstance() *Rule {
	return &Rule{
		ID: "aws.ec2.short_lived_instance", Code: "A15", Version: 1,
		Title:       "Short-lived on-demand instance",
		Description: "An instance billed for only a few hours, on one or two days, is a batch or test workload that Spot capacity runs for much less. Advice: opt in.",
		Signal:      "on-demand BoxUsage totalling under max_hours, all within recent_days days",
		Provider:    valdrix.AWS, Types: []string{"aws.ec2.instance"}, Data: DataBilling,
		Thresholds: []Threshold{
			{Name: "max_hours", Unit: UnitHours, Default: 6, Min: 1, Max: 72, Description: "instances billed for fewer hours than this are short-lived", Source: "OptScale short_living_instances (6 h)"},
			windowDays("recent_days", 3, "the usage must fall within this many days", "OptScale short_living_instances (3 d)"),
		},
		Action:        Action{Kind: ActionReview, Reversible: true, Description: "Run the workload on Spot instances or as a batch job."},
		SavingsMethod: "not estimated: Spot prices vary (the finding is unpriced advice)",
		Confidence:    0.6,
		OptIn:         true,
		Billing:       boxUsage,
		Evaluate: func(s *Subject) Verdict {
			n := pdays(s, "recent_days")
			from, v := billedWindow(s, n)
			if v != nil {
				return *v
			}
			b := s.Usage.Where(boxUsage)
			if b.Empty() {
				return OK("no instance hours in the window")
			}
			first, _ := b.FirstDay()
			hours := b.Quantity().Float64()
			if first < from || hours >= s.Param("max_hours") {
				return OK(fmt.Sprintf("%.1f hours since %s", hours, first))
			}
			return Waste(fmt.Sprintf("billed %.1f on-demand hours, all since %s", hours, first),
				Unpriced("advice: the Spot saving depends on the Spot price"), F("hours", hours))
		},
	}
}
