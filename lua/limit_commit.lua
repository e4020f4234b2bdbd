-- limit_commit: the day-limit gate of a booking's Confirm. Records the
-- listed uses of branch `owner` as sold for good (the decision already taken
-- in PostgreSQL), replacing whatever the owner held on those counters --
-- also when its hold lapsed or was never taken here (Redis restarted).
-- Counters it held and that are not listed are released. Idempotent.
-- KEYS: ts:{lim:<day>}:meta  ts:{lim:<day>}:uses
-- ARGV: owner, expire_at_ms, n (1..12), then n x (counter, units 1..50)
-- Reply:
--   {'OK', n}               n counters record the owner's sold uses
--   {'NOT_INITIALIZED', 0}  no gate for the day; nothing changed (the
--                           rebuild from PostgreSQL will count them)
--   {'INVALID_ARGUMENT', message}
return run(function()
  local owner = owner_arg(1)
  local expire_at = int_arg(2, 'expire_at_ms', 1, MAX_INT)
  local counters = counter_list(3, 4, false)
  check_keys('lim', {'meta', 'uses'})
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'NOT_INITIALIZED', 0}
  end
  local fields, listed = {}, {}
  for _, c in ipairs(counters) do
    listed['k:' .. c.name] = c.units
    fields[#fields + 1] = 'k:' .. c.name
  end
  local rec = redis.call('HGET', KEYS[2], 'o:' .. owner)
  if rec then
    local w = words(rec)
    for i = 2, #w do
      if not listed['k:' .. w[i]] then
        fields[#fields + 1] = 'k:' .. w[i]
      end
    end
  end
  for _, field in ipairs(fields) do
    local kept = {}
    for _, u in ipairs(parse_uses(redis.call('HGET', KEYS[2], field))) do
      if u.owner ~= owner then
        kept[#kept + 1] = u
      end
    end
    if listed[field] then
      kept[#kept + 1] = {owner = owner, n = listed[field], expiry = 0}
    end
    write_use_field(KEYS[2], field, kept)
  end
  redis.call('HDEL', KEYS[2], 'o:' .. owner)
  limit_touch(math.max(expire_at, now_ms() + 3600000))
  return {'OK', #counters}
end)
