package zombie

import (
	"fmt"

	"github.com/valdrix/valdrix/internal/valdrix"
)

var paidEvents = UsageTypeHas("PaidEventsRecorded")

func awsPaidTrailEvents() *Rule {
	return &Rule{
		ID: "aws.cloudtrail.paid_trail_events", Code: "A30", Version: 1,
		Title:       "Duplicate CloudTrail trail",
		Description: "The first copy of management events is free; every further trail recording them is billed per 100,000 events (PaidEventsRecorded). Paid management events mean overlapping trails.",
		Signal:      "PaidEventsRecorded on any of the last recent_days days",
		Provider:    valdrix.AWS, Types: []string{"aws.cloudtrail.trail"}, Data: DataBilling,
		Thresholds: []Threshold{
			windowDays("recent_days", 7, "days counted back from the last ledger day", "thrifty multiple_global_trails / multiple_regional_trails"),
		},
		Action:        Action{Kind: ActionDelete, Reversible: false, Description: "Consolidate into one trail (or an organisation trail) and delete the duplicates."},
		SavingsMethod: "the monthly cost of the trail's PaidEventsRecorded lines (" + savingsLines + ")",
		Confidence:    0.9,
		Billing:       paidEvents,
		Evaluate: func(s *Subject) Verdict {
			n := pdays(s, "recent_days")
			from, v := billedWindow(s, n)
			if v != nil {
				return *v
			}
			p := s.Usage.Where(paidEvents).Since(from)
			if p.Empty() {
				return OK(fmt.Sprintf("no paid events in the last %d days", n))
			}
			return Waste(fmt.Sprintf("%s paid management events in the last %d days", p.Quantity(), n), costOf(s.Usage.Where(paidEvents)))
		},
	}
}
