-- range_free: how many of the listed resources are free over the whole of
-- [from, to) by Redis time (remaining seats of a class for one trip, free
-- machines of a zone for one window), without shipping their entries. Read
-- only; the request path's hottest call.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges
-- ARGV: from, to (0 <= from < to <= units), n (1..2000), then n distinct
--       resource ids
-- Reply {'OK', n_free, now_ms} or {'NOT_INITIALIZED', 0, now_ms} or
-- {'INVALID_ARGUMENT', message}.
return run(function()
  local window = {from = int_arg(1, 'from', 0, MAX_UNITS - 1),
                  to = int_arg(2, 'to', 1, MAX_UNITS)}
  if window.to <= window.from then
    invalid('from must be below to')
  end
  local resources = id_list(3, 4, 'n', 'resources', 1, 2000)
  local n = #resources
  check_keys('rng', {'meta', 'ranges'})
  local now = now_ms()
  local units = tonumber(redis.call('HGET', KEYS[1], 'units'))
  if not units then
    return {'NOT_INITIALIZED', 0, now}
  end
  if window.to > units then
    invalid('to must be at most the gate\'s ' .. num(units) .. ' units')
  end
  local free = 0
  local i = 1
  while i <= n do  -- HMGET in chunks below Lua's unpack limit
    local j = math.min(i + 999, n)
    local values = redis.call('HMGET', KEYS[2], unpack(resources, i, j))
    for k = 1, j - i + 1 do
      local ok = true
      for _, e in ipairs(parse_ranges(values[k])) do
        if overlaps(e, window) and (e.state == 'S' or e.expiry > now) then
          ok = false
          break
        end
      end
      if ok then
        free = free + 1
      end
    end
    i = j + 1
  end
  return {'OK', free, now}
end)
