package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/valdrix/valdrix/internal/cloud"
	"github.com/valdrix/valdrix/internal/governance"
	"github.com/valdrix/valdrix/internal/inventory"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// connectionConfig is the JSON stored in connections.config: the settings
// without secrets.
type connectionConfig struct {
	AWS   *inventory.AWSSettings   `json:"aws,omitempty"`
	Azure *inventory.AzureSettings `json:"azure,omitempty"`
	GCP   *inventory.GCPSettings   `json:"gcp,omitempty"`
}

const connectionCols = `id, tenant_id, provider, name, status, account_ref, role_arn, config, external_id_secret, credential_secret,
	created_at, updated_at, last_test, last_tested_at`

func connectionArgs(c inventory.Connection) ([]any, error) {
	cfg, err := json.Marshal(connectionConfig{AWS: c.AWS, Azure: c.Azure, GCP: c.GCP})
	if err != nil {
		return nil, err
	}
	test := ""
	if c.LastTest != nil {
		b, err := json.Marshal(c.LastTest)
		if err != nil {
			return nil, err
		}
		test = string(b)
	}
	var role, ext, cred any
	if c.AWS != nil {
		role = c.AWS.RoleARN
	}
	if c.ExternalIDSecret != "" {
		ext = c.ExternalIDSecret
	}
	if c.CredentialSecret != "" {
		cred = c.CredentialSecret
	}
	return []any{c.ID, string(c.TenantID), string(c.Provider), c.Name, string(c.Status), c.AccountRef, role, string(cfg), ext, cred,
		c.CreatedAt, c.UpdatedAt, test, c.TestedAt}, nil
}

func scanConnection(r interface{ Scan(...any) error }) (inventory.Connection, error) {
	var c inventory.Connection
	var tenant, provider, status, cfg, test string
	var role, ext, cred sql.NullString
	err := r.Scan(&c.ID, &tenant, &provider, &c.Name, &status, &c.AccountRef, &role, &cfg, &ext, &cred, &c.CreatedAt, &c.UpdatedAt, &test, &c.TestedAt)
	if err != nil {
		return c, err
	}
	c.TenantID, c.Provider, c.Status = valdrix.TenantID(tenant), valdrix.Provider(provider), inventory.ConnectionStatus(status)
	c.ExternalIDSecret, c.CredentialSecret = ext.String, cred.String
	var cc connectionConfig
	if err := json.Unmarshal([]byte(cfg), &cc); err != nil {
		return c, fmt.Errorf("connection %s config: %w", c.ID, err)
	}
	c.AWS, c.Azure, c.GCP = cc.AWS, cc.Azure, cc.GCP
	if test != "" {
		c.LastTest = &cloud.TestReport{}
		if err := json.Unmarshal([]byte(test), c.LastTest); err != nil {
			return c, fmt.Errorf("connection %s last test: %w", c.ID, err)
		}
	}
	return c, nil
}

// CreateConnection inserts a connection. A role ARN already used by any
// tenant is a conflict.
func (db *DB) CreateConnection(ctx context.Context, c inventory.Connection) error {
	args, err := connectionArgs(c)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, c.TenantID, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "INSERT INTO connections ("+connectionCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)", args...)
		return db.translate(err, "A connection with this role")
	})
}

// UpdateConnection rewrites a connection.
func (db *DB) UpdateConnection(ctx context.Context, c inventory.Connection) error {
	args, err := connectionArgs(c)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, c.TenantID, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, `UPDATE connections SET provider = $3, name = $4, status = $5, account_ref = $6, role_arn = $7, config = $8,
			external_id_secret = $9, credential_secret = $10, created_at = $11, updated_at = $12, last_test = $13, last_tested_at = $14
			WHERE id = $1 AND tenant_id = $2`, args...)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Connection")
	})
}

func (db *DB) queryConnections(ctx context.Context, s *scope, query string, args ...any) ([]inventory.Connection, error) {
	r, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, db.translate(err, "Connections")
	}
	defer r.Close()
	var out []inventory.Connection
	for r.Next() {
		c, err := scanConnection(r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, r.Err()
}

// GetConnection returns one of tenant's connections.
func (db *DB) GetConnection(ctx context.Context, tenant valdrix.TenantID, id string) (inventory.Connection, error) {
	if !valdrix.ValidID(id) {
		return inventory.Connection{}, db.translate(sql.ErrNoRows, "Connection")
	}
	var out []inventory.Connection
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		out, err = db.queryConnections(ctx, s, "SELECT "+connectionCols+" FROM connections WHERE tenant_id = $1 AND id = $2", string(tenant), id)
		return err
	})
	if err != nil {
		return inventory.Connection{}, err
	}
	if len(out) == 0 {
		return inventory.Connection{}, db.translate(sql.ErrNoRows, "Connection")
	}
	return out[0], nil
}

