-- range_init: creates, repairs or replaces the gate of one venue-day or train
-- run from PostgreSQL's view of it.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges  ts:{rng:<key>}:users
-- ARGV: mode, expected_ver, units, n, then n x (resource, from, to, state,
--       owner, expiry_ms), optionally m, then m x (owner, user): the users
--       of owners with entries (range_hold's per-user limit)
--   mode as in seat_init ('init' only if absent, else EXISTS; 'repair' only
--   if ver == expected_ver (0 = absent), else CONFLICT; 'force' always).
--   units in [1, 256] is the length of every resource's range; the entries
--   (n <= 200000) are the booked ranges [from, to) with 0 <= from < to <=
--   units, state 'H' (held by owner until expiry_ms) or 'S' (sold to owner;
--   expiry_ms 0); entries of one resource must not overlap. Everything else
--   is free. Replaces all entries at once; owner records (idempotency,
--   tombstones) are kept. The users lists are rebuilt from the entries:
--   an owner counts its entries for its user (sold if any is sold, else
--   held until its latest expiry); an owner not in the (owner, user) list
--   keeps the user the gate knew for it (a Try in flight), if any.
-- Reply {status, ver, n_entries}: OK (after the call), EXISTS / CONFLICT
-- (current ver and number of resources with entries), INVALID_ARGUMENT
-- {status, message}.
return run(function()
  local mode = enum_arg(1, 'mode', {init = true, repair = true, force = true})
  local expected_ver = int_arg(2, 'expected_ver', 0, MAX_INT)
  local units = int_arg(3, 'units', 1, MAX_UNITS)
  local n = int_arg(4, 'n', 0, MAX_GATE_RANGES)
  if #ARGV ~= 4 + 6 * n then
    local m = int_arg(5 + 6 * n, 'n_users', 0, MAX_GATE_RANGES)
    arg_count(5 + 6 * n + 2 * m)
  end
  local lists, resources = {}, {}
  for i = 1, n do
    local at = 5 + 6 * (i - 1)
    local field = 'entries[' .. i .. ']'
    local resource = id_arg(at, field .. '.resource', MAX_ID)
    local e = {
      from = int_arg(at + 1, field .. '.from', 0, units - 1),
      to = int_arg(at + 2, field .. '.to', 1, units),
      state = enum_arg(at + 3, field .. '.state', {H = true, S = true}),
      owner = owner_arg(at + 4),
      expiry = int_arg(at + 5, field .. '.expiry_ms', 0, MAX_INT)}
    if e.to <= e.from then
      invalid(field .. ' must have from < to')
    end
    if e.state == 'S' and e.expiry ~= 0 then
      invalid(field .. '.expiry_ms must be 0 for a sold range')
    end
    local list = lists[resource]
    if not list then
      list = {}
      lists[resource] = list
      resources[#resources + 1] = resource
    end
    list[#list + 1] = e
  end
  local user_of, listed = {}, {}
  if #ARGV > 4 + 6 * n then
    local m = tonumber(ARGV[5 + 6 * n])
    for i = 1, m do
      local at = 6 + 6 * n + 2 * (i - 1)
      local o = owner_arg(at)
      if user_of[o] then
        invalid('users[' .. i .. '].owner is repeated')
      end
      user_of[o] = id_arg(at + 1, 'users[' .. i .. '].user', MAX_ID)
      listed[#listed + 1] = o
    end
  end
  local per_owner, owners = {}, {}
  for i = 1, #resources do
    for _, e in ipairs(lists[resources[i]]) do
      local p = per_owner[e.owner]
      if not p then
        p = {n = 0, expiry = 0, sold = false}
        per_owner[e.owner] = p
        owners[#owners + 1] = e.owner
      end
      p.n = p.n + 1
      p.sold = p.sold or e.state == 'S'
      p.expiry = math.max(p.expiry, e.expiry)
    end
  end
  for i = 1, #listed do
    if not per_owner[listed[i]] then
      invalid('users[' .. i .. '].owner has no entry')
    end
  end
  local flat = {}
  for i = 1, #resources do
    local list = lists[resources[i]]
    local v = format_ranges(list)  -- sorts by from
    for j = 2, #list do
      if list[j].from < list[j - 1].to then
        invalid('entries of resource ' .. resources[i] .. ' overlap')
      end
    end
    flat[#flat + 1] = resources[i]
    flat[#flat + 1] = v
  end
  check_keys('rng', {'meta', 'ranges', 'users'})

  local cur_ver = tonumber(redis.call('HGET', KEYS[1], 'ver'))
  if mode == 'init' and cur_ver then
    return {'EXISTS', cur_ver, redis.call('HLEN', KEYS[2])}
  end
  cur_ver = cur_ver or 0
  if mode == 'repair' and cur_ver ~= expected_ver then
    return {'CONFLICT', cur_ver, redis.call('HLEN', KEYS[2])}
  end
  local ver = cur_ver + 1
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'ver', num(ver), 'units', num(units))
  hset_all(KEYS[2], flat)

  if redis.call('EXISTS', KEYS[3]) == 1 then
    for _, o in ipairs(owners) do
      if not user_of[o] then
        user_of[o] = redis.call('HGET', KEYS[3], 'o:' .. o) or nil
      end
    end
    redis.call('DEL', KEYS[3])
  end
  local by_user, users, ufields = {}, {}, {}
  for _, o in ipairs(owners) do
    local user = user_of[o]
    if user then
      local p = per_owner[o]
      local expiry = p.sold and 0 or p.expiry
      if not by_user[user] then
        by_user[user] = {}
        users[#users + 1] = user
      end
      local list = by_user[user]
      list[#list + 1] = o .. ',' .. num(p.n) .. ',' .. num(expiry)
      if expiry ~= 0 then
        ufields[#ufields + 1] = 'o:' .. o
        ufields[#ufields + 1] = user
      end
    end
  end
  for _, user in ipairs(users) do
    ufields[#ufields + 1] = 'u:' .. user
    ufields[#ufields + 1] = table.concat(by_user[user], ' ')
  end
  hset_all(KEYS[3], ufields)
  return {'OK', ver, n}
end)
