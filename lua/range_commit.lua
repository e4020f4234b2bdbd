-- range_commit: the gate of a range booking's Confirm. Marks the listed items
-- sold to branch `owner` for good, following the decision already taken in
-- PostgreSQL: an item whose hold lapsed in the gate, or that overlaps another
-- owner's hold meanwhile, is sold too (counted as reclaimed; the other
-- owner's holds on it are deleted, its PostgreSQL Try fails). An item that
-- overlaps a range sold to another owner is left alone and reported
-- (NOT_OWNER): the gate has drifted and the reconciler repairs it. Exactly
-- once per owner. A tracked owner's items count as sold in its user's list
-- (range_hold's per-user limit) for good.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges  ts:{rng:<key>}:own:<owner>
--       ts:{rng:<key>}:users
-- ARGV: owner, ttl_ms (life of the owner record), n (1..50), then n x
--       (resource, from, to) as in range_hold
-- Reply {status, n_sold, n_reclaimed, n_skipped, (resource, from, to) x
--   n_skipped}:
--   OK | NOT_OWNER   committed now (n_sold includes the reclaimed items)
--   DUPLICATE        committed before; nothing changed (n_sold as recorded)
--   CANCELLED        released before; nothing changed
--   NOT_INITIALIZED  no gate; nothing changed
--   INVALID_ARGUMENT {status, message}
-- The owner record becomes "C <n_sold>" for ttl_ms.
return run(function()
  local owner = owner_arg(1)
  local ttl = ttl_arg(2)
  local items, resources = range_items(3, 4)
  check_keys('rng', {'meta', 'ranges', 'own:' .. owner, 'users'})
  if not range_units(KEYS[1], items) then
    return {'NOT_INITIALIZED', 0, 0, 0}
  end
  local rec = redis.call('GET', KEYS[3])
  if rec then
    local r = words(rec)
    if r[1] == 'C' then
      return {'DUPLICATE', tonumber(r[2]), 0, 0}
    elseif r[1] == 'X' or r[1] == 'T' then
      return {'CANCELLED', 0, 0, 0}
    end
  end

  local now = now_ms()
  local lists = read_ranges(KEYS[2], resources)
  local sold, reclaimed, skipped = 0, 0, {}
  for _, item in ipairs(items) do
    local list = lists[item.resource]
    local blocked, own_hold = false, false
    for _, e in ipairs(list) do
      if overlaps(e, item) then
        if e.state == 'S' and e.owner ~= owner then
          blocked = true
        elseif e.state == 'H' and e.owner == owner and e.from == item.from and
            e.to == item.to and e.expiry > now then
          own_hold = true
        end
      end
    end
    if blocked then
      skipped[#skipped + 1] = item
    else
      local kept = {}
      for _, e in ipairs(list) do
        if not overlaps(e, item) then
          kept[#kept + 1] = e
        end
      end
      kept[#kept + 1] = {state = 'S', from = item.from, to = item.to,
                         expiry = 0, owner = owner}
      lists[item.resource] = kept
      sold = sold + 1
      if not own_hold then
        reclaimed = reclaimed + 1
      end
    end
  end
  write_ranges(KEYS[2], resources, lists)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  redis.call('SET', KEYS[3], 'C ' .. num(sold), 'PX', ttl)
  settle_use(KEYS[4], owner, sold)
  local out = {'OK', sold, reclaimed, #skipped}
  if #skipped > 0 then
    out[1] = 'NOT_OWNER'
  end
  for _, item in ipairs(skipped) do
    out[#out + 1] = item.resource
    out[#out + 1] = item.from
    out[#out + 1] = item.to
  end
  return out
end)
