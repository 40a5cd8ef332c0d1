-- The billing ledger: one row per charge day and natural key (see
-- ingestion.LedgerRow). A period is swapped whole: rows of an import become
-- visible when ledger_periods points at it. Money and quantities are int64
-- billionths (ADR 0004); days and months are integers.

-- +goose Up
CREATE TABLE ledger_imports (
    id                TEXT PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source_id         TEXT NOT NULL,
    billing_period    INTEGER,
    format            TEXT NOT NULL DEFAULT '',
    format_reason     TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'unchanged', 'failed', 'superseded')),
    manifest_id       TEXT NOT NULL DEFAULT '',
    manifest_checksum TEXT NOT NULL DEFAULT '',
    content_hash      TEXT NOT NULL DEFAULT '',
    files             TEXT NOT NULL DEFAULT '[]',
    rows_read         INTEGER NOT NULL DEFAULT 0,
    lines_kept        INTEGER NOT NULL DEFAULT 0,
    ledger_rows       INTEGER NOT NULL DEFAULT 0,
    totals            TEXT NOT NULL DEFAULT '[]',
    export_totals     TEXT NOT NULL DEFAULT '',
    error             TEXT NOT NULL DEFAULT '',
    error_location    TEXT NOT NULL DEFAULT '',
    actor             TEXT NOT NULL DEFAULT '',
    started_at        TIMESTAMP NOT NULL,
    finished_at       TIMESTAMP
);
CREATE INDEX ledger_imports_tenant ON ledger_imports (tenant_id, id);
CREATE INDEX ledger_imports_period ON ledger_imports (tenant_id, source_id, billing_period, id);

CREATE TABLE ledger_periods (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source_id      TEXT NOT NULL,
    billing_period INTEGER NOT NULL,
    import_id      TEXT NOT NULL,
    version        INTEGER NOT NULL,
    swapped_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, source_id, billing_period)
);

CREATE TABLE ledger (
    tenant_id                   TEXT NOT NULL,
    source_id                   TEXT NOT NULL,
    billing_period              INTEGER NOT NULL,
    import_id                   TEXT NOT NULL,
    charge_day                  INTEGER NOT NULL,
    charge_month                INTEGER NOT NULL,
    provider                    TEXT NOT NULL,
    billing_account_id          TEXT NOT NULL,
    billing_account_name        TEXT NOT NULL,
    sub_account_id              TEXT NOT NULL,
    sub_account_name            TEXT NOT NULL,
    service_name                TEXT NOT NULL,
    service_category            TEXT NOT NULL,
    region_id                   TEXT NOT NULL,
    availability_zone           TEXT NOT NULL,
    resource_id                 TEXT NOT NULL,
    resource_name               TEXT NOT NULL,
    resource_type               TEXT NOT NULL,
    sku_id                      TEXT NOT NULL,
    instance_type               TEXT NOT NULL,
    usage_type                  TEXT NOT NULL,
    operation                   TEXT NOT NULL,
    charge_category             TEXT NOT NULL,
    charge_class                TEXT NOT NULL,
    charge_frequency            TEXT NOT NULL,
    pricing_category            TEXT NOT NULL,
    pricing_unit                TEXT NOT NULL,
    consumed_unit               TEXT NOT NULL,
    billing_currency            TEXT NOT NULL,
    commitment_discount_id      TEXT NOT NULL,
    commitment_discount_status  TEXT NOT NULL,
    commitment_discount_type    TEXT NOT NULL,
    capacity_reservation_id     TEXT NOT NULL,
    capacity_reservation_status TEXT NOT NULL,
    tags                        TEXT NOT NULL,
    extensions                  TEXT NOT NULL,
    consumed_quantity           INTEGER NOT NULL,
    pricing_quantity            INTEGER NOT NULL,
    billed_cost                 INTEGER NOT NULL,
    effective_cost              INTEGER NOT NULL,
    list_cost                   INTEGER NOT NULL,
    contracted_cost             INTEGER NOT NULL,
    vcpus                       INTEGER NOT NULL,
    line_count                  INTEGER NOT NULL,
    missing                     INTEGER NOT NULL
);
CREATE INDEX ledger_day ON ledger (tenant_id, charge_day);
CREATE INDEX ledger_import ON ledger (import_id);
CREATE INDEX ledger_resource ON ledger (tenant_id, resource_id);

CREATE TABLE reconciliation_alerts (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    import_id       TEXT NOT NULL,
    source_id       TEXT NOT NULL,
    billing_period  INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    charge_category TEXT NOT NULL DEFAULT '',
    currency        TEXT NOT NULL DEFAULT '',
    expected        TEXT NOT NULL,
    actual          TEXT NOT NULL,
    difference_pct  TEXT NOT NULL,
    threshold_pct   TEXT NOT NULL,
    message         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX reconciliation_alerts_tenant ON reconciliation_alerts (tenant_id, id);

-- +goose Down
DROP TABLE reconciliation_alerts;
DROP TABLE ledger;
DROP TABLE ledger_periods;
DROP TABLE ledger_imports;
