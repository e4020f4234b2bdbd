-- TCC coordinator log (DESIGN.md §3.5). A transaction's state changes only by
-- a conditional UPDATE (WHERE state = expected), so two replicas or a late
-- Commit racing the deadline can never both win.

CREATE TABLE IF NOT EXISTS global_txn (
  gid             uuid PRIMARY KEY,
  request_id      text NOT NULL UNIQUE,
  state           text NOT NULL CHECK (state IN
                    ('TRYING', 'CONFIRMING', 'CONFIRMED', 'CANCELLING', 'CANCELLED')),
  deadline        timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- turnstile.v1.CancelReason; NULL until cancelled.
  cancel_reason   int,
  detail          text,
  -- When the driver should next look at a CONFIRMING/CANCELLING transaction;
  -- pushed forward by a lease while some process drives it.
  next_attempt_at timestamptz,
  lease_owner     text,
  lease_until     timestamptz
);

-- Recovery: due second-phase work, oldest first (FOR UPDATE SKIP LOCKED).
CREATE INDEX IF NOT EXISTS global_txn_due
  ON global_txn (next_attempt_at)
  WHERE state IN ('CONFIRMING', 'CANCELLING');

-- Recovery: TRYING transactions past their deadline.
CREATE INDEX IF NOT EXISTS global_txn_trying_deadline
  ON global_txn (deadline)
  WHERE state = 'TRYING';

-- Retention: finished transactions by age.
CREATE INDEX IF NOT EXISTS global_txn_finished
  ON global_txn (updated_at)
  WHERE state IN ('CONFIRMED', 'CANCELLED');

-- ListTransactions by state, newest first (gid is a time-ordered UUIDv7).
CREATE INDEX IF NOT EXISTS global_txn_state_gid
  ON global_txn (state, gid DESC);

CREATE TABLE IF NOT EXISTS branch (
  gid             uuid NOT NULL REFERENCES global_txn (gid) ON DELETE CASCADE,
  branch_id       text NOT NULL,
  participant     text NOT NULL,
  state           text NOT NULL DEFAULT 'REGISTERED'
                    CHECK (state IN ('REGISTERED', 'CONFIRMED', 'CANCELLED')),
  attempts        int NOT NULL DEFAULT 0,
  last_error      text,
  -- NULL = due now (never tried); set after a failed delivery; NULL when done.
  next_attempt_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id)
);

-- ListTransactions filtered by participant.
CREATE INDEX IF NOT EXISTS branch_participant ON branch (participant, gid);

-- The stuck-branches gauge.
CREATE INDEX IF NOT EXISTS branch_stuck
  ON branch (attempts)
  WHERE state = 'REGISTERED' AND attempts > 10;
