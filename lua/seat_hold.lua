-- seat_hold: the gate of a seat Try. Holds every listed seat of one event for
-- branch `owner` until expiry_ms (the transaction deadline plus a margin), or
-- none of them. A seat is free if it has no entry or its holder's expiry has
-- passed by Redis time; a seat already held by this owner is held again
-- (new expiry). Sold seats are never free.
-- KEYS: ts:{evt:<id>}:meta  ts:{evt:<id>}:seats  ts:{evt:<id>}:own:<owner>
-- ARGV: owner ("<gid>:<branch_id>"), expiry_ms (epoch ms, at most 30 days
--       after the Redis time), ttl_ms (the owner record lives until
--       expiry_ms + ttl_ms), n, then n distinct seat ids (n in [1, 100])
-- Reply:
--   {'OK', n_held, expiry_ms}        held now
--   {'DUPLICATE', n, expiry_ms}      held (or held and committed: expiry 0)
--                                    by this owner before; nothing changed
--   {'SEAT_TAKEN', n_taken, seat...} some seats are held or sold; none held
--   {'CANCELLED', 0, 0}              released before (hanging Try); refused
--   {'EXPIRED', 0, now_ms}           expiry_ms is not after the Redis time:
--                                    the Try comes too late; nothing held
--   {'NOT_INITIALIZED', 0, 0}        no gate for this event
--   {'INVALID_ARGUMENT', message}
return run(function()
  local owner = owner_arg(1)
  local expiry = int_arg(2, 'expiry_ms', 1, MAX_INT)
  local ttl = ttl_arg(3)
  local seats = seat_list(4, 5)
  check_keys('evt', {'meta', 'seats', 'own:' .. owner})
  local now = now_ms()
  check_expiry(expiry, now)

  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'NOT_INITIALIZED', 0, 0}
  end
  local rec = redis.call('GET', KEYS[3])
  if rec then
    local r = words(rec)
    if r[1] == 'H' then
      return {'DUPLICATE', tonumber(r[3]), tonumber(r[2])}
    elseif r[1] == 'C' then
      return {'DUPLICATE', tonumber(r[2]), 0}
    end
    return {'CANCELLED', 0, 0}
  end
  if expiry <= now then
    return {'EXPIRED', 0, now}
  end

  local cur = redis.call('HMGET', KEYS[2], unpack(seats))
  local taken = {}
  for i = 1, #seats do
    if cur[i] then
      local state, until_ms, holder = parse_seat(cur[i])
      if state == 'S' or (holder ~= owner and until_ms > now) then
        taken[#taken + 1] = seats[i]
      end
    end
  end
  if #taken > 0 then
    local out = {'SEAT_TAKEN', #taken}
    for i = 1, #taken do
      out[#out + 1] = taken[i]
    end
    return out
  end

  local value = 'H ' .. num(expiry) .. ' ' .. owner
  local flat = {}
  for i = 1, #seats do
    flat[#flat + 1] = seats[i]
    flat[#flat + 1] = value
  end
  redis.call('HSET', KEYS[2], unpack(flat))
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  redis.call('SET', KEYS[3], 'H ' .. num(expiry) .. ' ' .. num(#seats), 'PX',
             expiry - now + ttl)
  return {'OK', #seats, expiry}
end)
