-- Waste findings, their status history, the last detection run of each
-- connection, per-tenant rule overrides and the cloud API budget.

-- +goose Up
CREATE TABLE findings (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id   TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    finding_key     TEXT NOT NULL,
    rule_id         TEXT NOT NULL,
    rule_version    INTEGER NOT NULL,
    code            TEXT NOT NULL,
    provider        TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    region          TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    billing_id      TEXT NOT NULL,
    resource_type   TEXT NOT NULL,
    resource_name   TEXT NOT NULL,
    title           TEXT NOT NULL,
    action          TEXT NOT NULL,
    currency        TEXT NOT NULL,
    cost_state      TEXT NOT NULL,
    monthly_cost    INTEGER,
    savings_state   TEXT NOT NULL,
    monthly_savings INTEGER,
    carbon_kg       INTEGER,
    confidence      REAL NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('open', 'snoozed', 'dismissed', 'resolved', 'remediating')),
    status_reason   TEXT NOT NULL,
    status_by       TEXT NOT NULL,
    status_at       TIMESTAMP NOT NULL,
    snoozed_until   TIMESTAMP,
    first_seen      TIMESTAMP NOT NULL,
    last_seen       TIMESTAMP NOT NULL,
    resolved_at     TIMESTAMP,
    tags            TEXT NOT NULL,
    covers          TEXT NOT NULL,
    body            TEXT NOT NULL
);
CREATE UNIQUE INDEX findings_key ON findings (tenant_id, finding_key);
CREATE INDEX findings_connection ON findings (tenant_id, connection_id);
CREATE INDEX findings_status ON findings (tenant_id, status, monthly_savings);
CREATE INDEX findings_snoozed ON findings (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE finding_events (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    finding_id  TEXT NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    at          TIMESTAMP NOT NULL,
    actor       TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (tenant_id, finding_id, id);

CREATE TABLE detection_runs (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP NOT NULL,
    summary       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, connection_id)
);

CREATE TABLE rule_overrides (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rule_id    TEXT NOT NULL,
    enabled    INTEGER,
    thresholds TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, rule_id)
);

CREATE TABLE api_budget_usage (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api       TEXT NOT NULL,
    day       INTEGER NOT NULL,
    used      INTEGER NOT NULL,
    denied    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, api, day)
);

-- +goose Down
DROP TABLE api_budget_usage;
DROP TABLE rule_overrides;
DROP TABLE detection_runs;
DROP TABLE finding_events;
DROP TABLE findings;
