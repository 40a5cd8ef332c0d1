package inventory

import (
	"context"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// ScanStatus is the outcome of a discovery.
type ScanStatus string

// Scan statuses.
const (
	ScanRunning   ScanStatus = "running"
	ScanSucceeded ScanStatus = "succeeded" // every region and service answered
	ScanPartial   ScanStatus = "partial"   // some failed: results kept, errors recorded
	ScanFailed    ScanStatus = "failed"    // nothing could be scanned
)

// Scan records one discovery of a connection.
type Scan struct {
	ID           string                `json:"id"`
	TenantID     valdrix.TenantID      `json:"tenant_id"`
	ConnectionID string                `json:"connection_id"`
	Kind         string                `json:"kind" doc:"discover"`
	Status       ScanStatus            `json:"status" enum:"running,succeeded,partial,failed"`
	StartedAt    time.Time             `json:"started_at"`
	FinishedAt   *time.Time            `json:"finished_at,omitempty"`
	Resources    int64                 `json:"resources"`
	Report       cloud.DiscoveryReport `json:"report" doc:"Per region and service: status, resources, error, missing permission"`
	// Stages are the steps of a full scan (kind "scan"): ingest, discover,
	// detect, each with its outcome.
	Stages []Stage `json:"stages,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// Stage is one step of a full scan.
type Stage struct {
	Name     string        `json:"name" enum:"ingest,discover,detect"`
	Status   string        `json:"status" enum:"ok,partial,failed,skipped"`
	Detail   string        `json:"detail,omitempty"`
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Resource is an inventoried resource with its history.
type Resource struct {
	cloud.Resource
	ConnectionID string     `json:"connection_id"`
	FirstSeen    time.Time  `json:"first_seen"`
	LastSeen     time.Time  `json:"last_seen"`
	GoneAt       *time.Time `json:"gone_at,omitempty" doc:"When a complete scan of its region no longer found it"`
	ScanID       string     `json:"scan_id" doc:"The scan that last saw it"`
}

// ResourceFilter narrows a resource listing.
type ResourceFilter struct {
	Connection string
	Provider   valdrix.Provider
	Type       string
	Region     string
	Account    string
	// Tag is "key" (present) or "key=value".
	Tag string
	// State is a provider state ("running", "available"…), or "gone" for
	// resources no longer found, or "present" for the others (default:
	// every resource).
	State string
}

// ResourceCount is the number of present resources of a type in a region.
type ResourceCount struct {
	Type   string `json:"type"`
	Region string `json:"region"`
	Count  int64  `json:"count"`
}

// Discover inventories a connection now and records the scan. Regions that
// fail keep their earlier resources; in regions that answered completely,
// resources not found any more are marked gone. A discovery cut short by the
// scan timeout ends partial, never passing a shorter list off as complete.
func (s *Service) Discover(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id string, opts cloud.DiscoverOpts) (Scan, error) {
	if err := actor.Require(tenant, valdrix.RoleMember); err != nil {
		return Scan{}, err
	}
	c, err := s.store.GetConnection(ctx, tenant, id)
	if err != nil {
		return Scan{}, err
	}
	if c.Status == StatusDisabled {
		return Scan{}, valdrix.Errorf(valdrix.ECONFLICT, "The connection is disabled.")
	}
	a, err := s.adapter(c.Provider)
	if err != nil {
		return Scan{}, err
	}
	if a.Inventory == nil {
		return Scan{}, valdrix.Errorf(valdrix.ENOTIMPLEMENTED, "The %s adapter cannot inventory resources.", c.Provider)
	}
	cc, err := s.CloudConnection(ctx, c)
	if err != nil {
		return Scan{}, err
	}
	start := s.now()
	scan := Scan{ID: valdrix.NewID(), TenantID: tenant, ConnectionID: c.ID, Kind: "discover", Status: ScanRunning, StartedAt: start}
	if err := s.store.CreateScan(ctx, scan); err != nil {
		return Scan{}, err
	}
	sink := func(ctx context.Context, batch []cloud.Resource) error {
		for i := range batch {
			batch[i].Provider = c.Provider
		}
		return s.store.UpsertResources(ctx, tenant, c.ID, scan.ID, s.now(), batch)
	}
	rep, derr := a.Inventory.Discover(ctx, cc, opts, sink)
	// Finish the record even when the caller's context is done.
	fctx := context.WithoutCancel(ctx)
	scan.Report, scan.Resources = rep, int64(rep.Resources)
	now := s.now()
	scan.FinishedAt = &now
	switch {
	case derr != nil:
		scan.Status, scan.Error = ScanFailed, valdrix.ErrorMessage(derr)
		if rep.Resources > 0 {
			scan.Status = ScanPartial
		}
	case rep.Complete:
		scan.Status = ScanSucceeded
	default:
		scan.Status = ScanPartial
	}
	// Mark gone only where the scan saw everything: regions whose every
	// service answered, and only for a scan over all services.
	if derr == nil && len(opts.Services) == 0 {
		var complete []string
		failed := map[string]bool{}
		for _, it := range rep.Items {
			if it.Status != cloud.ScanOK {
				failed[it.Region] = true
			}
		}
		for _, it := range rep.Items {
			if !failed[it.Region] && !contains(complete, it.Region) {
				complete = append(complete, it.Region)
			}
		}
		if len(complete) > 0 {
			if _, err := s.store.MarkResourcesGone(fctx, tenant, c.ID, complete, start, now); err != nil {
				s.log.ErrorContext(ctx, "mark resources gone", "tenant_id", string(tenant), "connection_id", c.ID, "error", err)
			}
		}
	}
	if err := s.store.UpdateScan(fctx, scan); err != nil {
		return scan, err
	}
	if err := s.audit.Record(fctx, actor, tenant, "connection.discover", c.ID, map[string]any{"scan": scan.ID, "status": string(scan.Status), "resources": scan.Resources}); err != nil {
		s.log.ErrorContext(ctx, "audit discovery", "error", err)
	}
	if scan.Status == ScanFailed {
		return scan, derr
	}
	return scan, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// GetScan returns one scan.
func (s *Service) GetScan(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, id string) (Scan, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return Scan{}, err
	}
	return s.store.GetScan(ctx, tenant, id)
}

// ListScans lists scans, newest first, of one connection or all.
func (s *Service) ListScans(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string, page governance.Page) ([]Scan, string, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return nil, "", err
	}
	return s.store.ListScans(ctx, tenant, connection, page.Normalize())
}

// ListResources lists inventoried resources.
func (s *Service) ListResources(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, f ResourceFilter, page governance.Page) ([]Resource, string, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return nil, "", err
	}
	if f.Provider != "" && !f.Provider.Valid() {
		return nil, "", valdrix.FieldError("provider", "unknown provider %q", f.Provider)
	}
	return s.store.ListResources(ctx, tenant, f, page.Normalize())
}

// CountResources counts a connection's present resources by type and region.
func (s *Service) CountResources(ctx context.Context, actor governance.Actor, tenant valdrix.TenantID, connection string) ([]ResourceCount, error) {
	if err := actor.Require(tenant, valdrix.RoleViewer); err != nil {
		return nil, err
	}
	return s.store.CountResources(ctx, tenant, connection)
}

// ScanInterrupted is the error of a scan record whose process stopped
// before it finished (killed, out of memory): InterruptStale sets it.
const ScanInterrupted = "interrupted: the process running this scan stopped before it finished"

// InterruptStale marks the connection's scans still recorded as running
// that began before `before` failed: a scan that old cannot be running
// (its job's timeout has passed), so its process died. The scan runner
// calls it before it starts a scan.
func (s *Service) InterruptStale(ctx context.Context, tenant valdrix.TenantID, connection string, before time.Time) (int64, error) {
	return s.store.InterruptScans(ctx, tenant, connection, before, s.now(), ScanInterrupted)
}

// BeginRun records the start of a full scan (kind "scan") of a connection.
func (s *Service) BeginRun(ctx context.Context, tenant valdrix.TenantID, connection string) (Scan, error) {
	sc := Scan{ID: valdrix.NewID(), TenantID: tenant, ConnectionID: connection, Kind: "scan", Status: ScanRunning, StartedAt: s.now()}
	return sc, s.store.CreateScan(ctx, sc)
}

// EndRun records the end of a full scan with its stages and outcome.
func (s *Service) EndRun(ctx context.Context, sc Scan) error {
	now := s.now()
	sc.FinishedAt = &now
	return s.store.UpdateScan(context.WithoutCancel(ctx), sc)
}
