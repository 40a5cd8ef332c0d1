package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// BenchmarkInsertLedgerRows writes one import of 200,000 ledger rows (20,000
// resources over 10 days, the importer's batches of 20,000) into a fresh
// store: the write half of an import, without reading. On PostgreSQL it needs
// VALDRIX_TEST_PG_DSN.
//
//	go test ./internal/store -run '^$' -bench InsertLedgerRows -benchtime 1x
func BenchmarkInsertLedgerRows(b *testing.B) {
	const resources, days, batch = 20_000, 10, 20_000
	sep := valdrix.NewMonth(2026, 9)
	rows := make([]ingestion.LedgerRow, 0, resources*days)
	for d := range days {
		for r := range resources {
			row := storetest.LedgerRow(sep.Start().AddDays(d), fmt.Sprintf("svc-%d", r%40), fmt.Sprintf("arn:aws:ec2:us-east-1:123456789012:instance/i-%017x", r*2654435761),
				fmt.Sprintf(`{"team":"t%d","env":"e%d"}`, r%8, r%3), int64(r%97))
			row.SubAccountID = fmt.Sprintf("%012d", 100000000000+r%50)
			rows = append(rows, row)
		}
	}
	for name, open := range storetest.Dialects() {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			db := open(b)
			tn := storetest.MustTenant(b, db, "Bench").ID
			start := time.Now()
			for b.Loop() {
				id := valdrix.NewID()
				for i := 0; i < len(rows); i += batch {
					require.NoError(b, db.InsertLedgerRows(ctx, tn, "bench", id, rows[i:min(i+batch, len(rows))]))
				}
			}
			b.ReportMetric(float64(len(rows)*b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}
