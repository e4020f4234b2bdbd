-- limit_init: rebuilds or repairs the day-limit gate of one day from
-- PostgreSQL (the reconciler). The given uses (the HELD and SOLD bookings of
-- the day, by owner and counter) replace the gate's, except that the held
-- uses of owners not given (Tries in flight: the gate took them, PostgreSQL
-- has not seen them yet) that have not lapsed are kept. Held uses given
-- with an expiry not after the Redis time are left out (lapsed), and so are
-- the held uses of the `decided` owners (PostgreSQL has their Confirm or
-- Cancel: a Try that took its counters and then died).
-- KEYS: ts:{lim:<day>}:meta  ts:{lim:<day>}:uses
-- ARGV: mode ('init': only if absent; 'repair': only if the gate's ver is
--       expected_ver, 0 = absent), expected_ver, expire_at_ms, n
--       (0..200000), then n x (owner, counter, units 1..10^6, expiry_ms:
--       0 = sold, else held until then); (owner, counter) pairs distinct;
--       then optionally m (0..10000), m x owner: the decided owners
-- Reply:
--   {'OK', ver, n_counters}     written; ver is the gate's new version
--   {'EXISTS', ver, 0}          mode init and the gate exists; no change
--   {'CONFLICT', ver, 0}        mode repair and the version moved on
--   {'INVALID_ARGUMENT', message}
return run(function()
  local mode = enum_arg(1, 'mode', {init = true, repair = true})
  local expected_ver = int_arg(2, 'expected_ver', 0, MAX_INT)
  local expire_at = int_arg(3, 'expire_at_ms', 1, MAX_INT)
  local n = int_arg(4, 'n', 0, MAX_GATE_RANGES)
  local decided = {}
  if #ARGV > 4 + 4 * n then
    local m = int_arg(5 + 4 * n, 'n_decided', 0, 10000)
    arg_count(5 + 4 * n + m)
    for i = 1, m do
      decided[owner_arg(5 + 4 * n + i)] = true
    end
  else
    arg_count(4 + 4 * n)
  end
  local given, seen = {}, {}
  for i = 1, n do
    local at = 5 + 4 * (i - 1)
    local e = {owner = owner_arg(at),
               name = id_arg(at + 1, 'uses[' .. i .. '].counter',
                             MAX_COUNTER),
               n = int_arg(at + 2, 'uses[' .. i .. '].units', 1, MAX_LIMIT),
               expiry = int_arg(at + 3, 'uses[' .. i .. '].expiry_ms', 0,
                                MAX_INT)}
    local pair = e.owner .. ' ' .. e.name
    if seen[pair] then
      invalid('uses[' .. i .. '] repeats owner and counter')
    end
    seen[pair] = true
    given[i] = e
  end
  check_keys('lim', {'meta', 'uses'})

  local cur_ver = tonumber(redis.call('HGET', KEYS[1], 'ver'))
  if mode == 'init' and cur_ver then
    return {'EXISTS', cur_ver, 0}
  end
  cur_ver = cur_ver or 0
  if mode == 'repair' and cur_ver ~= expected_ver then
    return {'CONFLICT', cur_ver, 0}
  end
  local now = now_ms()
  local known = {}
  for _, e in ipairs(given) do
    known[e.owner] = true
  end

  local lists, names, holds = {}, {}, {}
  local function add(name, use)
    if not lists[name] then
      lists[name] = {}
      names[#names + 1] = name
    end
    local l = lists[name]
    l[#l + 1] = use
  end
  -- In-flight holds the gate has and PostgreSQL does not.
  local flat = redis.call('HGETALL', KEYS[2])
  local kept_rec = {}
  for i = 1, #flat, 2 do
    local field, value = flat[i], flat[i + 1]
    if string.sub(field, 1, 2) == 'k:' then
      for _, u in ipairs(parse_uses(value)) do
        if not known[u.owner] and not decided[u.owner] and
            u.expiry > now then
          add(string.sub(field, 3), u)
          kept_rec[u.owner] = true
        end
      end
    end
  end
  local fields = {}
  for i = 1, #flat, 2 do
    local owner = string.match(flat[i], '^o:(.+)$')
    if owner and kept_rec[owner] then
      fields[#fields + 1] = flat[i]
      fields[#fields + 1] = flat[i + 1]
    end
  end
  for _, e in ipairs(given) do
    if e.expiry == 0 or e.expiry > now then
      add(e.name, {owner = e.owner, n = e.n, expiry = e.expiry})
      if e.expiry ~= 0 then
        local h = holds[e.owner]
        if not h then
          h = {num(e.expiry)}
          holds[e.owner] = h
        end
        h[#h + 1] = e.name
      end
    end
  end
  for owner, h in pairs(holds) do
    fields[#fields + 1] = 'o:' .. owner
    fields[#fields + 1] = table.concat(h, ' ')
  end
  redis.call('DEL', KEYS[2])
  for _, name in ipairs(names) do
    write_use_field(KEYS[2], 'k:' .. name, lists[name])
  end
  hset_all(KEYS[2], fields)
  local ver = cur_ver + 1
  redis.call('HSET', KEYS[1], 'ver', num(ver))
  redis.call('PEXPIREAT', KEYS[1], math.max(expire_at, now + 3600000))
  redis.call('PEXPIREAT', KEYS[2], math.max(expire_at, now + 3600000))
  return {'OK', ver, #names}
end)
