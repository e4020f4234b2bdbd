-- ord_try_create of 0003 with the Try's canonical content
-- (services/order/model.h TryContentOf) given to the barrier: a repeat of
-- the order branch's Try that would create another order under the same gid
-- is refused (TRY_MISMATCH) instead of being answered as a success.
-- Otherwise unchanged.
DROP FUNCTION ord_try_create(uuid, text, text, text, boolean, bigint, text,
                             bigint, text, text[], text[], text[], text[],
                             bigint[], bigint[]);
CREATE FUNCTION ord_try_create(
    p_gid uuid, p_user text, p_request text, p_state text, p_pay_now boolean,
    p_total bigint, p_currency text, p_expires_us bigint, p_reason text,
    p_kinds text[], p_skus text[], p_events text[], p_seats text[],
    p_quantities bigint[], p_prices bigint[], p_content text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  b text := tcc_barrier_try(p_gid, 'order', p_content);
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
