-- limit_release: the day-limit gate of a booking's Cancel (or of a Try that
-- failed after limit_take). Drops this owner's held uses from every counter
-- it took; sold uses and other owners' are never touched. Idempotent.
-- KEYS: ts:{lim:<day>}:meta  ts:{lim:<day>}:uses
-- ARGV: owner
-- Reply:
--   {'OK', n}               the owner's uses of n counters released
--   {'NOT_FOUND', 0}        the owner holds nothing (released, committed,
--                           never taken); nothing changed
--   {'NOT_INITIALIZED', 0}  no gate for the day; nothing changed
--   {'INVALID_ARGUMENT', message}
return run(function()
  local owner = owner_arg(1)
  arg_count(1)
  check_keys('lim', {'meta', 'uses'})
  if redis.call('EXISTS', KEYS[1]) == 0 then
    return {'NOT_INITIALIZED', 0}
  end
  local rec = redis.call('HGET', KEYS[2], 'o:' .. owner)
  if not rec then
    return {'NOT_FOUND', 0}
  end
  local w = words(rec)
  for i = 2, #w do
    local field = 'k:' .. w[i]
    local kept = {}
    for _, u in ipairs(parse_uses(redis.call('HGET', KEYS[2], field))) do
      if u.owner ~= owner or u.expiry == 0 then
        kept[#kept + 1] = u
      end
    end
    write_use_field(KEYS[2], field, kept)
  end
  redis.call('HDEL', KEYS[2], 'o:' .. owner)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  return {'OK', #w - 1}
end)
