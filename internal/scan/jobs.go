package scan

import (
	"context"
	"errors"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ScanArgs is a full scan of a connection (ingest, discover, detect).
type ScanArgs struct {
	Tenant     valdrix.TenantID `json:"tenant_id"`
	Connection string           `json:"connection_id"`
	// Day is the day the scan is for (the daily scan's key); on-demand
	// scans carry the day they were asked for.
	Day valdrix.Date `json:"day"`
}

// Kind implements jobs.Args.
func (ScanArgs) Kind() string { return "valdrix.scan" }

// TenantID implements jobs.TenantArgs.
func (a ScanArgs) TenantID() valdrix.TenantID { return a.Tenant }

// IngestArgs imports one billing period of a connection's export.
type IngestArgs struct {
	Tenant     valdrix.TenantID `json:"tenant_id"`
	Connection string           `json:"connection_id"`
	Period     valdrix.Month    `json:"period"`
}

// Kind implements jobs.Args.
func (IngestArgs) Kind() string { return "valdrix.ingest" }

// TenantID implements jobs.TenantArgs.
func (a IngestArgs) TenantID() valdrix.TenantID { return a.Tenant }

// DiscoverArgs inventories a connection.
type DiscoverArgs struct {
	Tenant     valdrix.TenantID `json:"tenant_id"`
	Connection string           `json:"connection_id"`
	Day        valdrix.Date     `json:"day"`
}

// Kind implements jobs.Args.
func (DiscoverArgs) Kind() string { return "valdrix.discover" }

// TenantID implements jobs.TenantArgs.
func (a DiscoverArgs) TenantID() valdrix.TenantID { return a.Tenant }

// DetectArgs detects waste for a connection.
type DetectArgs struct {
	Tenant     valdrix.TenantID `json:"tenant_id"`
	Connection string           `json:"connection_id"`
	Day        valdrix.Date     `json:"day"`
}

// Kind implements jobs.Args.
func (DetectArgs) Kind() string { return "valdrix.detect" }

// TenantID implements jobs.TenantArgs.
func (a DetectArgs) TenantID() valdrix.TenantID { return a.Tenant }

// UnsnoozeArgs reopens, across tenants, the snoozed findings whose date
// has passed.
type UnsnoozeArgs struct{}

// Kind implements jobs.Args.
func (UnsnoozeArgs) Kind() string { return "valdrix.findings.unsnooze" }

// SnoozeExpirer reopens expired snoozes (optimization.Service does).
type SnoozeExpirer interface {
	ReopenExpired(ctx context.Context) (int, error)
}

// jobActor is who the audit log says ran scheduled work.
var jobActor = governance.SystemActor("scheduler")

// ConnectionLister lists every tenant's connections (the store's named
// system-scope read).
type ConnectionLister interface {
	ListAllConnections(ctx context.Context) ([]inventory.Connection, error)
}

// RegisterJobs adds the scan job kinds and the daily scan of every active
// connection, spread over the day by a fixed per-connection slot.
func (r *Runner) RegisterJobs(rt *jobs.Runtime, connections ConnectionLister) error {
	err := errors.Join(
		jobs.Register(rt, jobs.Kind[ScanArgs]{Timeout: jobs.ScanTimeout, MaxAttempts: 3,
			Work: func(ctx context.Context, job *jobs.Job[ScanArgs]) error {
				_, err := r.Run(ctx, jobActor, job.Args.Tenant, job.Args.Connection)
				return permanent(err)
			}}),
		jobs.Register(rt, jobs.Kind[IngestArgs]{Timeout: jobs.ScanTimeout, MaxAttempts: 5,
			Work: func(ctx context.Context, job *jobs.Job[IngestArgs]) error {
				_, err := r.Ingest(ctx, jobActor, job.Args.Tenant, job.Args.Connection, IngestOpts{Periods: []valdrix.Month{job.Args.Period}})
				return permanent(err)
			}}),
		jobs.Register(rt, jobs.Kind[DiscoverArgs]{Timeout: jobs.ScanTimeout, MaxAttempts: 3,
			Work: func(ctx context.Context, job *jobs.Job[DiscoverArgs]) error {
				_, err := r.inv.Discover(ctx, jobActor, job.Args.Tenant, job.Args.Connection, cloud.DiscoverOpts{})
				return permanent(err)
			}}),
		jobs.Register(rt, jobs.Kind[DetectArgs]{Timeout: jobs.ScanTimeout, MaxAttempts: 3,
			Work: func(ctx context.Context, job *jobs.Job[DetectArgs]) error {
				if r.detector == nil {
					return jobs.Cancel(errors.New("no detector in this build"))
				}
				_, err := r.detector.Detect(ctx, jobActor, job.Args.Tenant, job.Args.Connection)
				return permanent(err)
			}}),
	)
	if err != nil {
		return err
	}
	if x, ok := r.detector.(SnoozeExpirer); ok {
		err := jobs.Register(rt, jobs.Kind[UnsnoozeArgs]{Timeout: time.Minute, MaxAttempts: 3,
			Work: func(ctx context.Context, _ *jobs.Job[UnsnoozeArgs]) error {
				_, err := x.ReopenExpired(ctx)
				return err
			}})
		if err != nil {
			return err
		}
		if err := rt.AddPeriodic("findings_unsnooze", jobs.Every(time.Hour), func() jobs.Args { return UnsnoozeArgs{} }, true); err != nil {
			return err
		}
	}
	return jobs.AddDailySpread(rt, jobs.DailySpread[ScanArgs]{
		Name: "daily_scans",
		Items: func(ctx context.Context) ([]string, error) {
			cs, err := connections.ListAllConnections(ctx)
			if err != nil {
				return nil, err
			}
			var keys []string
			for _, c := range cs {
				if c.Status != inventory.StatusDisabled {
					keys = append(keys, string(c.TenantID)+"/"+c.ID)
				}
			}
			return keys, nil
		},
		Args: func(key string, day valdrix.Date) ScanArgs {
			tenant, conn, _ := cutKey(key)
			return ScanArgs{Tenant: valdrix.TenantID(tenant), Connection: conn, Day: day}
		},
	})
}

func cutKey(key string) (string, string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}

// permanent stops retries for errors a retry cannot fix (bad settings, no
// permission, a deleted connection); throttling and outages are retried.
func permanent(err error) error {
	switch valdrix.ErrorCode(err) {
	case "", valdrix.EUNAVAILABLE, valdrix.EINTERNAL:
		return err
	}
	return jobs.Cancel(err)
}

// Enqueue asks for a scan of a connection now (deduplicated per connection
// and day: asking twice gives the same job while it is waiting or running).
func Enqueue(ctx context.Context, rt *jobs.Runtime, tenant valdrix.TenantID, connection string, now time.Time) (jobs.Result, error) {
	day := valdrix.DateOf(now)
	return rt.Enqueue(ctx, ScanArgs{Tenant: tenant, Connection: connection, Day: day},
		jobs.EnqueueOpts{Key: "now/" + connection + "/" + day.String() + "/" + now.UTC().Format("15")})
}
