-- range_release: the gate of a range booking's Cancel. Deletes this owner's
-- holds that overlap the listed items (lapsed or not); sold ranges and other
-- owners' entries are never touched; the owner leaves its user's list
-- (range_hold's per-user limit). Exactly once per owner.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges  ts:{rng:<key>}:own:<owner>
--       ts:{rng:<key>}:users
-- ARGV: owner, ttl_ms (life of the owner record), n (1..50), then n x
--       (resource, from, to) as in range_hold
-- Reply {status, n_released}: n_released = the owner's hold entries deleted
--   OK               released now
--   NOT_FOUND        nothing held by this owner and no record: a tombstone
--                    is written so that a late range_hold is CANCELLED
--   DUPLICATE        released before; nothing changed
--   COMMITTED        the branch was committed; nothing changed
--   NOT_INITIALIZED  no gate; nothing changed (no tombstone)
--   INVALID_ARGUMENT {status, message}
-- The owner record becomes "X <n_released>" (or the tombstone "T") for ttl_ms.
return run(function()
  local owner = owner_arg(1)
  local ttl = ttl_arg(2)
  local items, resources, by_res = range_items(3, 4)
  check_keys('rng', {'meta', 'ranges', 'own:' .. owner, 'users'})
  if not range_units(KEYS[1], items) then
    return {'NOT_INITIALIZED', 0}
  end
  local rec = redis.call('GET', KEYS[3])
  if rec then
    local r = words(rec)
    if r[1] == 'C' then
      return {'COMMITTED', 0}
    elseif r[1] == 'X' or r[1] == 'T' then
      return {'DUPLICATE', 0}
    end
  end

  local lists = read_ranges(KEYS[2], resources)
  local released = 0
  for i = 1, #resources do
    local res = resources[i]
    local kept = {}
    for _, e in ipairs(lists[res]) do
      local drop = false
      if e.state == 'H' and e.owner == owner then
        for _, item in ipairs(by_res[res]) do
          if overlaps(e, item) then
            drop = true
          end
        end
      end
      if drop then
        released = released + 1
      else
        kept[#kept + 1] = e
      end
    end
    lists[res] = kept
  end
  if released > 0 then
    write_ranges(KEYS[2], resources, lists)
    redis.call('HINCRBY', KEYS[1], 'ver', 1)
  end
  settle_use(KEYS[4], owner, nil)
  if not rec and released == 0 then
    redis.call('SET', KEYS[3], 'T', 'PX', ttl)
    return {'NOT_FOUND', 0}
  end
  redis.call('SET', KEYS[3], 'X ' .. num(released), 'PX', ttl)
  return {'OK', released}
end)
