-- Booking database (DESIGN.md §11): resources booked over integer ranges.
-- Two catalogues map onto one authority table:
--   net cafe: a venue with zones, packages and machines; the resource is a
--     machine on one venue-day, the range is slot indices [from, to) counted
--     from the venue-day's opening in steps of slot_minutes;
--   train: a run (train number + service date) with ordered stops, seat
--     classes and seats; the resource is a seat of the run, the range is
--     stop indices [from, to) (leg k goes from stop k to stop k + 1).
-- `booking` is the judge: its exclusion constraint refuses two bookings of
-- one resource whose ranges overlap (SQLSTATE 23P01; a concurrent pair may
-- instead deadlock, 40P01: both mean SLOT_TAKEN / SEAT_TAKEN,
-- services/booking/booking_errors.h).

-- btree_gist gives GiST the `=` on text that the exclusion constraint needs.
-- It is a trusted extension (PostgreSQL 13+), so the database owner -- the
-- role migrations run as -- creates it without superuser.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- TCC barrier (DESIGN.md §3.6), written in the same local transaction as the
-- business change.
CREATE TABLE IF NOT EXISTS tcc_barrier (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('try', 'confirm', 'cancel')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, phase));

-- Net cafe. Opening and closing are minutes of the local day (tz_name, an
-- IANA zone); closing <= opening means the venue-day runs past midnight
-- (closing = opening: open 24 hours). The day's length is a whole number of
-- slots.
CREATE TABLE IF NOT EXISTS venue (
  venue_id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  tz_name text NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  opening_minute integer NOT NULL CHECK (opening_minute BETWEEN 0 AND 1439),
  closing_minute integer NOT NULL CHECK (closing_minute BETWEEN 0 AND 1439),
  slot_minutes integer NOT NULL CHECK (slot_minutes BETWEEN 1 AND 1440),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (((closing_minute - opening_minute + 1439) % 1440 + 1)
         % slot_minutes = 0));

CREATE TABLE IF NOT EXISTS zone (
  venue_id text COLLATE "C" NOT NULL REFERENCES venue (venue_id),
  zone_id text COLLATE "C" NOT NULL,
  name text NOT NULL,
  price_per_hour_minor bigint NOT NULL CHECK (price_per_hour_minor >= 0),
  PRIMARY KEY (venue_id, zone_id));

-- A package sells `hours` from a start on the grid at its own price.
CREATE TABLE IF NOT EXISTS package (
  venue_id text COLLATE "C" NOT NULL,
  zone_id text COLLATE "C" NOT NULL,
  package_id text COLLATE "C" NOT NULL,
  hours integer NOT NULL CHECK (hours BETWEEN 1 AND 24),
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  PRIMARY KEY (venue_id, zone_id, package_id),
  FOREIGN KEY (venue_id, zone_id) REFERENCES zone (venue_id, zone_id));

-- A machine id is unique within its venue (it names the resource).
CREATE TABLE IF NOT EXISTS machine (
  venue_id text COLLATE "C" NOT NULL,
  zone_id text COLLATE "C" NOT NULL,
  machine_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (venue_id, machine_id),
  FOREIGN KEY (venue_id, zone_id) REFERENCES zone (venue_id, zone_id));
CREATE INDEX IF NOT EXISTS machine_zone_idx ON machine (venue_id, zone_id);

-- Train. run_id is "<train_number>:<service_date>", e.g. "G1234:2026-12-24".
CREATE TABLE IF NOT EXISTS run (
  run_id text COLLATE "C" PRIMARY KEY,
  train_number text NOT NULL,
  service_date date NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (train_number, service_date));

-- Stops 0..n-1 in order; departs_at of the last stop is its arrival.
CREATE TABLE IF NOT EXISTS stop (
  run_id text COLLATE "C" NOT NULL REFERENCES run (run_id),
  stop_index integer NOT NULL CHECK (stop_index BETWEEN 0 AND 63),
  station text NOT NULL,
  departs_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, stop_index));

-- A ticket from stop i to stop j costs (j - i) * price_per_leg_minor.
CREATE TABLE IF NOT EXISTS seat_class (
  run_id text COLLATE "C" NOT NULL REFERENCES run (run_id),
  class_id text COLLATE "C" NOT NULL,
  price_per_leg_minor bigint NOT NULL CHECK (price_per_leg_minor >= 0),
  PRIMARY KEY (run_id, class_id));

