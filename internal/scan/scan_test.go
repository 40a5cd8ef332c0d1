package scan_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/cloud/aws"
	"github.com/valdrix/valdrix/internal/cloudsim"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/ingestion"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/keyring"
	"github.com/valdrix/valdrix/internal/optimization"
	"github.com/valdrix/valdrix/internal/reporting"
	"github.com/valdrix/valdrix/internal/scan"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

var sys = governance.SystemActor("test")

type bundle struct {
	db     *store.DB
	gov    *governance.Service
	inv    *inventory.Service
	runner *scan.Runner
	opt    *optimization.Service
	sim    *cloudsim.Sim
	// shift moves the clock every module reads past the estate's time.
	shift  *atomic.Int64
	tenant valdrix.TenantID
	conn   inventory.Connection
	acct   string
}

func setup(t *testing.T, open storetest.Opener) bundle {
	t.Helper()
	ctx := context.Background()
	sim, err := cloudsim.New(cloudsim.Config{EstateConfig: cloudsim.EstateConfig{
		Seed: 11, Resources: 400, AWSRegions: 2, AWSAccounts: 2, Mix: map[valdrix.Provider]float64{valdrix.AWS: 1},
	}, TrustAll: true})
	require.NoError(t, err)
	require.NoError(t, sim.Start(t.Context()))
	t.Cleanup(func() { _ = sim.Close() })
	e := sim.Estate()
	shift := &atomic.Int64{}
	clock := valdrix.ClockFunc(func() time.Time { return e.Now.Add(time.Duration(shift.Load())) })
	ak, sk := sim.PlatformCredentials()
	p, err := aws.New(aws.Config{AccessKeyID: ak, SecretAccessKey: sk, Endpoint: sim.Endpoints().AWS,
		RetryMaxBackoff: 10 * time.Millisecond, RetryMaxAttempts: 3, DefaultRateLimit: 10000, Clock: clock})
	require.NoError(t, err)
	adapters := cloud.Set{valdrix.AWS: {Inventory: p, Tester: p, Costs: p, Metrics: p}}
	db := open(t)
	gov, err := governance.New(governance.Config{Store: db, Keyring: keyring.Generate(time.Now()), Clock: clock, PasswordParams: governance.PasswordParams{Time: 1, Memory: 64, Threads: 1}})
	require.NoError(t, err)
	inv, err := inventory.New(inventory.Config{Store: db, Secrets: gov, Audit: gov, Adapters: adapters, Clock: clock})
	require.NoError(t, err)
	importer, err := ingestion.NewImporter(ingestion.ImporterConfig{Store: db, Clock: clock})
	require.NoError(t, err)
	runner, err := scan.New(scan.Config{Inventory: inv, Importer: importer, Adapters: adapters, Clock: clock, TempDir: t.TempDir()})
	require.NoError(t, err)
	eng, err := optimization.NewEngine(optimization.Config{Clock: clock})
	require.NoError(t, err)
	opt, err := optimization.NewService(optimization.ServiceConfig{Store: db, Engine: eng, Connections: inv, Settings: gov, Audit: gov,
		Adapters: adapters, Clock: clock})
	require.NoError(t, err)
	runner.SetDetector(opt)
	tn, err := gov.CreateTenant(ctx, sys, "Acme")
	require.NoError(t, err)
	acct := e.Accounts[e.AccountsOf(valdrix.AWS)[1]].ID
	bucket := "cur-" + acct
	_, err = sim.ExportCUR2(ctx, cloudsim.CUR2Export{AccountID: acct, Bucket: bucket, Prefix: "cur2", Start: e.Now.AddDate(0, 0, -40), End: e.Now})
	require.NoError(t, err)
	conn, _, err := inv.CreateConnection(ctx, sys, tn.ID, inventory.ConnectionSpec{Provider: valdrix.AWS, Name: "prod",
		AWS: &inventory.AWSSettings{AccountID: acct, ExportBucket: bucket, ExportPrefix: "cur2", ExportRegion: "us-east-1"}})
	require.NoError(t, err)
	return bundle{db: db, gov: gov, inv: inv, runner: runner, opt: opt, sim: sim, shift: shift, tenant: tn.ID, conn: conn, acct: acct}
}

// TestIngestFromConnection reads the connection's CUR 2.0 export from the
// simulator's S3 through the real SDK and imports it: the ledger holds
// exactly the simulator's billing lines, and a second run is a no-op.
func TestIngestFromConnection(t *testing.T) {
	t.Parallel()
	for name, open := range storetest.Dialects() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, open)
			imports, err := b.runner.Ingest(ctx, sys, b.tenant, b.conn.ID, scan.IngestOpts{})
			require.NoError(t, err)
			// The estate's clock is 2026-11-01 00:00: the export holds October
			// (the previous month); November has no lines yet.
			require.Len(t, imports, 1)
			require.Equal(t, valdrix.NewMonth(2026, 10), imports[0].BillingPeriod)
			for _, imp := range imports {
				require.Equal(t, ingestion.ImportSucceeded, imp.Status)
				require.Equal(t, ingestion.FormatCUR2, imp.Format)
				require.Equal(t, b.conn.ID, imp.SourceID)
			}
			e := b.sim.Estate()
			prev := valdrix.MonthOf(e.Now) - 1
			var want valdrix.Decimal
			require.NoError(t, e.BillingLines(cloudsim.BillingConfig{Start: e.Now.AddDate(0, 0, -40), End: e.Now, Accounts: []string{b.acct}},
				func(l *cloudsim.BillingLine) error {
					if l.BillingPeriod >= prev {
						want, _ = want.Add(l.UnblendedCost)
					}
					return nil
				}))
			g, err := b.db.QueryCosts(ctx, b.tenant, reporting.CostQuery{From: prev.Start(), To: valdrix.DateOf(e.Now).AddDays(1)})
			require.NoError(t, err)
			require.Len(t, g, 1)
			require.Equal(t, want, g[0].BilledCost, "the ledger holds exactly the simulator's lines")

			again, err := b.runner.Ingest(ctx, sys, b.tenant, b.conn.ID, scan.IngestOpts{})
			require.NoError(t, err)
			for _, imp := range again {
				require.Equal(t, ingestion.ImportUnchanged, imp.Status, "an unchanged delivery is a no-op")
			}
		})
	}
}
