-- Inventory database: SKUs, stock counters, stock reservations (the Try of an
-- inventory branch) and per-user purchase counters. Ids use the "C" collation
-- so that keyset paging and lock ordering are byte order everywhere.

-- TCC barrier (DESIGN.md §3.6), written in the same local transaction as the
-- business change.
CREATE TABLE IF NOT EXISTS tcc_barrier (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('try', 'confirm', 'cancel')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, phase));

CREATE TABLE IF NOT EXISTS sku (
  sku_id text COLLATE "C" PRIMARY KEY,
  name text NOT NULL,
  price_minor bigint NOT NULL CHECK (price_minor >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Most units one user may hold or buy; 0 = no limit.
  per_user_limit integer NOT NULL DEFAULT 0 CHECK (per_user_limit >= 0),
  created_at timestamptz NOT NULL DEFAULT now());

-- The counters every sale moves; the CHECK makes overselling impossible even
-- for a buggy caller.
CREATE TABLE IF NOT EXISTS stock (
  sku_id text COLLATE "C" PRIMARY KEY REFERENCES sku (sku_id),
  total bigint NOT NULL,
  available bigint NOT NULL,
  locked bigint NOT NULL DEFAULT 0,
  sold bigint NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (available >= 0 AND locked >= 0 AND sold >= 0 AND
         available + locked + sold = total));

-- One row per SKU of an inventory branch. The unit price is copied so that a
-- repeated Try answers with the price of the original reservation.
CREATE TABLE IF NOT EXISTS reservation (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  sku_id text COLLATE "C" NOT NULL REFERENCES sku (sku_id),
  user_id text NOT NULL,
  quantity bigint NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  currency text NOT NULL,
  state text NOT NULL CHECK (state IN ('LOCKED', 'SOLD', 'RELEASED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, sku_id));

CREATE INDEX IF NOT EXISTS reservation_sku_state_idx
  ON reservation (sku_id, state);

-- Units of a SKU a user holds (LOCKED) or bought (SOLD). Kept for every SKU,
-- limited or not, so it always equals the user's LOCKED + SOLD reservations.
CREATE TABLE IF NOT EXISTS user_purchase (
  user_id text COLLATE "C" NOT NULL,
  sku_id text COLLATE "C" NOT NULL REFERENCES sku (sku_id),
  quantity bigint NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (user_id, sku_id));
