-- A running import records when it last made progress, so that an import
-- whose process died (left "running" for ever, its unswapped rows in the
-- ledger) can be told from a slow one, marked failed and its rows removed.

-- +goose Up
ALTER TABLE ledger_imports ADD COLUMN heartbeat_at TIMESTAMP;

-- +goose Down
ALTER TABLE ledger_imports DROP COLUMN heartbeat_at;
