-- seat_release: the gate of a seat Cancel. Frees the listed seats that branch
-- `owner` holds; seats held by another owner or sold are left alone and
-- reported (NOT_OWNER) while the owner's own seats are still freed, because a
-- Cancel must always make progress. Exactly once per owner.
-- KEYS: ts:{evt:<id>}:meta  ts:{evt:<id>}:seats  ts:{evt:<id>}:own:<owner>
-- ARGV: owner ("<gid>:<branch_id>"), ttl_ms (life of the owner record), n,
--       then n distinct seat ids (n in [1, 100])
-- Reply {status, n_released, n_skipped, skipped seat...}:
--   OK               released now (seats already free count neither way)
--   NOT_OWNER        as OK, but the skipped seats are held by another owner
--                    or sold
--   NOT_FOUND        nothing held by this owner: a tombstone is recorded so
--                    that a late seat_hold of this owner is refused
--   DUPLICATE        released before; nothing changed
--   COMMITTED        the branch was committed; nothing changed
--   NOT_INITIALIZED  no gate for this event; nothing changed
--   INVALID_ARGUMENT {status, message}
-- The owner record becomes "X <n_released>" (or the tombstone "T") for ttl_ms.
return run(function()
  local owner = owner_arg(1)
  local ttl = ttl_arg(2)
  local seats = seat_list(3, 4)
  check_keys('evt', {'meta', 'seats', 'own:' .. owner})

  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'NOT_INITIALIZED', 0, 0}
  end
  local rec = redis.call('GET', KEYS[3])
  if rec then
    local r = words(rec)
    if r[1] == 'C' then
      return {'COMMITTED', 0, 0}
    elseif r[1] == 'X' or r[1] == 'T' then
      return {'DUPLICATE', 0, 0}
    end
  end

  local cur = redis.call('HMGET', KEYS[2], unpack(seats))
  local free, skipped = {}, {}
  for i = 1, #seats do
    if cur[i] then
      local state, _, holder = parse_seat(cur[i])
      if state == 'H' and holder == owner then
        free[#free + 1] = seats[i]
      else
        skipped[#skipped + 1] = seats[i]
      end
    end
  end
  if #free > 0 then
    redis.call('HDEL', KEYS[2], unpack(free))
    redis.call('HINCRBY', KEYS[1], 'ver', 1)
  end
  local status = 'OK'
  if #skipped > 0 then
    status = 'NOT_OWNER'
  elseif not rec and #free == 0 then
    status = 'NOT_FOUND'
  end
  if not rec and #free == 0 then
    redis.call('SET', KEYS[3], 'T', 'PX', ttl)
  else
    redis.call('SET', KEYS[3], 'X ' .. num(#free), 'PX', ttl)
  end
  local out = {status, #free, #skipped}
  for i = 1, #skipped do
    out[#out + 1] = skipped[i]
  end
  return out
end)
