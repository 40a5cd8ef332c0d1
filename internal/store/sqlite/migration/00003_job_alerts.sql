-- Stuck-job alerts, written by the job runtime's stuck-job detector
-- (internal/jobs). Not a tenant table: an alert names a job by id, kind and
-- queue, never its arguments or tenant, and only operators read alerts. The
-- job queue's own tables (river_*) are created by River's migrations, which
-- run after these.

-- +goose Up
CREATE TABLE job_alerts (
    id            TEXT PRIMARY KEY,
    job_id        INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    queue         TEXT NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('overdue', 'past_deadline')),
    job_state     TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    scheduled_at  TIMESTAMP NOT NULL,
    attempted_at  TIMESTAMP,
    deadline      TIMESTAMP,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    resolved_at   TIMESTAMP
);
-- One alert per job, reason and attempt: a later check sees it again.
CREATE UNIQUE INDEX job_alerts_job ON job_alerts (job_id, reason, attempt);
CREATE INDEX job_alerts_open ON job_alerts (kind, reason) WHERE resolved_at IS NULL;
CREATE INDEX job_alerts_first_seen ON job_alerts (first_seen_at, id);

-- +goose Down
DROP TABLE job_alerts;
