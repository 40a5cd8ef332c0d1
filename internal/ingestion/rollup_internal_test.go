package ingestion

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// orderDay's bucketed sort gives exactly the order of a comparison sort by
// (dayHash, whole key), whatever the mix of rows: unique keys, rows that
// share the hashed fields (one large bucket), duplicates of one key.
func TestOrderDayMatchesAFullSort(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		n        int
		variants int // distinct values per hashed field
	}{
		{"empty", 0, 10},
		{"one", 1, 10},
		{"few", 7, 3},
		{"mostly unique", 5000, 1000},
		{"buckets of equal hashes", 3000, 4},
		{"one hash", 400, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.variants)))
			rows := make([]LedgerRow, tc.n)
			for i := range rows {
				rows[i] = LedgerRow{
					ResourceID:     fmt.Sprintf("r%d", rng.IntN(tc.variants)),
					SubAccountID:   fmt.Sprintf("a%d", rng.IntN(tc.variants)),
					UsageType:      fmt.Sprintf("u%d", rng.IntN(tc.variants)),
					ChargeCategory: "Usage",
					Tags:           fmt.Sprintf(`{"k":"%d"}`, rng.IntN(5)), // not hashed: ties on the hash
					LineCount:      int64(i),                               // tells duplicates apart
				}
			}
			want := slices.Clone(rows)
			slices.SortStableFunc(want, func(a, b LedgerRow) int {
				return cmp.Or(cmp.Compare(dayHash(&a), dayHash(&b)), compareRows(&a, &b))
			})
			orderDay(rows)
			require.Len(t, rows, tc.n)
			for i := range rows {
				// Rows of one key may come in any order among themselves;
				// everything else is fixed.
				require.True(t, sameKey(&want[i], &rows[i]), "row %d: %+v, want %+v", i, rows[i], want[i])
			}
			seen := map[int64]bool{}
			for _, r := range rows {
				seen[r.LineCount] = true
			}
			require.Len(t, seen, tc.n, "a row was lost or doubled")
		})
	}
}