// ListConnections lists tenant's connections, newest first.
func (db *DB) ListConnections(ctx context.Context, tenant valdrix.TenantID, page governance.Page) ([]inventory.Connection, string, error) {
	if err := validCursor(page); err != nil {
		return nil, "", err
	}
	var out []inventory.Connection
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+connectionCols+" FROM connections WHERE tenant_id = $1", string(tenant))
		b.pageDesc("id", page)
		var err error
		out, err = db.queryConnections(ctx, s, b.sql, b.args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(c inventory.Connection) string { return c.ID })
	return out, next, nil
}

// ListAllConnections lists every tenant's connections, for the scheduler
// (system scope).
func (db *DB) ListAllConnections(ctx context.Context) ([]inventory.Connection, error) {
	var out []inventory.Connection
	err := db.systemRead(ctx, func(ctx context.Context, s *scope) error {
		var err error
		out, err = db.queryConnections(ctx, s, "SELECT "+connectionCols+" FROM connections ORDER BY tenant_id, id")
		return err
	})
	return out, err
}

// DeleteConnection removes a connection with its scans and resources.
func (db *DB) DeleteConnection(ctx context.Context, tenant valdrix.TenantID, id string) error {
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, "DELETE FROM connections WHERE tenant_id = $1 AND id = $2", string(tenant), id)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Connection")
	})
}

// ---- scans

const scanCols = "id, tenant_id, connection_id, kind, status, started_at, finished_at, resources, report, error"

// scanReport is the JSON in scans.report.
type scanReport struct {
	Discovery cloud.DiscoveryReport `json:"discovery"`
	Stages    []inventory.Stage     `json:"stages,omitempty"`
}

func scanArgs(sc inventory.Scan) ([]any, error) {
	rep, err := json.Marshal(scanReport{Discovery: sc.Report, Stages: sc.Stages})
	if err != nil {
		return nil, err
	}
	return []any{sc.ID, string(sc.TenantID), sc.ConnectionID, sc.Kind, string(sc.Status), sc.StartedAt, sc.FinishedAt, sc.Resources, string(rep), sc.Error}, nil
}

// CreateScan records a scan.
func (db *DB) CreateScan(ctx context.Context, sc inventory.Scan) error {
	args, err := scanArgs(sc)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, sc.TenantID, func(ctx context.Context, s *scope) error {
		_, err := s.exec(ctx, "INSERT INTO scans ("+scanCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", args...)
		return db.translate(err, "Scan")
	})
}

// InterruptScans marks the connection's running scans that began before
// `before` failed with reason.
func (db *DB) InterruptScans(ctx context.Context, tenant valdrix.TenantID, connection string, before, at time.Time, reason string) (int64, error) {
	var n int64
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		n, err = s.exec(ctx, `UPDATE scans SET status = $1, finished_at = $2, error = $3
			WHERE tenant_id = $4 AND connection_id = $5 AND status = $6 AND started_at < $7`,
			string(inventory.ScanFailed), at.UTC(), reason, string(tenant), connection, string(inventory.ScanRunning), before.UTC())
		return db.translate(err, "Scan")
	})
	return n, err
}

// UpdateScan rewrites a scan.
func (db *DB) UpdateScan(ctx context.Context, sc inventory.Scan) error {
	args, err := scanArgs(sc)
	if err != nil {
		return err
	}
	return db.tenantWrite(ctx, sc.TenantID, func(ctx context.Context, s *scope) error {
		n, err := s.exec(ctx, `UPDATE scans SET connection_id = $3, kind = $4, status = $5, started_at = $6, finished_at = $7, resources = $8,
			report = $9, error = $10 WHERE id = $1 AND tenant_id = $2`, args...)
		if err == nil && n == 0 {
			err = sql.ErrNoRows
		}
		return db.translate(err, "Scan")
	})
}

func (db *DB) queryScans(ctx context.Context, s *scope, query string, args ...any) ([]inventory.Scan, error) {
	r, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, db.translate(err, "Scans")
	}
	defer r.Close()
	var out []inventory.Scan
	for r.Next() {
		var sc inventory.Scan
		var tenant, status, rep string
		if err := r.Scan(&sc.ID, &tenant, &sc.ConnectionID, &sc.Kind, &status, &sc.StartedAt, &sc.FinishedAt, &sc.Resources, &rep, &sc.Error); err != nil {
			return nil, err
		}
		sc.TenantID, sc.Status = valdrix.TenantID(tenant), inventory.ScanStatus(status)
		var sr scanReport
		if err := json.Unmarshal([]byte(rep), &sr); err != nil {
			return nil, fmt.Errorf("scan %s report: %w", sc.ID, err)
		}
		sc.Report, sc.Stages = sr.Discovery, sr.Stages
		out = append(out, sc)
	}
	return out, r.Err()
}

