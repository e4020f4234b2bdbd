-- range_init: creates, repairs or replaces the gate of one venue-day or train
-- run from PostgreSQL's view of it.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges
-- ARGV: mode, expected_ver, units, n, then n x (resource, from, to, state,
--       owner, expiry_ms)
--   mode as in seat_init ('init' only if absent, else EXISTS; 'repair' only
--   if ver == expected_ver (0 = absent), else CONFLICT; 'force' always).
--   units in [1, 256] is the length of every resource's range; the entries
--   (n <= 200000) are the booked ranges [from, to) with 0 <= from < to <=
--   units, state 'H' (held by owner until expiry_ms) or 'S' (sold to owner;
--   expiry_ms 0); entries of one resource must not overlap. Everything else
--   is free. Replaces all entries at once; owner records (idempotency,
--   tombstones) are kept.
-- Reply {status, ver, n_entries}: OK (after the call), EXISTS / CONFLICT
-- (current ver and number of resources with entries), INVALID_ARGUMENT
-- {status, message}.
return run(function()
  local mode = enum_arg(1, 'mode', {init = true, repair = true, force = true})
  local expected_ver = int_arg(2, 'expected_ver', 0, MAX_INT)
  local units = int_arg(3, 'units', 1, MAX_UNITS)
  local n = int_arg(4, 'n', 0, MAX_GATE_RANGES)
  arg_count(4 + 6 * n)
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
  check_keys('rng', {'meta', 'ranges'})

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
  return {'OK', ver, n}
end)
