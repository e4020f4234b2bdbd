-- stock_release: the gate of an inventory Cancel. Returns the units of branch
-- `owner` to the SKU and to its user's allowance, exactly once.
-- KEYS: ts:{sku:<id>}:stock  ts:{sku:<id>}:users  ts:{sku:<id>}:res
--       ts:{sku:<id>}:done:<owner>
-- ARGV: owner ("<gid>:<branch_id>"), ttl_ms (life of the done record)
-- Reply {status, remaining, user_units, quantity}:
--   OK               released now; remaining and user_units after the call
--   DUPLICATE        released before; nothing changed
--   NOT_FOUND        nothing was reserved: a tombstone is recorded so that a
--                    late stock_reserve of this owner is refused (CANCELLED),
--                    the TCC rule against hanging Tries
--   COMMITTED        the branch was committed; nothing changed
--   NOT_INITIALIZED  no gate for this SKU; nothing changed
--   INVALID_ARGUMENT {status, message}
-- user_units is -1 where not read. The done record ("X <qty> <user>" or the
-- tombstone "T") expires after ttl_ms.
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
      return {'COMMITTED', remaining, -1, tonumber(d[2])}
    end
    return {'DUPLICATE', remaining, -1, tonumber(d[2]) or 0}
  end
  local rec = redis.call('HGET', KEYS[3], owner)
  if not rec then
    redis.call('SET', KEYS[4], 'T', 'PX', ttl)
    return {'NOT_FOUND', remaining, -1, 0}
  end

  local qty, _, user = parse_reservation(rec)
  remaining = redis.call('HINCRBY', KEYS[1], 'remaining', qty)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  local units = redis.call('HINCRBY', KEYS[2], user, -qty)
  if units <= 0 then
    -- Keeps the hash to the users who hold or bought something.
    redis.call('HDEL', KEYS[2], user)
    units = 0
  end
  redis.call('HDEL', KEYS[3], owner)
  redis.call('SET', KEYS[4], 'X ' .. num(qty) .. ' ' .. user, 'PX', ttl)
  return {'OK', remaining, units, qty}
end)
