-- limit_take: the day-limit gate of a booking's Try (per identity document
-- and per user and day, issue 10 item 5; PostgreSQL's booking_quota stays
-- the judge). Takes `units` of every listed counter for branch `owner` until
-- expiry_ms (the transaction deadline plus a margin), or none: a counter's
-- live uses (sold, or held by another owner until after the Redis time;
-- lapsed ones are dropped on the way) plus units must stay within its
-- limit. A repeat of an owner that holds answers DUPLICATE.
-- KEYS: ts:{lim:<day>}:meta  ts:{lim:<day>}:uses
-- ARGV: owner, expiry_ms (at most 30 days after the Redis time),
--       expire_at_ms (the keys' expiry: after the day), n (1..12), then
--       n x (counter, units 1..50, limit 1..10^6); counters distinct
-- Reply:
--   {'OK', n}                       taken now
--   {'DUPLICATE', n}                this owner holds already; no change
--   {'USER_LIMIT', i, used, limit}  counter i (1-based) has `used` live
--                                   units: used + units would pass limit;
--                                   nothing taken
--   {'EXPIRED', now_ms}             expiry_ms is not after the Redis time
--   {'NOT_INITIALIZED', 0}          no gate for the day
--   {'INVALID_ARGUMENT', message}
return run(function()
  local owner = owner_arg(1)
  local expiry = int_arg(2, 'expiry_ms', 1, MAX_INT)
  local expire_at = int_arg(3, 'expire_at_ms', 1, MAX_INT)
  local counters = counter_list(4, 5, true)
  check_keys('lim', {'meta', 'uses'})
  local now = now_ms()
  check_expiry(expiry, now)
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'NOT_INITIALIZED', 0}
  end
  if redis.call('HEXISTS', KEYS[2], 'o:' .. owner) == 1 then
    return {'DUPLICATE', #counters}
  end
  if expiry <= now then
    return {'EXPIRED', now}
  end
  local lists = {}
  for i, c in ipairs(counters) do
    local kept, used = live_uses(
        parse_uses(redis.call('HGET', KEYS[2], 'k:' .. c.name)), now, owner)
    if used + c.units > c.limit then
      return {'USER_LIMIT', i, used, c.limit}
    end
    kept[#kept + 1] = {owner = owner, n = c.units, expiry = expiry}
    lists[i] = kept
  end
  local names = {num(expiry)}
  for i, c in ipairs(counters) do
    write_use_field(KEYS[2], 'k:' .. c.name, lists[i])
    names[#names + 1] = c.name
  end
  redis.call('HSET', KEYS[2], 'o:' .. owner, table.concat(names, ' '))
  limit_touch(math.max(expire_at, now + 3600000))
  return {'OK', #counters}
end)
