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
  arg_count(2)
  local user = id_arg(1, 'user', MAX_ID)
  local place_ttl_ms = place_ttl_arg(2)
  local q = load_queue(k)
  if not q then
    return {'NOT_QUEUED'}
  end
  local now = now_ms()
  advance(k, q, now, place_ttl_ms)
  save_queue(k, q)
  return ticket(k, q, user, now) or {'NOT_IN_QUEUE'}
end)
