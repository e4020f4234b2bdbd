-- queue_ticket: a buyer's place in the waiting room of one product, or the
-- pass's expiry once admitted (GetTicket). Asking keeps the place: a
-- waiting buyer who does not ask for place_ttl_ms loses it.
-- KEYS: Q:cfg Q:wait Q:seen Q:user Q:pass
-- ARGV: user place_ttl_ms
-- Reply: {'WAITING', position, eta_ms, joined_ms, now_ms}
--        {'ADMITTED', pass_expiry_ms, joined_ms, now_ms}
--        {'NOT_IN_QUEUE'}   never joined, place lapsed, or pass expired
--        {'NOT_QUEUED'}
return run(function()
  local k = queue_keys()
  local q, user, place_ttl_ms, now = open_for_user(k)
  if not q then
    return {'NOT_QUEUED'}
  end
  advance(k, q, now, place_ttl_ms)
  save_queue(k, q)
  return ticket(k, q, user, now) or {'NOT_IN_QUEUE'}
end)
