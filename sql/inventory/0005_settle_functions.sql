-- Confirm and Cancel of an inventory branch as single statements (one round
-- trip and one commit each, and the stock rows locked only until that
-- commit): the TCC barrier (0004) plus what services/inventory/store.cc
-- used to send statement by statement. Errors are raised as
-- 'turnstile:<CODE>:<REASON>:<message>' (services/common/pg_pool.cc), which
-- rolls the barrier row back with them.
--
-- inv_settle(gid, branch, 'confirm' | 'cancel') answers one row per line of
-- the branch, in (sku_id, bucket) order, each with the barrier's word:
--   'go'             this call moved the lines (LOCKED -> SOLD, or LOCKED ->
--                    RELEASED with the units back in stock and the user's
--                    counter lowered); a Cancel with nothing LOCKED answers
--                    one row with a NULL sku_id
--   'duplicate'      a repeat: the lines already SOLD / RELEASED (or one row
--                    with a NULL sku_id if there are none)
--   'empty_rollback' (cancel) no Try ran: one row with a NULL sku_id
-- Confirm with nothing LOCKED raises FAILED_PRECONDITION BRANCH_NOT_TRIED: a
-- Try that succeeded always leaves LOCKED lines, so confirming nothing would
-- hide a coordinator fault.
CREATE OR REPLACE FUNCTION inv_settle(p_gid uuid, p_branch text,
                                      p_phase text)
RETURNS TABLE (outcome text, sku_id text, user_id text, quantity bigint,
               bucket int)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  word text := tcc_barrier_enter(p_gid, p_branch, p_phase);
  confirm boolean := p_phase = 'confirm';
  done_state text := CASE WHEN p_phase = 'confirm' THEN 'SOLD'
                          ELSE 'RELEASED' END;
  line record;
  states text;
BEGIN
  outcome := word;
  IF word = 'empty_rollback' THEN RETURN NEXT; RETURN; END IF;
  IF word = 'duplicate' THEN
    RETURN QUERY
      SELECT word, r.sku_id::text, r.user_id::text, r.quantity, r.bucket
        FROM reservation r
       WHERE r.gid = p_gid AND r.branch_id = p_branch
         AND r.state = done_state
       ORDER BY r.sku_id, r.bucket;
    IF NOT FOUND THEN RETURN NEXT; END IF;
    RETURN;
  END IF;
  FOR line IN
    WITH moved AS (
      UPDATE reservation r SET state = done_state, updated_at = now()
       WHERE r.gid = p_gid AND r.branch_id = p_branch AND r.state = 'LOCKED'
      RETURNING r.sku_id, r.user_id, r.quantity, r.bucket)
    SELECT m.sku_id, m.user_id, m.quantity, m.bucket FROM moved m
     ORDER BY m.sku_id, m.bucket
  LOOP
    IF confirm THEN
      UPDATE stock s SET locked = s.locked - line.quantity,
                         sold = s.sold + line.quantity,
                         version = s.version + 1, updated_at = now()
       WHERE s.sku_id = line.sku_id AND s.bucket = line.bucket
         AND s.locked >= line.quantity;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'turnstile:INTERNAL:STOCK_INCONSISTENT:stock of %#% has fewer locked units than reserved',
          line.sku_id, line.bucket;
      END IF;
    ELSE
      -- Same order as a Try: per SKU the user's counter, then the stock.
      UPDATE user_purchase u SET quantity = u.quantity - line.quantity
       WHERE u.user_id = line.user_id AND u.sku_id = line.sku_id
         AND u.quantity >= line.quantity;
      IF FOUND THEN
        UPDATE stock s SET locked = s.locked - line.quantity,
                           available = s.available + line.quantity,
                           version = s.version + 1, updated_at = now()
         WHERE s.sku_id = line.sku_id AND s.bucket = line.bucket
           AND s.locked >= line.quantity;
      END IF;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'turnstile:INTERNAL:STOCK_INCONSISTENT:counters of %#% hold fewer units than reserved',
          line.sku_id, line.bucket;
      END IF;
    END IF;
    sku_id := line.sku_id; user_id := line.user_id;
    quantity := line.quantity; bucket := line.bucket;
    RETURN NEXT;
  END LOOP;
  IF sku_id IS NULL THEN
    IF confirm THEN
      SELECT string_agg(g.state || '=' || g.n, ',') INTO states
        FROM (SELECT r.state, count(*) AS n FROM reservation r
               WHERE r.gid = p_gid AND r.branch_id = p_branch
               GROUP BY r.state ORDER BY r.state) g;
      RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:BRANCH_NOT_TRIED:no locked stock to confirm for %/% (reservations: %)',
        p_gid, p_branch, coalesce(states, 'none');
    END IF;
    RETURN NEXT;
  END IF;
END $$;
