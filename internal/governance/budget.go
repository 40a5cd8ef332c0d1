package governance

import (
	"cmp"
	"context"
	"errors"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// BudgetStore keeps the daily API budget counters (the store does).
type BudgetStore interface {
	ReserveAPIBudget(ctx context.Context, tenant valdrix.TenantID, api string, day valdrix.Date, n, limit int64) (int64, error)
}

// DefaultAPIDailyLimit is the default number of calls a tenant may make to
// one metered cloud API a day (metrics APIs bill per call): 3,000, the
// governor of the earlier implementation (../shared/reference/rules.md,
// "Cloud API budget").
const DefaultAPIDailyLimit = 3000

// APIBudget rations metered cloud API calls per tenant, API and UTC day.
// Counters live in the store, so every process shares them. It satisfies
// cloud.Budget.
type APIBudget struct {
	store  BudgetStore
	limit  int64
	clock  valdrix.Clock
	denied func(api string, n int)
}

// NewAPIBudget returns a budget of limit calls per tenant, API and day
// (DefaultAPIDailyLimit when 0). denied, when set, is told of every refusal
// (for metrics).
func NewAPIBudget(store BudgetStore, limit int, clock valdrix.Clock, denied func(api string, n int)) (*APIBudget, error) {
	if store == nil {
		return nil, errors.New("governance: the API budget needs a store")
	}
	if limit < 0 {
		return nil, valdrix.FieldError("cloud_api_daily_budget", "must not be negative")
	}
	return &APIBudget{store: store, limit: int64(cmp.Or(limit, DefaultAPIDailyLimit)),
		clock: cmp.Or[valdrix.Clock](clock, valdrix.SystemClock{}), denied: denied}, nil
}

// Reserve grants up to n calls of api to tenant today and returns how many.
func (b *APIBudget) Reserve(ctx context.Context, tenant valdrix.TenantID, api string, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	got, err := b.store.ReserveAPIBudget(ctx, tenant, api, valdrix.DateOf(b.clock.Now().UTC()), int64(n), b.limit)
	if err != nil {
		return 0, err
	}
	if int(got) < n && b.denied != nil {
		b.denied(api, n-int(got))
	}
	return int(got), nil
}
