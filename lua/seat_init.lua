-- seat_init: creates, repairs or replaces the gate of one event.
-- KEYS: ts:{evt:<id>}:meta  ts:{evt:<id>}:seats
-- ARGV: mode, expected_ver, n, then n x (seat, state, owner, expiry_ms)
--   mode as in stock_init ('init' only if absent, else EXISTS; 'repair' only
--   if ver == expected_ver (0 = absent), else CONFLICT; 'force' always).
--   The entries are the seats that are not free: state 'H' (held by owner
--   until expiry_ms) or 'S' (sold to owner; expiry_ms 0). Seats not listed
--   are free. Owner records (idempotency, tombstones) are kept.
-- Reply {status, ver, n_seats}: OK (after the call), EXISTS / CONFLICT
-- (current ver and number of non-free seats), INVALID_ARGUMENT {status,
-- message}.
return run(function()
  local mode = enum_arg(1, 'mode', {init = true, repair = true, force = true})
  local expected_ver = int_arg(2, 'expected_ver', 0, MAX_INT)
  local n = int_arg(3, 'n', 0, MAX_EVENT_SEATS)
  arg_count(3 + 4 * n)
  local flat, seen = {}, {}
  for i = 1, n do
    local at = 3 + 4 * i - 3
    local field = 'seats[' .. i .. ']'
    local seat = id_arg(at, field .. '.seat', MAX_ID)
    local state = enum_arg(at + 1, field .. '.state', {H = true, S = true})
    local owner = owner_arg(at + 2)
    local expiry = int_arg(at + 3, field .. '.expiry_ms', 0, MAX_INT)
    if state == 'S' and expiry ~= 0 then
      invalid(field .. '.expiry_ms must be 0 for a sold seat')
    end
    if seen[seat] then
      invalid(field .. '.seat is repeated')
    end
    seen[seat] = true
    flat[#flat + 1] = seat
    flat[#flat + 1] = state .. ' ' .. num(expiry) .. ' ' .. owner
  end
  check_keys('evt', {'meta', 'seats'})

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
  redis.call('HSET', KEYS[1], 'ver', num(ver))
  hset_all(KEYS[2], flat)
  return {'OK', ver, n}
end)
