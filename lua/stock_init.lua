-- stock_init: creates, repairs or replaces the gate of one SKU.
-- KEYS: ts:{sku:<id>}:stock  ts:{sku:<id>}:users  ts:{sku:<id>}:res
-- ARGV: mode, expected_ver, remaining, limit,
--       n_users, then n_users x (user, units),
--       n_res, then n_res x (owner, quantity, user)
--   mode 'init'   only if the gate does not exist (else EXISTS, unchanged);
--        'repair' only if the gate's ver equals expected_ver (0 = absent),
--                 else CONFLICT: a reconciler reads the gate (stock_read),
--                 compares with PostgreSQL and repairs without losing a
--                 reservation made in between;
--        'force'  unconditionally.
--   remaining: units the gate may still hand out; limit: most units one user
--   may hold or buy (0 = no limit); users: units each user holds or bought
--   (reserved + sold); res: reservations still open (LOCKED in PostgreSQL).
--   Every user of res must be in users with at least the sum of its
--   reservations. The done records (idempotency, tombstones) are kept.
-- Reply {status, remaining, limit, ver}: OK (ver after the call), EXISTS,
-- CONFLICT (current values; -1 if absent), INVALID_ARGUMENT {status, message}.
return run(function()
  local mode = enum_arg(1, 'mode', {init = true, repair = true, force = true})
  local expected_ver = int_arg(2, 'expected_ver', 0, MAX_INT)
  local remaining = int_arg(3, 'remaining', 0, MAX_STOCK)
  local limit = int_arg(4, 'limit', 0, MAX_USER_LIMIT)
  local n_users = int_arg(5, 'n_users', 0, MAX_ENTRIES)
  local users, seen = {}, {}
  for i = 1, n_users do
    local at = 5 + 2 * i - 1
    local user = id_arg(at, 'users[' .. i .. '].user', MAX_ID)
    local units = int_arg(at + 1, 'users[' .. i .. '].units', 1, MAX_STOCK)
    if seen[user] then
      invalid('users[' .. i .. '].user is repeated')
    end
    seen[user] = units
    users[#users + 1] = user
    users[#users + 1] = num(units)
  end
  local at_res = 6 + 2 * n_users
  local n_res = int_arg(at_res, 'n_res', 0, MAX_ENTRIES)
  arg_count(at_res + 3 * n_res)
  local res, owners, held = {}, {}, {}
  for i = 1, n_res do
    local at = at_res + 3 * i - 2
    local owner = owner_arg(at)
    local qty = int_arg(at + 1, 'res[' .. i .. '].quantity', 1, MAX_QTY)
    local user = id_arg(at + 2, 'res[' .. i .. '].user', MAX_ID)
    if owners[owner] then
      invalid('res[' .. i .. '].owner is repeated')
    end
    owners[owner] = true
    held[user] = (held[user] or 0) + qty
    if not seen[user] or seen[user] < held[user] then
      invalid('res[' .. i .. ']: users must count at least the reserved units of ' .. user)
    end
    res[#res + 1] = {owner, qty, user}
  end
  check_keys('sku', {'stock', 'users', 'res'})

  local cur = redis.call('HMGET', KEYS[1], 'remaining', 'limit', 'ver')
  local cur_ver = tonumber(cur[3]) or 0
  local function current(status)
    return {status, tonumber(cur[1]) or -1, tonumber(cur[2]) or -1, cur_ver}
  end
  if mode == 'init' and cur[1] then
    return current('EXISTS')
  end
  if mode == 'repair' and cur_ver ~= expected_ver then
    return current('CONFLICT')
  end

  -- Reservations restored here get the current time as creation time.
  local now = num(now_ms())
  local res_flat = {}
  for i = 1, #res do
    local r = res[i]
    res_flat[#res_flat + 1] = r[1]
    res_flat[#res_flat + 1] = num(r[2]) .. ' ' .. now .. ' ' .. r[3]
  end
  local ver = cur_ver + 1
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('HSET', KEYS[1], 'remaining', num(remaining), 'limit', num(limit),
             'ver', num(ver))
  hset_all(KEYS[2], users)
  hset_all(KEYS[3], res_flat)
  return {'OK', remaining, limit, ver}
end)