// GetScan returns one of tenant's scans.
func (db *DB) GetScan(ctx context.Context, tenant valdrix.TenantID, id string) (inventory.Scan, error) {
	if !valdrix.ValidID(id) {
		return inventory.Scan{}, db.translate(sql.ErrNoRows, "Scan")
	}
	var out []inventory.Scan
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		var err error
		out, err = db.queryScans(ctx, s, "SELECT "+scanCols+" FROM scans WHERE tenant_id = $1 AND id = $2", string(tenant), id)
		return err
	})
	if err != nil {
		return inventory.Scan{}, err
	}
	if len(out) == 0 {
		return inventory.Scan{}, db.translate(sql.ErrNoRows, "Scan")
	}
	return out[0], nil
}

// ListScans lists tenant's scans, newest first, optionally of one connection.
func (db *DB) ListScans(ctx context.Context, tenant valdrix.TenantID, connection string, page governance.Page) ([]inventory.Scan, string, error) {
	if err := validCursor(page); err != nil {
		return nil, "", err
	}
	var out []inventory.Scan
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+scanCols+" FROM scans WHERE tenant_id = $1", string(tenant))
		if connection != "" {
			b.where("connection_id = %s", connection)
		}
		b.pageDesc("id", page)
		var err error
		out, err = db.queryScans(ctx, s, b.sql, b.args...)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	out, next := trimPage(out, page.Limit, func(sc inventory.Scan) string { return sc.ID })
	return out, next, nil
}

// ---- resources

var resourceCols = []string{"tenant_id", "connection_id", "resource_id", "provider", "account_id", "region", "type", "billing_id",
	"name", "state", "created_at", "tags", "attrs", "first_seen", "last_seen", "gone_at", "scan_id"}

// resourceBatch bounds the rows of one upsert statement.
const resourceBatch = 200

// UpsertResources records resources seen by a scan: new ones get first_seen,
// known ones are updated, reappearing ones are no longer gone.
func (db *DB) UpsertResources(ctx context.Context, tenant valdrix.TenantID, connection, scan string, at time.Time, rs []cloud.Resource) error {
	if len(rs) == 0 {
		return nil
	}
	return db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		for lo := 0; lo < len(rs); lo += resourceBatch {
			hi := min(lo+resourceBatch, len(rs))
			var b strings.Builder
			b.WriteString("INSERT INTO resources (" + strings.Join(resourceCols, ", ") + ") VALUES ")
			b.WriteString(db.valuesSQL(hi-lo, len(resourceCols), 0))
			args := make([]any, 0, (hi-lo)*len(resourceCols))
			for _, r := range rs[lo:hi] {
				tags, err := json.Marshal(nonNil(r.Tags))
				if err != nil {
					return err
				}
				attrs, err := json.Marshal(nonNil(r.Attrs))
				if err != nil {
					return err
				}
				var created any
				if !r.CreatedAt.IsZero() {
					created = r.CreatedAt
				}
				args = append(args, string(tenant), connection, r.ID, string(r.Provider), r.AccountID, r.Region, r.Type, r.BillingID,
					r.Name, r.State, created, string(tags), string(attrs), at, at, nil, scan)
			}
			b.WriteString(` ON CONFLICT (tenant_id, connection_id, resource_id) DO UPDATE SET provider = excluded.provider,
				account_id = excluded.account_id, region = excluded.region, type = excluded.type, billing_id = excluded.billing_id,
				name = excluded.name, state = excluded.state, created_at = excluded.created_at, tags = excluded.tags, attrs = excluded.attrs,
				last_seen = excluded.last_seen, gone_at = NULL, scan_id = excluded.scan_id`)
			if _, err := s.exec(ctx, b.String(), args...); err != nil {
				return db.translate(err, "Resources")
			}
		}
		return nil
	})
}

