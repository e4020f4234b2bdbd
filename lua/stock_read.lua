-- stock_read: one atomic snapshot of the gate of one SKU, for the reconciler.
-- O(users + open reservations) in one call; meant for the reconciler, not for
-- the request path.
-- KEYS: ts:{sku:<id>}:stock  ts:{sku:<id>}:users  ts:{sku:<id>}:res
-- ARGV: none
-- Reply {'OK', remaining, limit, ver, now_ms,
--        n_users, then n_users x (user, units),
--        n_res, then n_res x (owner, quantity, user, created_ms)}
--   or {'NOT_INITIALIZED', 0, 0, ver (0), now_ms, 0, 0} when the gate is
--   absent (users and reservations are not read then),
--   or {'INVALID_ARGUMENT', message}.
-- ver increases with every change, so stock_init 'repair' with this ver
-- applies only if nothing moved since this read.
return run(function()
  arg_count(0)
  check_keys('sku', {'stock', 'users', 'res'})
  local now = now_ms()
  local st = redis.call('HMGET', KEYS[1], 'remaining', 'limit', 'ver')
  if not st[1] then
    return {'NOT_INITIALIZED', 0, 0, 0, now, 0, 0}
  end
  local out = {'OK', tonumber(st[1]), tonumber(st[2]) or 0, tonumber(st[3]) or 0, now}
  local users = redis.call('HGETALL', KEYS[2])
  out[#out + 1] = #users / 2
  for i = 1, #users, 2 do
    out[#out + 1] = users[i]
    out[#out + 1] = tonumber(users[i + 1])
  end
  local res = redis.call('HGETALL', KEYS[3])
  out[#out + 1] = #res / 2
  for i = 1, #res, 2 do
    local qty, created, user = parse_reservation(res[i + 1])
    out[#out + 1] = res[i]
    out[#out + 1] = qty
    out[#out + 1] = user
    out[#out + 1] = created
  end
  return out
end)
