package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valdrix/valdrix/internal/app"
	"github.com/valdrix/valdrix/internal/cli"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/valdrix"
)

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

type cliJob struct {
	Tenant valdrix.TenantID `json:"tenant_id"`
}

func (cliJob) Kind() string                 { return "test.cli_job" }
func (j cliJob) TenantID() valdrix.TenantID { return j.Tenant }

// seedJobs enqueues a job for tenant and one for another tenant, through
// the same wiring the server uses.
func seedJobs(t *testing.T, dir string, tenant, other valdrix.TenantID) (mine, theirs int64) {
	t.Helper()
	cfg := app.Config{DataDir: dir, AutoMigrate: true, MaxDBConns: 2, HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Second,
		SessionTTL: time.Hour, LogLevel: "info", LogFormat: "text", ScanTimeout: 5 * time.Minute, JobWorkers: 1, JobRescueAfter: time.Hour, JobStuckAfter: time.Hour}
	core, err := app.OpenCore(context.Background(), cfg, slog.New(slog.DiscardHandler), app.Options{})
	require.NoError(t, err)
	defer core.Close() //nolint:errcheck
	require.NoError(t, jobs.Register(core.Jobs, jobs.Kind[cliJob]{Work: func(context.Context, *jobs.Job[cliJob]) error { return nil }}))
	a, err := core.Jobs.Enqueue(context.Background(), cliJob{Tenant: tenant}, jobs.EnqueueOpts{Key: "k1", ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	b, err := core.Jobs.Enqueue(context.Background(), cliJob{Tenant: other}, jobs.EnqueueOpts{})
	require.NoError(t, err)
	return a.ID, b.ID
}

func TestJobsCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cmd := func(args ...string) result { return run(t, nil, "", append(args, "--data-dir", dir)...) }
	r := cmd("tenant", "create", "--name", "Acme")
	require.Equal(t, 0, r.code, r.stderr)
	tenant := valdrix.TenantID(strings.TrimSpace(r.stdout))
	r = cmd("tenant", "create", "--name", "Beta")
	require.Equal(t, 0, r.code, r.stderr)
	other := valdrix.TenantID(strings.TrimSpace(r.stdout))
	mine, theirs := seedJobs(t, dir, tenant, other)

	r = cmd("jobs", "list", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var page struct {
		Items []jobs.Info `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Items, 2, "the operator sees every tenant's jobs")

	r = cmd("jobs", "list", "--tenant", string(tenant), "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Items, 1)
	require.Equal(t, mine, page.Items[0].ID)

	r = cmd("jobs", "list", "--state", "scheduled")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "test.cli_job")
	require.Contains(t, r.stdout, "k1")
	require.NotContains(t, r.stdout, string(other))

	r = cmd("jobs", "show", strconv.FormatInt(theirs, 10))
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, string(other))

	r = cmd("jobs", "cancel", strconv.FormatInt(mine, 10), "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	var j jobs.Info
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j))
	require.Equal(t, jobs.StateCancelled, j.State)

	r = cmd("jobs", "retry", strconv.FormatInt(mine, 10), "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &j))
	require.Equal(t, jobs.StateAvailable, j.State)

	r = cmd("jobs", "alerts", "-o", "json")
	require.Equal(t, 0, r.code, r.stderr)
	require.JSONEq(t, "[]", r.stdout)

	r = cmd("jobs", "show", "99999")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "Job 99999 not found")

	r = cmd("jobs", "list", "--state", "stuck")
	require.Equal(t, 1, r.code)
	require.Contains(t, r.stderr, "not a job state")

	r = cmd("migrate", "status")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "river")
	require.Contains(t, r.stdout, "00003_job_alerts.sql")
}

func TestWorkerCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := run(t, nil, "", "migrate", "up", "--data-dir", dir)
	require.Equal(t, 0, r.code, r.stderr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := start(t, ctx, time.Minute, "worker", "--data-dir", dir, "--metrics-addr", "127.0.0.1:0", "--shutdown-timeout", "5s")
	addr, stderr := w.addr, w.stderr
	require.Contains(t, stderr.String(), "working jobs")
	require.Contains(t, stderr.String(), "job runtime started")
	// Every registered kind reports its queue depth on /metrics.
	res, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	_ = res.Body.Close()
	require.Contains(t, string(b), `valdrix_jobs{kind="valdrix.sessions.sweep",state="available"}`)
	cancel()
	require.Equal(t, 0, <-w.done, "graceful shutdown exits 0: %s", stderr.String())
}

func TestServeWithoutWorkers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan int, 1)
	var stderr lockedBuffer
	go func() {
		done <- cli.Main(ctx, []string{"serve", "--no-workers", "--data-dir", dir, "--http-addr", "127.0.0.1:0", "--shutdown-timeout", "5s"}, cli.Env{
			Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
			Getenv: func(string) (string, bool) { return "", false },
			Ready:  func(u string) { urls <- u },
		})
	}()
	select {
	case <-urls:
	case code := <-done:
		t.Fatalf("serve exited with %d: %s", code, stderr.String())
	}
	require.Contains(t, stderr.String(), "API only: run valdrix worker")
	cancel()
	require.Equal(t, 0, <-done)
	require.NotContains(t, stderr.String(), "job runtime started", "no workers ran")
}
