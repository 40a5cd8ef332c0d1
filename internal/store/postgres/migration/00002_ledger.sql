-- The billing ledger: one row per charge day and natural key (see
-- ingestion.LedgerRow), partitioned by billing period. A period is swapped
-- whole: rows of an import become visible when ledger_periods points at it.
-- Money and quantities are int64 billionths (ADR 0004); days and months are
-- integers (days since 1970-01-01, year*12 + month - 1).

-- +goose Up
CREATE TABLE ledger_imports (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source_id         text NOT NULL,
    billing_period    integer,
    format            text NOT NULL DEFAULT '',
    format_reason     text NOT NULL DEFAULT '',
    status            text NOT NULL CHECK (status IN ('running', 'succeeded', 'unchanged', 'failed', 'superseded')),
    manifest_id       text NOT NULL DEFAULT '',
    manifest_checksum text NOT NULL DEFAULT '',
    content_hash      text NOT NULL DEFAULT '',
    files             text NOT NULL DEFAULT '[]',
    rows_read         bigint NOT NULL DEFAULT 0,
    lines_kept        bigint NOT NULL DEFAULT 0,
    ledger_rows       bigint NOT NULL DEFAULT 0,
    totals            text NOT NULL DEFAULT '[]',
    export_totals     text NOT NULL DEFAULT '',
    error             text NOT NULL DEFAULT '',
    error_location    text NOT NULL DEFAULT '',
    actor             text NOT NULL DEFAULT '',
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz
);
CREATE INDEX ledger_imports_tenant ON ledger_imports (tenant_id, id);
CREATE INDEX ledger_imports_period ON ledger_imports (tenant_id, source_id, billing_period, id);

CREATE TABLE ledger_periods (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source_id      text NOT NULL,
    billing_period integer NOT NULL,
    import_id      uuid NOT NULL,
    version        integer NOT NULL,
    swapped_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, source_id, billing_period)
);

CREATE TABLE ledger (
    tenant_id                   uuid NOT NULL,
    source_id                   text NOT NULL,
    billing_period              integer NOT NULL,
    import_id                   uuid NOT NULL,
    charge_day                  integer NOT NULL,
    charge_month                integer NOT NULL,
    provider                    text NOT NULL,
    billing_account_id          text NOT NULL,
    billing_account_name        text NOT NULL,
    sub_account_id              text NOT NULL,
    sub_account_name            text NOT NULL,
    service_name                text NOT NULL,
    service_category            text NOT NULL,
    region_id                   text NOT NULL,
    availability_zone           text NOT NULL,
    resource_id                 text NOT NULL,
    resource_name               text NOT NULL,
    resource_type               text NOT NULL,
    sku_id                      text NOT NULL,
    instance_type               text NOT NULL,
    usage_type                  text NOT NULL,
    operation                   text NOT NULL,
    charge_category             text NOT NULL,
    charge_class                text NOT NULL,
    charge_frequency            text NOT NULL,
    pricing_category            text NOT NULL,
    pricing_unit                text NOT NULL,
    consumed_unit               text NOT NULL,
    billing_currency            text NOT NULL,
    commitment_discount_id      text NOT NULL,
    commitment_discount_status  text NOT NULL,
    commitment_discount_type    text NOT NULL,
    capacity_reservation_id     text NOT NULL,
    capacity_reservation_status text NOT NULL,
    tags                        text NOT NULL,
    extensions                  text NOT NULL,
    consumed_quantity           bigint NOT NULL,
    pricing_quantity            bigint NOT NULL,
    billed_cost                 bigint NOT NULL,
    effective_cost              bigint NOT NULL,
    list_cost                   bigint NOT NULL,
    contracted_cost             bigint NOT NULL,
    vcpus                       bigint NOT NULL,
    line_count                  bigint NOT NULL,
    missing                     smallint NOT NULL
) PARTITION BY RANGE (billing_period);
CREATE INDEX ledger_day ON ledger (tenant_id, charge_day);
CREATE INDEX ledger_import ON ledger (import_id);
CREATE INDEX ledger_resource ON ledger (tenant_id, resource_id);
CREATE TABLE ledger_default PARTITION OF ledger DEFAULT;

CREATE TABLE reconciliation_alerts (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    import_id      uuid NOT NULL,
    source_id      text NOT NULL,
    billing_period integer NOT NULL,
    kind           text NOT NULL,
    charge_category text NOT NULL DEFAULT '',
    currency       text NOT NULL DEFAULT '',
    expected       text NOT NULL,
    actual         text NOT NULL,
    difference_pct text NOT NULL,
    threshold_pct  text NOT NULL,
    message        text NOT NULL,
    created_at     timestamptz NOT NULL
);
CREATE INDEX reconciliation_alerts_tenant ON reconciliation_alerts (tenant_id, id);

-- Monthly partitions are created on demand by the application through this
-- function, which runs as the owner: the application role cannot create
-- tables, and every partition gets forced row-level security.
-- +goose StatementBegin
DO $outer$
BEGIN
    -- The function is created with the migration's schema fixed in it, so
    -- that its search_path cannot be hijacked and its tables land there.
    EXECUTE format($f$
CREATE FUNCTION %1$I.valdrix_ledger_partition(period integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, %1$I AS $body$
DECLARE
    name text := format('ledger_p%%s', period);
BEGIN
    IF period < 20000 OR period > 40000 THEN
        RAISE EXCEPTION 'billing period %% out of range', period;
    END IF;
    IF to_regclass(%2$L || '.' || name) IS NOT NULL THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(727073, period);
    IF to_regclass(%2$L || '.' || name) IS NOT NULL THEN
        RETURN;
    END IF;
    -- The store creates a period's partition before writing its rows, so the
    -- default partition holds none of them (ATTACH would refuse otherwise).
    BEGIN
        EXECUTE format('CREATE TABLE %%I.%%I (LIKE %%I.ledger INCLUDING DEFAULTS)', %2$L, name, %2$L);
    EXCEPTION WHEN duplicate_table THEN
        RETURN; -- made by a concurrent transaction that has committed since
    END;
    EXECUTE format('ALTER TABLE %%I.ledger ATTACH PARTITION %%I.%%I FOR VALUES FROM (%%s) TO (%%s)', %2$L, %2$L, name, period, period + 1);
    EXECUTE format('ALTER TABLE %%I.%%I ENABLE ROW LEVEL SECURITY', %2$L, name);
    EXECUTE format('ALTER TABLE %%I.%%I FORCE ROW LEVEL SECURITY', %2$L, name);
    EXECUTE format('CREATE POLICY tenant_isolation ON %%I.%%I '
        'USING (current_setting(''valdrix.scope'', true) = ''system'' '
        'OR tenant_id = NULLIF(current_setting(''valdrix.tenant_id'', true), '''')::uuid) '
        'WITH CHECK (current_setting(''valdrix.scope'', true) = ''system'' '
        'OR tenant_id = NULLIF(current_setting(''valdrix.tenant_id'', true), '''')::uuid)', %2$L, name);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %%I.%%I TO valdrix_app', %2$L, name);
END
$body$$f$, current_schema(), current_schema());
END
$outer$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION valdrix_ledger_partition(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION valdrix_ledger_partition(integer) TO valdrix_app;

-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledger_imports', 'ledger_periods', 'ledger', 'ledger_default', 'reconciliation_alerts'] LOOP
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
DROP FUNCTION valdrix_ledger_partition(integer);
DROP TABLE reconciliation_alerts;
DROP TABLE ledger;
DROP TABLE ledger_periods;
DROP TABLE ledger_imports;
