-- stock_commit: the gate of an inventory Confirm. Forgets the reservation of
-- branch `owner` and keeps its units taken (and counted for its user),
-- exactly once.
-- KEYS: ts:{sku:<id>}:stock  ts:{sku:<id>}:users  ts:{sku:<id>}:res
--       ts:{sku:<id>}:done:<owner>
-- ARGV: owner ("<gid>:<branch_id>"), ttl_ms (life of the done record)
-- Reply {status, remaining, user_units, quantity}:
--   OK               committed now
--   DUPLICATE        committed before; nothing changed
--   CANCELLED        the branch was released (or tombstoned); nothing changed
--   NOT_FOUND        no such reservation (e.g. Redis lost it); nothing changed,
--                    the reconciler repairs the counters
--   NOT_INITIALIZED  no gate for this SKU; nothing changed
--   INVALID_ARGUMENT {status, message}
-- user_units is -1 where not read. The done record "C <qty> <user>" expires
-- after ttl_ms.
return run(function()
  local owner = owner_arg(1)
  local ttl = ttl_arg(2)
  arg_count(2)
  check_keys('sku', {'stock', 'users', 'res', 'done:' .. owner})

  local remaining = tonumber(redis.call('HGET', KEYS[1], 'remaining'))
  if not remaining then
    return {'NOT_INITIALIZED', -1, -1, 0}
  end
  local done = redis.call('GET', KEYS[4])
  if done then
    local d = words(done)
    if d[1] == 'C' then
      return {'DUPLICATE', remaining, -1, tonumber(d[2])}
    end
    return {'CANCELLED', remaining, -1, 0}
  end
  local rec = redis.call('HGET', KEYS[3], owner)
  if not rec then
    return {'NOT_FOUND', remaining, -1, 0}
  end

  local qty, _, user = parse_reservation(rec)
  redis.call('HDEL', KEYS[3], owner)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  redis.call('SET', KEYS[4], 'C ' .. num(qty) .. ' ' .. user, 'PX', ttl)
  local units = tonumber(redis.call('HGET', KEYS[2], user)) or 0
  return {'OK', remaining, units, qty}
end)
