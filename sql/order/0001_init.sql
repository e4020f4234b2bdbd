-- Order database (DESIGN.md §4): client-facing orders, their lines and the
-- log of every state change. An order's id is the gid of its global
-- transaction; the order row itself is that transaction's "order" branch.

-- TCC barrier (DESIGN.md §3.6), written in the same local transaction as the
-- order row.
CREATE TABLE tcc_barrier (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('try', 'confirm', 'cancel')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, phase));

CREATE TABLE orders (
  order_id uuid PRIMARY KEY,
  user_id text NOT NULL,
  request_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('PENDING', 'PENDING_PAYMENT', 'PAID',
                                       'CANCELLED', 'EXPIRED', 'FAILED')),
  pay_now boolean NOT NULL,
  total_minor bigint NOT NULL CHECK (total_minor >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Reserve-then-pay: the transaction deadline (end of the payment window).
  expires_at timestamptz NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, request_id),
  CHECK (pay_now OR expires_at IS NOT NULL));
-- ListOrders: a user's orders newest first, keyset paged.
CREATE INDEX orders_user_created ON orders (user_id, created_at DESC,
                                            order_id DESC);

-- One row per stock line, and one per seat of the seat line.
CREATE TABLE order_item (
  order_id uuid NOT NULL REFERENCES orders (order_id),
  line_no int NOT NULL CHECK (line_no >= 1),
  kind text NOT NULL CHECK (kind IN ('sku', 'seat')),
  sku_id text NULL,
  event_id text NULL,
  seat_id text NULL,
  quantity bigint NOT NULL CHECK (quantity > 0),
  unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (order_id, line_no),
  CHECK ((kind = 'sku' AND sku_id IS NOT NULL AND event_id IS NULL
          AND seat_id IS NULL)
      OR (kind = 'seat' AND sku_id IS NULL AND event_id IS NOT NULL
          AND seat_id IS NOT NULL AND quantity = 1)));

-- Every state change of an order, with its reason (from_state is NULL for
-- the creation).
CREATE TABLE order_status_log (
  id bigserial PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders (order_id),
  from_state text NULL,
  to_state text NOT NULL,
  reason text NOT NULL,
  at timestamptz NOT NULL DEFAULT now());
CREATE INDEX order_status_log_order ON order_status_log (order_id, id);
