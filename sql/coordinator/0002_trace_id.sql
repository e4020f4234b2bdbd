-- The W3C trace id of the request that began each transaction (issue 9):
-- the driver and recovery send it on with every Confirm/Cancel, so one
-- order's log lines share one trace id in every service, also after a
-- coordinator restart. NULL for transactions begun before this migration.
ALTER TABLE global_txn ADD COLUMN IF NOT EXISTS trace_id text
  CONSTRAINT global_txn_trace_id_format
  CHECK (trace_id ~ '^[0-9a-f]{32}$' AND trace_id <> repeat('0', 32));
