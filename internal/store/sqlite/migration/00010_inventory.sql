-- Cloud connections, discovery scans and the resource inventory.

-- +goose Up
CREATE TABLE connections (
    id                 TEXT PRIMARY KEY,
    tenant_id          TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    provider           TEXT NOT NULL CHECK (provider IN ('aws', 'azure', 'gcp')),
    name               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active', 'failing', 'disabled')),
    account_ref        TEXT NOT NULL,
    role_arn           TEXT,
    config             TEXT NOT NULL,
    external_id_secret TEXT,
    credential_secret  TEXT,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    last_test          TEXT NOT NULL DEFAULT '',
    last_tested_at     TIMESTAMP
);
CREATE INDEX connections_tenant ON connections (tenant_id, id);
CREATE UNIQUE INDEX connections_role ON connections (role_arn) WHERE role_arn IS NOT NULL;

CREATE TABLE scans (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'partial', 'failed')),
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    resources     INTEGER NOT NULL DEFAULT 0,
    report        TEXT NOT NULL DEFAULT '{}',
    error         TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scans_tenant ON scans (tenant_id, id);
CREATE INDEX scans_connection ON scans (tenant_id, connection_id, id);

CREATE TABLE resources (
    tenant_id     TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    resource_id   TEXT NOT NULL,
    provider      TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    region        TEXT NOT NULL,
    type          TEXT NOT NULL,
    billing_id    TEXT NOT NULL,
    name          TEXT NOT NULL,
    state         TEXT NOT NULL,
    created_at    TIMESTAMP,
    tags          TEXT NOT NULL,
    attrs         TEXT NOT NULL,
    first_seen    TIMESTAMP NOT NULL,
    last_seen     TIMESTAMP NOT NULL,
    gone_at       TIMESTAMP,
    scan_id       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, connection_id, resource_id)
);
CREATE INDEX resources_type ON resources (tenant_id, type, resource_id);
CREATE INDEX resources_billing ON resources (tenant_id, billing_id);
CREATE INDEX resources_seen ON resources (tenant_id, connection_id, region, last_seen);

-- +goose Down
DROP TABLE resources;
DROP TABLE scans;
DROP TABLE connections;
