-- seat_commit: the gate of a seat Confirm. Marks the listed seats sold to
-- branch `owner` for good (a sold seat is never free again). It follows the
-- decision already taken in PostgreSQL: a seat whose hold lapsed in the gate,
-- or that another owner holds there meanwhile, is sold to this owner too
-- (counted as reclaimed; that owner's PostgreSQL Try fails and releases). A
-- seat sold to another owner is left alone and reported (NOT_OWNER): the gate
-- has drifted and the reconciler repairs it. Exactly once per owner.
-- KEYS: ts:{evt:<id>}:meta  ts:{evt:<id>}:seats  ts:{evt:<id>}:own:<owner>
-- ARGV: owner ("<gid>:<branch_id>"), ttl_ms (life of the owner record), n,
--       then n distinct seat ids (n in [1, 100])
-- Reply {status, n_sold, n_reclaimed, n_skipped, skipped seat...}:
--   OK | NOT_OWNER   committed now (n_sold includes the reclaimed seats)
--   DUPLICATE        committed before; nothing changed (n_sold as recorded)
--   CANCELLED        released before; nothing changed
--   NOT_INITIALIZED  no gate for this event; nothing changed
--   INVALID_ARGUMENT {status, message}
-- The owner record becomes "C <n_sold>" for ttl_ms.
return run(function()
  local owner = owner_arg(1)
  local ttl = ttl_arg(2)
  local seats = seat_list(3, 4)
  check_keys('evt', {'meta', 'seats', 'own:' .. owner})

  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'NOT_INITIALIZED', 0, 0, 0}
  end
  local rec = redis.call('GET', KEYS[3])
  if rec then
    local r = words(rec)
    if r[1] == 'C' then
      return {'DUPLICATE', tonumber(r[2]), 0, 0}
    elseif r[1] == 'X' or r[1] == 'T' then
      return {'CANCELLED', 0, 0, 0}
    end
  end

  local cur = redis.call('HMGET', KEYS[2], unpack(seats))
  local sold, skipped, reclaimed = {}, {}, 0
  local value = 'S 0 ' .. owner
  for i = 1, #seats do
    local state, holder = nil, nil
    if cur[i] then
      local s, _, h = parse_seat(cur[i])
      state, holder = s, h
    end
    if state == 'S' and holder ~= owner then
      skipped[#skipped + 1] = seats[i]
    else
      if holder ~= owner then
        reclaimed = reclaimed + 1
      end
      sold[#sold + 1] = seats[i]
      sold[#sold + 1] = value
    end
  end
  if #sold > 0 then
    redis.call('HSET', KEYS[2], unpack(sold))
  end
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  redis.call('SET', KEYS[3], 'C ' .. num(#sold / 2), 'PX', ttl)
  local out = {'OK', #sold / 2, reclaimed, #skipped}
  if #skipped > 0 then
    out[1] = 'NOT_OWNER'
  end
  for i = 1, #skipped do
    out[#out + 1] = skipped[i]
  end
  return out
end)
