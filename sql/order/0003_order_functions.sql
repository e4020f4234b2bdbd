-- The order branch's Try/Confirm/Cancel as single statements (one round
-- trip and one commit each): the TCC barrier (0002) plus the business
-- change, exactly what services/order/store.cc did statement by statement.
-- Errors are raised as 'turnstile:<CODE>:<REASON>:<message>' (see
-- services/common/pg_pool.cc), which rolls the barrier row back with them.

-- Try: the order row (state PENDING or PENDING_PAYMENT), its lines and the
-- first status_log entry. Lines come as parallel arrays ('' = NULL).
-- Returns the barrier's word: 'go' (created), 'duplicate' or 'cancelled'.
CREATE OR REPLACE FUNCTION ord_try_create(
    p_gid uuid, p_user text, p_request text, p_state text, p_pay_now boolean,
    p_total bigint, p_currency text, p_expires_us bigint, p_reason text,
    p_kinds text[], p_skus text[], p_events text[], p_seats text[],
    p_quantities bigint[], p_prices bigint[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  b text := tcc_barrier_enter(p_gid, 'order', 'try');
BEGIN
  IF b <> 'go' THEN RETURN b; END IF;
  INSERT INTO orders (order_id, user_id, request_id, state, pay_now,
                      total_minor, currency, expires_at)
  VALUES (p_gid, p_user, p_request, p_state, p_pay_now, p_total, p_currency,
          CASE WHEN p_expires_us = 0 THEN NULL
               ELSE 'epoch'::timestamptz
                    + p_expires_us * interval '1 microsecond' END);
  INSERT INTO order_item (order_id, line_no, kind, sku_id, event_id, seat_id,
                          quantity, unit_price_minor)
  SELECT p_gid, t.n, t.kind, NULLIF(t.sku, ''), NULLIF(t.event, ''),
         NULLIF(t.seat, ''), t.quantity, t.price
    FROM unnest(p_kinds, p_skus, p_events, p_seats, p_quantities, p_prices)
         WITH ORDINALITY AS t(kind, sku, event, seat, quantity, price, n);
  INSERT INTO order_status_log (order_id, from_state, to_state, reason)
  VALUES (p_gid, NULL, p_state, p_reason);
  RETURN 'go';
END $$;

-- Confirm (p_phase 'confirm', p_to 'PAID') or Cancel (p_phase 'cancel',
-- p_to CANCELLED/EXPIRED/FAILED) of the order branch: moves an open order
-- to p_to and logs it. outcome: 'applied' (from_state = the old state),
-- 'duplicate', 'empty_rollback', or 'noop' with a note ("already PAID", "no
-- order row"). PAID cannot be cancelled and a closed order cannot be paid:
-- that raises FAILED_PRECONDITION ORDER_STATE (a coordinator bug stays
-- visible as a stuck branch).
CREATE OR REPLACE FUNCTION ord_move_open(
    p_gid uuid, p_branch text, p_phase text, p_to text, p_reason text,
    OUT outcome text, OUT from_state text, OUT note text)
LANGUAGE plpgsql AS $$
DECLARE
  b text := tcc_barrier_enter(p_gid, p_branch, p_phase);
  cur text;
BEGIN
  IF b <> 'go' THEN outcome := b; RETURN; END IF;
  SELECT state INTO cur FROM orders WHERE order_id = p_gid FOR UPDATE;
  IF NOT FOUND THEN
    IF p_phase = 'cancel' THEN
      outcome := 'noop'; note := 'no order row'; RETURN;
    END IF;
    RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:ORDER_STATE:no order % to move to %',
      p_gid, p_to;
  END IF;
  IF cur NOT IN ('PENDING', 'PENDING_PAYMENT') THEN
    IF cur <> p_to AND (p_to = 'PAID' OR cur = 'PAID') THEN
      RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:ORDER_STATE:order % is %, cannot become %',
        p_gid, cur, p_to;
    END IF;
    outcome := 'noop'; note := 'already ' || cur; RETURN;
  END IF;
  UPDATE orders SET state = p_to, updated_at = now() WHERE order_id = p_gid;
  INSERT INTO order_status_log (order_id, from_state, to_state, reason)
  VALUES (p_gid, cur, p_to, p_reason);
  outcome := 'applied'; from_state := cur;
END $$;
