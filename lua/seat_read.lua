-- seat_read: one atomic snapshot of the gate of one event, for the
-- reconciler. O(non-free seats) in one call; not for the request path.
-- KEYS: ts:{evt:<id>}:meta  ts:{evt:<id>}:seats
-- ARGV: none
-- Reply {'OK', ver, now_ms, n, then n x (seat, state, owner, expiry_ms)} with
-- state 'H' or 'S' (a hold whose expiry_ms <= now_ms is free in effect), or
-- {'NOT_INITIALIZED', 0, now_ms, 0}, or {'INVALID_ARGUMENT', message}.
return run(function()
  arg_count(0)
  check_keys('evt', {'meta', 'seats'})
  local now = now_ms()
  local ver = tonumber(redis.call('HGET', KEYS[1], 'ver'))
  if not ver then
    return {'NOT_INITIALIZED', 0, now, 0}
  end
  local all = redis.call('HGETALL', KEYS[2])
  local out = {'OK', ver, now, #all / 2}
  for i = 1, #all, 2 do
    local state, expiry, owner = parse_seat(all[i + 1])
    out[#out + 1] = all[i]
    out[#out + 1] = state
    out[#out + 1] = owner
    out[#out + 1] = expiry
  end
  return out
end)
