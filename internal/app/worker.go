package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/valdrix/valdrix/internal/jobs"
)

// RunWorker works background jobs until ctx is cancelled, without the API
// (valdrix worker). With Config.MetricsAddr it also serves /metrics and
// /healthz there. ready, when set, is called once the workers run, with the
// metrics address (or "").
func RunWorker(ctx context.Context, core *Core, ready func(metricsAddr string)) error {
	if err := core.Jobs.Start(ctx); err != nil {
		return err
	}
	var (
		srv  *http.Server
		errc = make(chan error, 1)
		addr string
	)
	if core.Config.MetricsAddr != "" {
		ln, err := net.Listen("tcp", core.Config.MetricsAddr)
		if err != nil {
			return settingError("metrics-addr", "cannot listen on %s: %v", core.Config.MetricsAddr, err)
		}
		addr = ln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(core.Registry, promhttp.HandlerOpts{Registry: core.Registry}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
		})
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(core.Log.Handler(), slog.LevelWarn)}
		go func() { errc <- srv.Serve(ln) }()
	}
	core.Log.InfoContext(ctx, "working jobs", "database", core.Store.Dialect(), "metrics", addr)
	if ready != nil {
		ready(addr)
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("metrics server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), core.Config.ShutdownTimeout)
	defer cancel()
	if srv != nil {
		_ = srv.Shutdown(sctx)
	}
	return errors.Join(err, core.Jobs.Stop(sctx))
}

// Housekeeping: Valdrix's own periodic jobs.

type sweepSessionsArgs struct{}

func (sweepSessionsArgs) Kind() string { return "valdrix.sessions.sweep" }

// registerHousekeeping adds the hourly sweep of expired sessions.
func registerHousekeeping(rt *jobs.Runtime, c *Core) error {
	if err := jobs.Register(rt, jobs.Kind[sweepSessionsArgs]{
		Queue: jobs.MaintenanceQueue, MaxAttempts: 3, Timeout: time.Minute,
		Work: func(ctx context.Context, _ *jobs.Job[sweepSessionsArgs]) error {
			n, err := c.Store.DeleteExpiredSessions(ctx, c.Clock.Now())
			if err != nil {
				return err
			}
			if n > 0 {
				c.Log.InfoContext(ctx, "deleted expired sessions", "count", n)
			}
			return nil
		},
	}); err != nil {
		return err
	}
	return rt.AddPeriodic("sessions_sweep", jobs.Every(time.Hour), func() jobs.Args { return sweepSessionsArgs{} }, true)
}
