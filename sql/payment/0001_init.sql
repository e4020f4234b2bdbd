-- Payment database (DESIGN.md §4): wallets, payment authorisations (the TCC
-- branches of the payment participant) and an append-only ledger.
-- Invariant per wallet: balance + frozen + captured = sum of deposits.

-- TCC barrier (DESIGN.md §3.6), written in the same local transaction as the
-- business change.
CREATE TABLE tcc_barrier (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  phase text NOT NULL CHECK (phase IN ('try', 'confirm', 'cancel')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id, phase));

-- One wallet per user and currency. Money frozen by undecided payments moves
-- from balance to frozen; neither may go below zero.
CREATE TABLE wallet (
  user_id text NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  balance bigint NOT NULL DEFAULT 0 CHECK (balance >= 0),
  frozen bigint NOT NULL DEFAULT 0 CHECK (frozen >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, currency));

-- One row per payment branch: AUTHORIZED by Try, then CAPTURED by Confirm or
-- VOIDED by Cancel.
CREATE TABLE payment (
  gid uuid NOT NULL,
  branch_id text NOT NULL,
  user_id text NOT NULL,
  currency text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  state text NOT NULL CHECK (state IN ('AUTHORIZED', 'CAPTURED', 'VOIDED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (gid, branch_id),
  FOREIGN KEY (user_id, currency) REFERENCES wallet (user_id, currency));
CREATE INDEX payment_wallet ON payment (user_id, currency);

-- Every movement of money, never changed or removed. Deposits carry the
-- client's request_id (unique per user: the idempotency key); the other kinds
-- carry the TCC branch they belong to.
CREATE TABLE ledger_entry (
  id bigserial PRIMARY KEY,
  user_id text NOT NULL,
  currency text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('DEPOSIT', 'FREEZE', 'CAPTURE', 'RELEASE')),
  amount bigint NOT NULL CHECK (amount > 0),
  gid uuid NULL,
  branch_id text NULL,
  request_id text NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, request_id),
  CHECK ((kind = 'DEPOSIT' AND request_id IS NOT NULL AND gid IS NULL
          AND branch_id IS NULL)
      OR (kind <> 'DEPOSIT' AND request_id IS NULL AND gid IS NOT NULL
          AND branch_id IS NOT NULL)));
CREATE INDEX ledger_entry_wallet ON ledger_entry (user_id, currency, id);
CREATE INDEX ledger_entry_gid ON ledger_entry (gid) WHERE gid IS NOT NULL;

-- Append-only: any UPDATE, DELETE or TRUNCATE raises.
CREATE FUNCTION ledger_entry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entry is append-only (% refused)', TG_OP
    USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER ledger_entry_no_update_delete
  BEFORE UPDATE OR DELETE ON ledger_entry
  FOR EACH ROW EXECUTE FUNCTION ledger_entry_append_only();
CREATE TRIGGER ledger_entry_no_truncate
  BEFORE TRUNCATE ON ledger_entry
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_append_only();
