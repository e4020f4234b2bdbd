-- Order lines of kind slot (net-cafe machines over a time window) and leg
-- (train seats over stops [from, to)), booked by the booking participant
-- (proto/turnstile/v1/booking.proto, DESIGN.md §11). One order_item per
-- BookedItem of the booking Try's answer: kind 'slot' (one per machine) or
-- 'leg' (one per passenger), quantity 1, with what was booked over which
-- range; and on the order row the booking line as asked, so that a
-- re-driven PENDING order sends the very same hold again.

-- The booking line as asked: proto JSON of the turnstile.v1.OrderLine with
-- only slot or leg set (services/order/booked_items.h). NULL without one.
ALTER TABLE orders ADD COLUMN booking_line jsonb NULL;

-- Slot items: venue_id, machine_id, venue_day ('YYYY-MM-DD'), slots
-- [from_unit, to_unit) of that venue-day and the window's instants.
-- Leg items: run_id, run_seat_id ('<car>-<number>'), doc_id (the
-- passenger's document), stops [from_unit, to_unit).
ALTER TABLE order_item
  ADD COLUMN venue_id text NULL,
  ADD COLUMN machine_id text NULL,
  ADD COLUMN venue_day text NULL,
  ADD COLUMN starts_at timestamptz NULL,
  ADD COLUMN ends_at timestamptz NULL,
  ADD COLUMN run_id text NULL,
  ADD COLUMN run_seat_id text NULL,
  ADD COLUMN doc_id text NULL,
  ADD COLUMN from_unit int NULL,
  ADD COLUMN to_unit int NULL;

-- The kinds and what each one carries (0001's two checks, named by
-- PostgreSQL, replaced by named ones).
ALTER TABLE order_item DROP CONSTRAINT order_item_kind_check;
ALTER TABLE order_item DROP CONSTRAINT order_item_check;
ALTER TABLE order_item ADD CONSTRAINT order_item_kind
  CHECK (kind IN ('sku', 'seat', 'slot', 'leg'));
ALTER TABLE order_item ADD CONSTRAINT order_item_shape CHECK (
  (kind IN ('sku', 'seat')) = (venue_id IS NULL AND machine_id IS NULL
      AND venue_day IS NULL AND starts_at IS NULL AND ends_at IS NULL
      AND run_id IS NULL AND run_seat_id IS NULL AND doc_id IS NULL
      AND from_unit IS NULL AND to_unit IS NULL)
  AND ((kind = 'sku' AND sku_id IS NOT NULL AND event_id IS NULL
        AND seat_id IS NULL)
    OR (kind = 'seat' AND sku_id IS NULL AND event_id IS NOT NULL
        AND seat_id IS NOT NULL AND quantity = 1)
    OR (kind = 'slot' AND sku_id IS NULL AND event_id IS NULL
        AND seat_id IS NULL AND quantity = 1 AND venue_id IS NOT NULL
        AND machine_id IS NOT NULL AND venue_day IS NOT NULL
        AND run_id IS NULL AND run_seat_id IS NULL AND doc_id IS NULL
        AND from_unit >= 0 AND to_unit > from_unit)
    OR (kind = 'leg' AND sku_id IS NULL AND event_id IS NULL
        AND seat_id IS NULL AND quantity = 1 AND run_id IS NOT NULL
        AND run_seat_id IS NOT NULL AND doc_id IS NOT NULL
        AND venue_id IS NULL AND machine_id IS NULL AND venue_day IS NULL
        AND starts_at IS NULL AND ends_at IS NULL
        AND from_unit >= 0 AND to_unit > from_unit)));

-- ord_try_create of 0005 with the booking line and the booking columns of
-- every item (parallel arrays like the others: '' = NULL for text, 0 = NULL
-- for the instants in epoch micros; the units are NULL on sku and seat
-- items). Otherwise unchanged.
DROP FUNCTION ord_try_create(uuid, text, text, text, boolean, bigint, text,
                             bigint, text, text[], text[], text[], text[],
                             bigint[], bigint[], text);
CREATE FUNCTION ord_try_create(
    p_gid uuid, p_user text, p_request text, p_state text, p_pay_now boolean,
    p_total bigint, p_currency text, p_expires_us bigint, p_reason text,
    p_kinds text[], p_skus text[], p_events text[], p_seats text[],
    p_quantities bigint[], p_prices bigint[], p_content text,
    p_booking_line text, p_venues text[], p_machines text[], p_days text[],
    p_starts_us bigint[], p_ends_us bigint[], p_runs text[],
    p_run_seats text[], p_docs text[], p_from int[], p_to int[])
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  b text := tcc_barrier_try(p_gid, 'order', p_content);
BEGIN
  IF b <> 'go' THEN RETURN b; END IF;
  INSERT INTO orders (order_id, user_id, request_id, state, pay_now,
                      total_minor, currency, expires_at, booking_line)
  VALUES (p_gid, p_user, p_request, p_state, p_pay_now, p_total, p_currency,
          CASE WHEN p_expires_us = 0 THEN NULL
               ELSE 'epoch'::timestamptz
                    + p_expires_us * interval '1 microsecond' END,
          NULLIF(p_booking_line, '')::jsonb);
  INSERT INTO order_item (order_id, line_no, kind, sku_id, event_id, seat_id,
                          quantity, unit_price_minor, venue_id, machine_id,
                          venue_day, starts_at, ends_at, run_id, run_seat_id,
                          doc_id, from_unit, to_unit)
  SELECT p_gid, t.n, t.kind, NULLIF(t.sku, ''), NULLIF(t.event, ''),
         NULLIF(t.seat, ''), t.quantity, t.price, NULLIF(t.venue, ''),
         NULLIF(t.machine, ''), NULLIF(t.day, ''),
         CASE WHEN t.starts = 0 THEN NULL
              ELSE 'epoch'::timestamptz + t.starts * interval '1 microsecond'
         END,
         CASE WHEN t.ends = 0 THEN NULL
              ELSE 'epoch'::timestamptz + t.ends * interval '1 microsecond'
         END,
         NULLIF(t.run, ''), NULLIF(t.run_seat, ''), NULLIF(t.doc, ''),
         CASE WHEN t.kind IN ('slot', 'leg') THEN t.from_unit END,
         CASE WHEN t.kind IN ('slot', 'leg') THEN t.to_unit END
    FROM unnest(p_kinds, p_skus, p_events, p_seats, p_quantities, p_prices,
                p_venues, p_machines, p_days, p_starts_us, p_ends_us, p_runs,
                p_run_seats, p_docs, p_from, p_to)
         WITH ORDINALITY AS t(kind, sku, event, seat, quantity, price, venue,
                              machine, day, starts, ends, run, run_seat, doc,
                              from_unit, to_unit, n);
  INSERT INTO order_status_log (order_id, from_state, to_state, reason)
  VALUES (p_gid, NULL, p_state, p_reason);
  RETURN 'go';
END $$;
