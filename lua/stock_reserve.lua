-- stock_reserve: the gate of an inventory Try. Takes `quantity` units of one
-- SKU for branch `owner` of user `user` if that many are left and the user
-- stays within the per-user limit (units reserved + bought).
-- KEYS: ts:{sku:<id>}:stock  ts:{sku:<id>}:users  ts:{sku:<id>}:res
--       ts:{sku:<id>}:done:<owner>
-- ARGV: owner ("<gid>:<branch_id>"), user, quantity
-- Reply {status, remaining, user_units, quantity}:
--   OK               reserved now; remaining and user_units after the call
--   DUPLICATE        reserved (or reserved and committed) before; quantity
--                    as recorded then; nothing changed
--   CANCELLED        released before it was reserved (a hanging Try) or
--                    after; refused, nothing changed
--   SOLD_OUT         fewer than quantity units left (user_units -1: not read)
--   USER_LIMIT       user_units + quantity would pass the limit
--   NOT_INITIALIZED  no gate for this SKU (remaining -1)
--   INVALID_ARGUMENT {status, message}
-- The sold-out check comes before the limit check: it is the answer most
-- callers of a flash sale get, and the cheapest.
return run(function()
  local owner = owner_arg(1)
  local user = id_arg(2, 'user', MAX_ID)
  local qty = int_arg(3, 'quantity', 1, MAX_QTY)
  arg_count(3)
  check_keys('sku', {'stock', 'users', 'res', 'done:' .. owner})

  local st = redis.call('HMGET', KEYS[1], 'remaining', 'limit')
  if not st[1] then
    return {'NOT_INITIALIZED', -1, -1, 0}
  end
  local remaining = tonumber(st[1])
  local function units_of(u)
    return tonumber(redis.call('HGET', KEYS[2], u)) or 0
  end

  local done = redis.call('GET', KEYS[4])
  if done then
    local d = words(done)
    if d[1] == 'C' then
      return {'DUPLICATE', remaining, units_of(d[3]), tonumber(d[2])}
    end
    return {'CANCELLED', remaining, -1, 0}
  end
  local rec = redis.call('HGET', KEYS[3], owner)
  if rec then
    local r_qty, _, r_user = parse_reservation(rec)
    return {'DUPLICATE', remaining, units_of(r_user), r_qty}
  end

  if remaining < qty then
    return {'SOLD_OUT', remaining, -1, qty}
  end
  local limit = tonumber(st[2]) or 0
  local units = units_of(user)
  if limit > 0 and units + qty > limit then
    return {'USER_LIMIT', remaining, units, qty}
  end

  remaining = redis.call('HINCRBY', KEYS[1], 'remaining', -qty)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  units = redis.call('HINCRBY', KEYS[2], user, qty)
  redis.call('HSET', KEYS[3], owner,
             num(qty) .. ' ' .. num(now_ms()) .. ' ' .. user)
  return {'OK', remaining, units, qty}
end)
