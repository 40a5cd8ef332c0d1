-- Cloud connections, discovery scans and the resource inventory.

-- +goose Up
CREATE TABLE connections (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider           text NOT NULL CHECK (provider IN ('aws', 'azure', 'gcp')),
    name               text NOT NULL,
    status             text NOT NULL CHECK (status IN ('pending', 'active', 'failing', 'disabled')),
    account_ref        text NOT NULL,
    role_arn           text,
    config             text NOT NULL,
    external_id_secret uuid,
    credential_secret  uuid,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    last_test          text NOT NULL DEFAULT '',
    last_tested_at     timestamptz
);
CREATE INDEX connections_tenant ON connections (tenant_id, id);
-- One role cannot be attached to two tenants (the constraint sees every
-- tenant's rows even where the policy hides them).
CREATE UNIQUE INDEX connections_role ON connections (role_arn) WHERE role_arn IS NOT NULL;

CREATE TABLE scans (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    resources     bigint NOT NULL DEFAULT 0,
    report        text NOT NULL DEFAULT '{}',
    error         text NOT NULL DEFAULT ''
);
CREATE INDEX scans_tenant ON scans (tenant_id, id);
CREATE INDEX scans_connection ON scans (tenant_id, connection_id, id);

CREATE TABLE resources (
    tenant_id     uuid NOT NULL,
    connection_id uuid NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    resource_id   text NOT NULL,
    provider      text NOT NULL,
    account_id    text NOT NULL,
    region        text NOT NULL,
    type          text NOT NULL,
    billing_id    text NOT NULL,
    name          text NOT NULL,
    state         text NOT NULL,
    created_at    timestamptz,
    tags          text NOT NULL,
    attrs         text NOT NULL,
    first_seen    timestamptz NOT NULL,
    last_seen     timestamptz NOT NULL,
    gone_at       timestamptz,
    scan_id       uuid NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, resource_id)
);
CREATE INDEX resources_type ON resources (tenant_id, type, resource_id);
CREATE INDEX resources_billing ON resources (tenant_id, billing_id);
CREATE INDEX resources_seen ON resources (tenant_id, connection_id, region, last_seen);

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['connections', 'scans', 'resources'] LOOP
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
DROP TABLE resources;
DROP TABLE scans;
DROP TABLE connections;
