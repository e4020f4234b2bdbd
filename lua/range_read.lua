-- range_read: the booked ranges of some or all resources of one gate, for
-- availability and remaining-seat answers (request path when resources are
-- listed; O(entries of the gate) for all, the reconciler's snapshot).
-- Holds whose expiry_ms <= Redis time are free and not returned.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges
-- ARGV: n (0..1000; 0 = every resource), then n distinct resource ids
-- Reply {'OK', ver, units, now_ms, n_entries, (resource, from, to, state,
-- owner, expiry_ms) x n_entries} (state 'H' or 'S'; sorted by from within a
-- resource, resources in the order asked), or {'NOT_INITIALIZED', 0, 0,
-- now_ms, 0}, or {'INVALID_ARGUMENT', message}.
return run(function()
  local resources = id_list(1, 2, 'n', 'resources', 0, 1000)
  local n = #resources
  check_keys('rng', {'meta', 'ranges'})
  local now = now_ms()
  local meta = redis.call('HMGET', KEYS[1], 'ver', 'units')
  if not meta[1] then
    return {'NOT_INITIALIZED', 0, 0, now, 0}
  end
  local values = {}
  if n > 0 then
    values = redis.call('HMGET', KEYS[2], unpack(resources))
  else
    local all = redis.call('HGETALL', KEYS[2])
    for i = 1, #all, 2 do
      resources[#resources + 1] = all[i]
      values[#values + 1] = all[i + 1]
    end
  end
  local out = {'OK', tonumber(meta[1]), tonumber(meta[2]), now, 0}
  local count = 0
  for i = 1, #resources do
    for _, e in ipairs(parse_ranges(values[i])) do
      if e.state == 'S' or e.expiry > now then
        out[#out + 1] = resources[i]
        out[#out + 1] = e.from
        out[#out + 1] = e.to
        out[#out + 1] = e.state
        out[#out + 1] = e.owner
        out[#out + 1] = e.expiry
        count = count + 1
      end
    end
  end
  out[5] = count
  return out
end)
