package store

import (
	"context"
	"time"

	"github.com/valdrix/valdrix/internal/jobs"
	"github.com/valdrix/valdrix/internal/valdrix"
)

// job_alerts is a global table: alerts are operational records of the job
// queue, naming jobs by id and kind, never their tenant or arguments.

const jobAlertColumns = `id, job_id, kind, queue, reason, job_state, attempt, scheduled_at, attempted_at, deadline,
	first_seen_at, last_seen_at, resolved_at`

// SyncJobAlerts records the jobs found stuck at a check (see
// jobs.AlertStore): new ones open an alert, known ones are seen again, and
// open alerts not in stuck are resolved at at. It returns the alerts opened
// or re-opened.
func (db *DB) SyncJobAlerts(ctx context.Context, at time.Time, stuck []jobs.Alert) ([]jobs.Alert, error) {
	var opened []jobs.Alert
	err := db.globalWrite(ctx, func(ctx context.Context, s *scope) error {
		opened = nil
		for _, a := range stuck {
			a.ID, a.FirstSeenAt, a.LastSeenAt, a.ResolvedAt = valdrix.NewID(), at, at, nil
			n, err := s.exec(ctx, `INSERT INTO job_alerts (`+jobAlertColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL)
				ON CONFLICT (job_id, reason, attempt) DO NOTHING`,
				a.ID, a.JobID, a.Kind, a.Queue, string(a.Reason), string(a.JobState), a.Attempt, a.ScheduledAt,
				a.AttemptedAt, a.Deadline, at, at)
			if err != nil {
				return db.translate(err, "Job alert")
			}
			if n == 0 {
				// Known: re-open it if it was resolved, and see it again.
				n, err = s.exec(ctx, `UPDATE job_alerts SET resolved_at = NULL, first_seen_at = $1
					WHERE job_id = $2 AND reason = $3 AND attempt = $4 AND resolved_at IS NOT NULL`,
					at, a.JobID, string(a.Reason), a.Attempt)
				if err != nil {
					return db.translate(err, "Job alert")
				}
				if _, err := s.exec(ctx, `UPDATE job_alerts SET last_seen_at = $1, job_state = $2, deadline = $3
					WHERE job_id = $4 AND reason = $5 AND attempt = $6`,
					at, string(a.JobState), a.Deadline, a.JobID, string(a.Reason), a.Attempt); err != nil {
					return db.translate(err, "Job alert")
				}
				if n == 0 {
					continue
				}
				if err := s.queryRow(ctx, `SELECT id FROM job_alerts WHERE job_id = $1 AND reason = $2 AND attempt = $3`,
					[]any{a.JobID, string(a.Reason), a.Attempt}, &a.ID); err != nil {
					return db.translate(err, "Job alert")
				}
			}
			opened = append(opened, a)
		}
		_, err := s.exec(ctx, "UPDATE job_alerts SET resolved_at = $1 WHERE resolved_at IS NULL AND last_seen_at < $1", at)
		return db.translate(err, "Job alert")
	})
	return opened, err
}

// ListJobAlerts returns alerts, newest first.
func (db *DB) ListJobAlerts(ctx context.Context, f jobs.AlertFilter) ([]jobs.Alert, error) {
	q := newSQL("SELECT " + jobAlertColumns + " FROM job_alerts WHERE 1 = 1")
	if f.OpenOnly {
		q.sql += " AND resolved_at IS NULL"
	}
	q.sql += " ORDER BY first_seen_at DESC, id DESC LIMIT " + q.arg(max(f.Limit, 1))
	var out []jobs.Alert
	err := db.globalRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, q.sql, q.args...)
		if err != nil {
			return db.translate(err, "Job alert")
		}
		defer r.Close()
		for r.Next() {
			var (
				a             jobs.Alert
				reason, state string
			)
			if err := r.Scan(&a.ID, &a.JobID, &a.Kind, &a.Queue, &reason, &state, &a.Attempt, &a.ScheduledAt,
				&a.AttemptedAt, &a.Deadline, &a.FirstSeenAt, &a.LastSeenAt, &a.ResolvedAt); err != nil {
				return db.translate(err, "Job alert")
			}
			a.Reason, a.JobState = jobs.Reason(reason), jobs.State(state)
			out = append(out, a)
		}
		return db.translate(r.Err(), "Job alert")
	})
	return out, err
}

// OpenJobAlertCounts counts open alerts by kind and reason.
func (db *DB) OpenJobAlertCounts(ctx context.Context) ([]jobs.AlertCount, error) {
	var out []jobs.AlertCount
	err := db.globalRead(ctx, func(ctx context.Context, s *scope) error {
		r, err := s.query(ctx, "SELECT kind, reason, count(*) FROM job_alerts WHERE resolved_at IS NULL GROUP BY kind, reason ORDER BY kind, reason")
		if err != nil {
			return db.translate(err, "Job alert")
		}
		defer r.Close()
		for r.Next() {
			var (
				c      jobs.AlertCount
				reason string
			)
			if err := r.Scan(&c.Kind, &reason, &c.Count); err != nil {
				return db.translate(err, "Job alert")
			}
			c.Reason = jobs.Reason(reason)
			out = append(out, c)
		}
		return db.translate(r.Err(), "Job alert")
	})
	return out, err
}
