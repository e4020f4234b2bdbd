-- Seat database: events and their seats. A seat is AVAILABLE, HELD by one
-- TCC branch (the Try of a seat branch) or SOLD to it; the hold columns name
-- the branch, and stay set on a SOLD seat as the record of who bought it.

-- TCC barrier (DESIGN.md §3.6), written in the same local transaction as the
-- business change.
CREATE TABLE IF NOT EXISTS tcc_barrier (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('try', 'confirm', 'cancel')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, phase));

CREATE TABLE IF NOT EXISTS event (
  event_id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  starts_at timestamptz NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  seat_count integer NOT NULL CHECK (seat_count > 0),
  created_at timestamptz NOT NULL DEFAULT now());

CREATE TABLE IF NOT EXISTS seat (
  event_id text COLLATE "C" NOT NULL REFERENCES event (event_id),
  seat_id text COLLATE "C" NOT NULL,
  section text NOT NULL,
  -- Position of the section in the event's definition, for seat-map order.
  section_no smallint NOT NULL,
  row_no integer NOT NULL CHECK (row_no > 0),
  number integer NOT NULL CHECK (number > 0),
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  state text NOT NULL CHECK (state IN ('AVAILABLE', 'HELD', 'SOLD')),
  hold_gid uuid,
  hold_branch text,
  hold_user text,
  hold_expires_at timestamptz,
  PRIMARY KEY (event_id, seat_id),
  CHECK ((state = 'AVAILABLE') = (hold_gid IS NULL)),
  CHECK ((hold_gid IS NULL) = (hold_branch IS NULL)));

-- Confirm and Cancel find a branch's seats by its hold; partial, so the many
-- AVAILABLE seats cost nothing.
CREATE INDEX IF NOT EXISTS seat_hold_idx ON seat (hold_gid, hold_branch)
  WHERE hold_gid IS NOT NULL;
