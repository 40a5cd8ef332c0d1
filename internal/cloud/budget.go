package cloud

import (
	"context"
	"sync"

	"github.com/valdrix/valdrix/internal/valdrix"
)

// MemoryBudget is an in-process Budget: Limit calls per tenant, API and UTC
// day. It is for tests and single-process use; the store-backed budget shares
// the count between processes.
type MemoryBudget struct {
	limit int
	clock valdrix.Clock

	mu   sync.Mutex
	used map[budgetKey]int
}

type budgetKey struct {
	tenant valdrix.TenantID
	api    string
	day    valdrix.Date
}

// NewMemoryBudget returns a budget of limit calls per tenant, API and day.
func NewMemoryBudget(limit int, clock valdrix.Clock) *MemoryBudget {
	return &MemoryBudget{limit: limit, clock: clock, used: map[budgetKey]int{}}
}

// Reserve grants up to n calls.
func (b *MemoryBudget) Reserve(_ context.Context, tenant valdrix.TenantID, api string, n int) (int, error) {
	if n <= 0 {
		return 0, nil
	}
	day := valdrix.DateOf(b.clock.Now())
	k := budgetKey{tenant, api, day}
	b.mu.Lock()
	defer b.mu.Unlock()
	for old := range b.used {
		if old.day < day {
			delete(b.used, old)
		}
	}
	grant := min(n, max(0, b.limit-b.used[k]))
	b.used[k] += grant
	return grant, nil
}

// Used returns the calls granted to tenant for api today.
func (b *MemoryBudget) Used(tenant valdrix.TenantID, api string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used[budgetKey{tenant, api, valdrix.DateOf(b.clock.Now())}]
}