// tagFilter restricts rows to those whose tags column (a JSON object)
// holds tag: "key" (any value) or "key=value". An empty tag adds nothing.
func (db *DB) tagFilter(b *sqlBuilder, tag string) {
	if tag == "" {
		return
	}
	k, v, hasValue := strings.Cut(tag, "=")
	if db.pg != nil {
		if hasValue {
			b.sql += " AND (tags::jsonb ->> " + b.arg(k) + ") = " + b.arg(v)
		} else {
			b.sql += " AND tags::jsonb ? " + b.arg(k)
		}
		return
	}
	path := `$."` + strings.ReplaceAll(k, `"`, `\"`) + `"`
	if hasValue {
		b.sql += " AND json_extract(tags, " + b.arg(path) + ") = " + b.arg(v)
	} else {
		b.sql += " AND json_type(tags, " + b.arg(path) + ") IS NOT NULL"
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// MarkResourcesGone marks the connection's resources in regions that were
// not seen since seenBefore as gone at at.
func (db *DB) MarkResourcesGone(ctx context.Context, tenant valdrix.TenantID, connection string, regions []string, seenBefore, at time.Time) (int64, error) {
	var total int64
	err := db.tenantWrite(ctx, tenant, func(ctx context.Context, s *scope) error {
		for _, region := range regions {
			n, err := s.exec(ctx, `UPDATE resources SET gone_at = $1 WHERE tenant_id = $2 AND connection_id = $3 AND region = $4
				AND last_seen < $5 AND gone_at IS NULL`, at, string(tenant), connection, region, seenBefore)
			if err != nil {
				return db.translate(err, "Resources")
			}
			total += n
		}
		return nil
	})
	return total, err
}

// ListResources lists tenant's resources by type and id.
func (db *DB) ListResources(ctx context.Context, tenant valdrix.TenantID, f inventory.ResourceFilter, page governance.Page) ([]inventory.Resource, string, error) {
	var out []inventory.Resource
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		b := newSQL("SELECT "+strings.Join(resourceCols[1:], ", ")+" FROM resources WHERE tenant_id = $1", string(tenant))
		if f.Connection != "" {
			b.where("connection_id = %s", f.Connection)
		}
		if f.Provider != "" {
			b.where("provider = %s", string(f.Provider))
		}
		if f.Type != "" {
			b.where("type = %s", f.Type)
		}
		if f.Region != "" {
			b.where("region = %s", f.Region)
		}
		if f.Account != "" {
			b.where("account_id = %s", f.Account)
		}
		switch f.State {
		case "":
		case "gone":
			b.sql += " AND gone_at IS NOT NULL"
		case "present":
			b.sql += " AND gone_at IS NULL"
		default:
			b.where("state = %s", f.State)
		}
		db.tagFilter(b, f.Tag)
		// Keyset pagination on (type, resource_id, connection_id).
		if page.Cursor != "" {
			var cur [3]string
			raw, err := base64.RawURLEncoding.DecodeString(page.Cursor)
			if err != nil || json.Unmarshal(raw, &cur) != nil {
				return valdrix.FieldError("cursor", "is not a cursor returned by this API")
			}
			b.sql += " AND (type > " + b.arg(cur[0]) + " OR (type = " + b.arg(cur[0]) + " AND (resource_id > " + b.arg(cur[1]) +
				" OR (resource_id = " + b.arg(cur[1]) + " AND connection_id > " + b.arg(cur[2]) + "))))"
		}
		b.sql += " ORDER BY type, resource_id, connection_id LIMIT " + b.arg(page.Limit+1)
		r, err := s.query(ctx, b.sql, b.args...)
		if err != nil {
			return db.translate(err, "Resources")
		}
		defer r.Close()
		for r.Next() {
			var res inventory.Resource
			var provider, tags, attrs string
			var created *time.Time
			if err := r.Scan(&res.ConnectionID, &res.ID, &provider, &res.AccountID, &res.Region, &res.Type, &res.BillingID,
				&res.Name, &res.State, &created, &tags, &attrs, &res.FirstSeen, &res.LastSeen, &res.GoneAt, &res.ScanID); err != nil {
				return err
			}
			res.Provider = valdrix.Provider(provider)
			if created != nil {
				res.CreatedAt = *created
			}
			if err := json.Unmarshal([]byte(tags), &res.Tags); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(attrs), &res.Attrs); err != nil {
				return err
			}
			out = append(out, res)
		}
		return r.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > page.Limit {
		out = out[:page.Limit]
		last := out[len(out)-1]
		b, _ := json.Marshal([3]string{last.Type, last.ID, last.ConnectionID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	return out, next, nil
}

// CountResources counts a connection's present resources by type and region.
func (db *DB) CountResources(ctx context.Context, tenant valdrix.TenantID, connection string) ([]inventory.ResourceCount, error) {
	var out []inventory.ResourceCount
	err := db.tenantRead(ctx, tenant, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, `SELECT type, region, COUNT(*) FROM resources WHERE tenant_id = $1 AND connection_id = $2 AND gone_at IS NULL
			GROUP BY type, region ORDER BY type, region`, string(tenant), connection)
		if err != nil {
			return db.translate(err, "Resources")
		}
		defer r.Close()
		for r.Next() {
			var c inventory.ResourceCount
			if err := r.Scan(&c.Type, &c.Region, &c.Count); err != nil {
				return err
			}
			out = append(out, c)
		}
		return r.Err()
	})
	return out, err
}

var _ inventory.Store = (*DB)(nil)
