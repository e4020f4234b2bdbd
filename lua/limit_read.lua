-- limit_read: the live use of counters of one day-limit gate (turnstilectl
-- check --check_gates, the reconciler's version, tests). Read only.
-- KEYS: ts:{lim:<day>}:meta  ts:{lim:<day>}:uses
-- ARGV: n (0..1000; 0 = every counter), then n counter names
-- Reply:
--   {'OK', ver, now_ms, m, (counter, used) x m, k, owner x k}
--       counters with live use > 0 (sold, or held until after now_ms),
--       sorted by name; with n = 0 also the owners that hold until after
--       now_ms (the reconciler asks PostgreSQL whether they are decided)
--   {'NOT_INITIALIZED', 0}                       no gate for the day
--   {'INVALID_ARGUMENT', message}
return run(function()
  local n = int_arg(1, 'n', 0, 1000)
  arg_count(1 + n)
  local wanted = {}
  for i = 1, n do
    wanted[i] = id_arg(1 + i, 'counters[' .. i .. ']', MAX_COUNTER)
  end
  check_keys('lim', {'meta', 'uses'})
  local ver = tonumber(redis.call('HGET', KEYS[1], 'ver'))
  if not ver then
    return {'NOT_INITIALIZED', 0}
  end
  local now = now_ms()
  local pairs_out = {}
  local function count(name, value)
    local _, used = live_uses(parse_uses(value), now, nil)
    if used > 0 then
      pairs_out[#pairs_out + 1] = {name, used}
    end
  end
  if n == 0 then
    local flat = redis.call('HGETALL', KEYS[2])
    for i = 1, #flat, 2 do
      if string.sub(flat[i], 1, 2) == 'k:' then
        count(string.sub(flat[i], 3), flat[i + 1])
      end
    end
  else
    for _, name in ipairs(wanted) do
      count(name, redis.call('HGET', KEYS[2], 'k:' .. name))
    end
  end
  table.sort(pairs_out, function(a, b) return a[1] < b[1] end)
  local out = {'OK', ver, now, #pairs_out}
  for _, p in ipairs(pairs_out) do
    out[#out + 1] = p[1]
    out[#out + 1] = p[2]
  end
  local holders = {}
  if n == 0 then
    local flat = redis.call('HGETALL', KEYS[2])
    for i = 1, #flat, 2 do
      local owner = string.match(flat[i], '^o:(.+)$')
      if owner and tonumber(words(flat[i + 1])[1]) > now then
        holders[#holders + 1] = owner
      end
    end
    table.sort(holders)
  end
  out[#out + 1] = #holders
  for _, o in ipairs(holders) do
    out[#out + 1] = o
  end
  return out
end)
