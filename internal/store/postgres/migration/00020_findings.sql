-- Waste findings, their status history, the last detection run of each
-- connection, per-tenant rule overrides and the cloud API budget.

-- +goose Up
CREATE TABLE findings (
    id              uuid PRIMARY KEY,
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id   uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    finding_key     text NOT NULL,
    rule_id         text NOT NULL,
    rule_version    integer NOT NULL,
    code            text NOT NULL,
    provider        text NOT NULL,
    account_id      text NOT NULL,
    region          text NOT NULL,
    resource_id     text NOT NULL,
    billing_id      text NOT NULL,
    resource_type   text NOT NULL,
    resource_name   text NOT NULL,
    title           text NOT NULL,
    action          text NOT NULL,
    currency        text NOT NULL,
    cost_state      text NOT NULL,
    monthly_cost    bigint,
    savings_state   text NOT NULL,
    monthly_savings bigint,
    carbon_kg       bigint,
    confidence      double precision NOT NULL,
    status          text NOT NULL CHECK (status IN ('open', 'snoozed', 'dismissed', 'resolved', 'remediating')),
    status_reason   text NOT NULL,
    status_by       text NOT NULL,
    status_at       timestamptz NOT NULL,
    snoozed_until   timestamptz,
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    resolved_at     timestamptz,
    tags            text NOT NULL,
    covers          text NOT NULL,
    body            text NOT NULL
);
CREATE UNIQUE INDEX findings_key ON findings (tenant_id, finding_key);
CREATE INDEX findings_connection ON findings (tenant_id, connection_id);
CREATE INDEX findings_status ON findings (tenant_id, status, monthly_savings);
CREATE INDEX findings_snoozed ON findings (snoozed_until) WHERE status = 'snoozed';

CREATE TABLE finding_events (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    finding_id  uuid NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    reason      text NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (tenant_id, finding_id, id);

CREATE TABLE detection_runs (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz NOT NULL,
    summary       text NOT NULL,
    PRIMARY KEY (tenant_id, connection_id)
);

CREATE TABLE rule_overrides (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rule_id    text NOT NULL,
    enabled    boolean,
    thresholds text NOT NULL,
    updated_at timestamptz NOT NULL,
    updated_by text NOT NULL,
    PRIMARY KEY (tenant_id, rule_id)
);

CREATE TABLE api_budget_usage (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    api       text NOT NULL,
    day       integer NOT NULL,
    used      bigint NOT NULL,
    denied    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, api, day)
);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['findings', 'finding_events', 'detection_runs', 'rule_overrides', 'api_budget_usage'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format($p$CREATE POLICY tenant_isolation ON %I
            USING (current_setting('valdrix.scope', true) = 'system'
                   OR tenant_id = NULLIF(current_setting('valdrix.tenant_id', true), '')::uuid)
            WITH CHECK (current_setting('valdrix.scope', true) = 'system'
                   OR tenant_id = NULLIF(current_setting('valdrix.tenant_id', true), '')::uuid)$p$, t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE api_budget_usage;
DROP TABLE rule_overrides;
DROP TABLE detection_runs;
DROP TABLE finding_events;
DROP TABLE findings;
