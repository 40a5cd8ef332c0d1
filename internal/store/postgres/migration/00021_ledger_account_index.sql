-- Detection reads the ledger rows of a connection's accounts (compared
-- without regard to case) over a window: without this index a tenant with
-- many connections scans all of its ledger window once per connection.

-- +goose Up
CREATE INDEX ledger_account_day ON ledger (tenant_id, LOWER(sub_account_id), charge_day);

-- +goose Down
DROP INDEX ledger_account_day;
