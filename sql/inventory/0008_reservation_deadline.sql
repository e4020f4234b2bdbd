-- Tries cannot outlive their transaction (DESIGN.md §8): a reservation
-- records its transaction's deadline, so that the orphan sweep
-- (issue 7 item 5, not written yet) finds LOCKED lines whose transaction
-- should long have been decided; the partial index keeps that query on the
-- few open lines only. Reservations from before this migration carry no
-- deadline and are never swept.
ALTER TABLE reservation ADD COLUMN deadline timestamptz;
CREATE INDEX reservation_open_deadline_idx ON reservation (deadline)
  WHERE state = 'LOCKED' AND deadline IS NOT NULL;

-- inv_try_gate of 0006 with the deadline stored on every line and the Try's
-- canonical content (services/inventory/validation.h TryContentOf) given to
-- the barrier, which refuses a repeat with other content (TRY_MISMATCH).
-- Otherwise unchanged.
DROP FUNCTION inv_try_gate(uuid, text, text, text[], bigint[], text);
CREATE FUNCTION inv_try_gate(
    p_gid uuid, p_branch text, p_user text, p_skus text[],
    p_quantities bigint[], p_bucket_hash text, p_deadline timestamptz,
    p_content text)
RETURNS TABLE (outcome text, sku_id text, quantity bigint,
               unit_price_minor bigint, currency text)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  word text := tcc_barrier_try(p_gid, p_branch, p_content);
  line record;
  first_currency text;
  total numeric := 0;
  first int;
  taken int;
  cand int;
BEGIN
  outcome := word;
  IF word = 'cancelled' THEN RETURN NEXT; RETURN; END IF;
  IF word = 'duplicate' THEN
    RETURN QUERY
      SELECT word, r.sku_id::text, r.quantity, r.unit_price_minor,
             r.currency::text
        FROM reservation r
       WHERE r.gid = p_gid AND r.branch_id = p_branch ORDER BY r.sku_id;
    RETURN;
  END IF;
  -- Everything that can be refused without touching a row is refused first.
  FOR line IN
    SELECT l.sku_id, l.quantity, s.sku_id IS NOT NULL AS known,
           s.price_minor, s.currency
      FROM unnest(p_skus, p_quantities) WITH ORDINALITY
           AS l(sku_id, quantity, n)
      LEFT JOIN sku s ON s.sku_id = l.sku_id
     ORDER BY l.n
  LOOP
    IF NOT line.known THEN
      RAISE EXCEPTION 'turnstile:NOT_FOUND:SKU_NOT_FOUND:unknown sku_id %',
        line.sku_id;
    END IF;
    IF first_currency IS NULL THEN
      first_currency := line.currency;
    ELSIF first_currency <> line.currency THEN
      RAISE EXCEPTION 'turnstile:INVALID_ARGUMENT:MIXED_CURRENCY:items are priced in % and %; one reservation takes one currency',
        first_currency, line.currency;
    END IF;
    total := total + line.quantity::numeric * line.price_minor;
    IF total > 9223372036854775807 THEN
      RAISE EXCEPTION 'turnstile:INVALID_ARGUMENT:AMOUNT_TOO_LARGE:the total of the reservation does not fit in 64 bits';
    END IF;
  END LOOP;
  FOR line IN
    SELECT l.sku_id, l.quantity, s.price_minor, s.currency,
           s.per_user_limit, s.buckets
      FROM unnest(p_skus, p_quantities) AS l(sku_id, quantity)
      JOIN sku s ON s.sku_id = l.sku_id
     ORDER BY l.sku_id
  LOOP
    IF line.per_user_limit > 0 THEN
      INSERT INTO user_purchase AS u (user_id, sku_id, quantity)
      SELECT p_user, line.sku_id, line.quantity
       WHERE line.quantity <= line.per_user_limit
      ON CONFLICT (user_id, sku_id) DO UPDATE
         SET quantity = u.quantity + EXCLUDED.quantity
       WHERE u.quantity + EXCLUDED.quantity <= line.per_user_limit;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:USER_LIMIT:user % may hold at most % units of %',
          p_user, line.per_user_limit, line.sku_id;
      END IF;
    ELSE
      INSERT INTO user_purchase AS u (user_id, sku_id, quantity)
      VALUES (p_user, line.sku_id, line.quantity)
      ON CONFLICT (user_id, sku_id) DO UPDATE
         SET quantity = u.quantity + EXCLUDED.quantity;
    END IF;
    first := CASE WHEN line.buckets <= 1 THEN 0
                  ELSE (p_bucket_hash::numeric % line.buckets)::int END;
    taken := NULL;
    UPDATE stock st SET available = st.available - line.quantity,
                        locked = st.locked + line.quantity,
                        version = st.version + 1, updated_at = now()
     WHERE st.sku_id = line.sku_id AND st.bucket = first
       AND st.available >= line.quantity;
    IF FOUND THEN
      taken := first;
    ELSIF line.buckets > 1 THEN
      -- The other buckets that hold enough right now, in fallback order
      -- (a plain read: the update re-checks).
      FOR cand IN
        SELECT st.bucket FROM stock st
         WHERE st.sku_id = line.sku_id AND st.bucket <> first
           AND st.available >= line.quantity
         ORDER BY (st.bucket - first + line.buckets) % line.buckets
      LOOP
        UPDATE stock st SET available = st.available - line.quantity,
                            locked = st.locked + line.quantity,
                            version = st.version + 1, updated_at = now()
         WHERE st.sku_id = line.sku_id AND st.bucket = cand
           AND st.available >= line.quantity;
        IF FOUND THEN taken := cand; EXIT; END IF;
      END LOOP;
    END IF;
    IF taken IS NULL THEN
      RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:SOLD_OUT:fewer than % units of % are available%',
        line.quantity, line.sku_id,
        CASE WHEN line.buckets > 1 THEN ' in any one of its buckets'
             ELSE '' END;
    END IF;
    INSERT INTO reservation (gid, branch_id, sku_id, user_id, quantity,
                             unit_price_minor, currency, state, bucket,
                             deadline)
    VALUES (p_gid, p_branch, line.sku_id, p_user, line.quantity,
            line.price_minor, line.currency, 'LOCKED', taken, p_deadline);
    sku_id := line.sku_id; quantity := line.quantity;
    unit_price_minor := line.price_minor; currency := line.currency;
    RETURN NEXT;
  END LOOP;
END $$;
