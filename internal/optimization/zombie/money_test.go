package zombie_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/optimization/zombie"
	"github.com/valdrix/valdrix/internal/valdrix"
)

func TestMoneyJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		m    zombie.Money
		want string
	}{
		{"billed", zombie.Money{Amount: valdrix.NewDecimal(12, 340_000_000), Currency: "USD", State: zombie.CostBilled, Source: "ledger"},
			`{"amount":"12.34","currency":"USD","state":"billed","source":"ledger"}`},
		{"billed zero is a figure", zombie.Money{Currency: "USD", State: zombie.CostBilled, Source: "ledger"},
			`{"amount":"0","currency":"USD","state":"billed","source":"ledger"}`},
		{"estimated", zombie.Estimated(valdrix.NewDecimal(5, 0), "EUR", "gp3 price ratio"),
			`{"amount":"5","currency":"EUR","state":"estimated","source":"gp3 price ratio"}`},
		{"unpriced is never 0", zombie.Unpriced("no ledger lines"), `{"amount":null,"state":"unpriced","source":"no ledger lines"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tc.m)
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(b))
			var back zombie.Money
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, tc.m.State, back.State)
			require.Equal(t, tc.m.Known(), back.Known())
			if tc.m.Known() {
				require.Equal(t, tc.m.Amount, back.Amount)
			}
		})
	}
}
