package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/store"
	"github.com/valdrix/valdrix/internal/store/storetest"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// Test job kinds.

// echoArgs is a tenant's job.
type echoArgs struct {
	Tenant valdrix.TenantID `json:"tenant_id"`
	N      int              `json:"n"`
}

func (echoArgs) Kind() string                 { return "test.echo" }
func (a echoArgs) TenantID() valdrix.TenantID { return a.Tenant }

// sysArgs is a job of no tenant.
type sysArgs struct {
	N int `json:"n"`
}

func (sysArgs) Kind() string { return "test.sys" }

// lockedBuffer collects logs from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bundle is one test's database and runtime.
type bundle struct {
	db   *store.DB
	rt   *jobs.Runtime
	reg  *prometheus.Registry
	logs *lockedBuffer
}

// dialects are the databases every runtime test runs on.
func dialects() []string { return []string{store.SQLite, store.Postgres} }

func openDB(t *testing.T, dialect string) *store.DB {
	t.Helper()
	return storetest.Dialects()[dialect](t)
}

// openPGNodes opens n stores on one fresh PostgreSQL database, each with its
// own pool, as n processes would.
func openPGNodes(t testing.TB, n int) []*store.DB {
	t.Helper()
	urls := storetest.NewPGDatabase(t)
	out := make([]*store.DB, n)
	for i := range out {
		db, err := store.Open(context.Background(), store.Config{URL: urls.App, MigrateURL: urls.Owner, MaxConns: 8})
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		out[i] = db
	}
	return out
}

// config is a test runtime's configuration on db.
func config(db *store.DB, work bool) jobs.Config {
	cfg := jobs.Config{Work: work, TestMode: true, CurrentTx: db.Tx, Alerts: db, RescueAfter: time.Hour}
	if db.Pool() != nil {
		cfg.Postgres = db.Pool()
	} else {
		cfg.SQLite, cfg.SQLiteRead = db.SQLite().Write, db.SQLite().Read
	}
	return cfg
}

// newBundle builds a runtime on db; register adds kinds before it starts
// (when cfg.Work is set).
func newBundle(t *testing.T, db *store.DB, cfg jobs.Config, register func(rt *jobs.Runtime)) *bundle {
	t.Helper()
	b := &bundle{db: db, reg: prometheus.NewRegistry(), logs: &lockedBuffer{}}
	cfg.Registerer = b.reg
	cfg.Logger = slog.New(slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rt, err := jobs.New(cfg)
	require.NoError(t, err)
	if register != nil {
		register(rt)
	}
	require.NoError(t, rt.Start(context.Background()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := rt.Stop(ctx)
		if err != nil {
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		}
		require.NoError(t, err)
	})
	b.rt = rt
	return b
}

// must registers a kind or fails the test.
func must[A jobs.Args](t *testing.T, rt *jobs.Runtime, k jobs.Kind[A]) {
	t.Helper()
	require.NoError(t, jobs.Register(rt, k))
}

// watcher collects a runtime's events so that a test can wait for one
// that may already have passed.
type watcher struct {
	ch   <-chan jobs.Event
	seen []jobs.Event
}

// watch subscribes to rt's events until the test ends.
func watch(t *testing.T, rt *jobs.Runtime) *watcher {
	ch, stop := rt.Subscribe()
	t.Cleanup(stop)
	return &watcher{ch: ch}
}

// await returns the event of kind want for job id, seen before or arriving
// within 30s.
func await(t *testing.T, w *watcher, id int64, want jobs.EventKind) jobs.Event {
	t.Helper()
	match := func(e jobs.Event) bool { return e.Job.ID == id && e.Kind == want }
	for _, e := range w.seen {
		if match(e) {
			return e
		}
	}
	deadline := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-w.ch:
			require.True(t, ok, "event stream closed while waiting for job %d", id)
			w.seen = append(w.seen, e)
			if match(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("job %d: no %s event within 30s (saw %d others)", id, want, len(w.seen))
		}
	}
}

// eventually polls cond every 20ms until it holds, failing after 30s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

// metric returns the value of the series of name whose labels include
// labels (a counter's count, a gauge's value, a histogram's sample count),
// summed over matching series; ok is false when none exists.
func metric(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var (
		sum   float64
		found bool
	)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			found = true
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum, found
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// tenant creates a tenant for jobs to name.
func tenant(t *testing.T, db *store.DB) valdrix.TenantID {
	t.Helper()
	return storetest.MustTenant(t, db, "T"+valdrix.NewID()[:8]).ID
}

func countLines(s, substr string) int {
	n := 0
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

var errBoom = errors.New("boom")