-- Seats next to each other share a car and have consecutive numbers.
CREATE TABLE IF NOT EXISTS run_seat (
  run_id text COLLATE "C" NOT NULL,
  seat_id text COLLATE "C" NOT NULL,
  car integer NOT NULL CHECK (car > 0),
  number integer NOT NULL CHECK (number > 0),
  class_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (run_id, seat_id),
  UNIQUE (run_id, car, number),
  FOREIGN KEY (run_id, class_id) REFERENCES seat_class (run_id, class_id));

-- The authority. resource_id is globally unique (services/booking/model.h):
--   "m:<venue>:<machine>:<YYYY-MM-DD>"  a machine on one venue-day
--   "s:<run>:<seat>"                    a seat of a run
-- gate_key names the Redis gate (and the scope of reconciliation):
--   "v:<venue>:<YYYY-MM-DD>" or "r:<run>"; day is the venue-day or the
-- run's service date (the per-day limits count by it). A HELD booking
-- belongs to the Try of branch (gid, branch_id) and carries its
-- transaction's deadline; Confirm makes it SOLD, Cancel deletes it.
CREATE TABLE IF NOT EXISTS booking (
  booking_id bigserial PRIMARY KEY,
  gate_key text COLLATE "C" NOT NULL,
  resource_id text COLLATE "C" NOT NULL CHECK (resource_id ~ '^[ms]:'),
  during int4range NOT NULL CHECK (NOT isempty(during)
                                   AND lower(during) >= 0),
  day date NOT NULL,
  state text NOT NULL CHECK (state IN ('HELD', 'SOLD')),
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  user_id text NOT NULL,
  -- The passenger's identity document (train); NULL for the net cafe.
  doc_id text,
  deadline timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((state = 'HELD') <= (deadline IS NOT NULL)),
  EXCLUDE USING gist (resource_id WITH =, during WITH &&));

-- Confirm and Cancel find a branch's bookings; reconciliation reads a gate's.
CREATE INDEX IF NOT EXISTS booking_branch_idx ON booking (gid, branch_id);
CREATE INDEX IF NOT EXISTS booking_gate_idx ON booking (gate_key);
-- The orphan sweep looks for holds past their transaction's deadline.
CREATE INDEX IF NOT EXISTS booking_held_deadline_idx ON booking (deadline)
  WHERE state = 'HELD';
CREATE INDEX IF NOT EXISTS booking_doc_day_idx ON booking (doc_id, day)
  WHERE doc_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS booking_user_day_idx ON booking (user_id, day);

-- Per-user and per-document limits (issue 10 item 5), counted so that two
-- concurrent orders cannot pass a limit together: a Try takes its units with
-- booking_quota_take (in its own transaction, with the bookings) and Cancel
-- gives them back with booking_quota_give; the limits themselves are the
-- service's configuration. quota_key is one of
--   "doc:<doc_id>:<YYYY-MM-DD>"    tickets per identity document per day
--   "user-day:<user>:<YYYY-MM-DD>" bookings per user per day
--   "user-run:<user>:<run>"        tickets per user per run
CREATE TABLE IF NOT EXISTS booking_quota (
  quota_key text COLLATE "C" PRIMARY KEY,
  used integer NOT NULL CHECK (used >= 0));

-- Adds p_n to the use of p_key if that stays within p_limit; false (and
-- nothing changed) if not. Concurrent takers of one key serialise on its row
-- (the UPDATE re-checks the condition on the row version it waited for).
CREATE OR REPLACE FUNCTION booking_quota_take(p_key text, p_n integer,
                                              p_limit integer)
RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF p_n IS NULL OR p_n <= 0 THEN
    RAISE EXCEPTION 'booking_quota_take: n must be positive'
      USING ERRCODE = '22023';
  END IF;
  INSERT INTO booking_quota (quota_key, used) VALUES (p_key, 0)
    ON CONFLICT (quota_key) DO NOTHING;
  UPDATE booking_quota SET used = used + p_n
    WHERE quota_key = p_key AND used + p_n <= p_limit;
  RETURN FOUND;
END $$;

-- Gives back p_n units of p_key (never below zero).
CREATE OR REPLACE FUNCTION booking_quota_give(p_key text, p_n integer)
RETURNS void LANGUAGE sql AS $$
  UPDATE booking_quota SET used = greatest(used - p_n, 0)
    WHERE quota_key = p_key;
$$;
