-- range_hold: the gate of a range booking's Try. Holds every listed item
-- (resource, [from, to)) of one gate for branch `owner` until expiry_ms (the
-- transaction deadline plus a margin), or none of them. A unit is taken if it
-- is sold, or held by another owner whose expiry is after the Redis time;
-- lapsed holds of the touched resources are deleted on the way. This owner's
-- own holds overlapping an item are replaced. With the optional (user,
-- limit) the hold counts against the user's items on this gate: those of
-- its owners that are sold or hold until after the Redis time (lapsed ones
-- leave the user's list); more than `limit` (0 = no limit, only counted)
-- with this hold's items is USER_LIMIT, nothing changed.
-- KEYS: ts:{rng:<key>}:meta  ts:{rng:<key>}:ranges  ts:{rng:<key>}:own:<owner>
--       [ts:{rng:<key>}:users  with user and limit only]
-- ARGV: owner ("<gid>:<branch_id>"), expiry_ms (epoch ms, at most 30 days
--       after the Redis time), ttl_ms (the owner record lives until
--       expiry_ms + ttl_ms), n (1..50), then n x (resource, from, to) with
--       0 <= from < to <= units; items of one resource must not overlap;
--       optionally user (an id), limit (0..10^6)
-- Reply:
--   {'OK', n_held, expiry_ms}           held now
--   {'DUPLICATE', n, expiry_ms}         held (or held and committed: expiry
--                                       0) by this owner before; no change
--   {'TAKEN', k, (resource, from, to) x k}  the items that are taken; none
--                                       held
--   {'USER_LIMIT', n_user, limit}       the user's live items n_user + n
--                                       would pass limit; none held
--   {'CANCELLED', 0, 0}                 released before (hanging Try)
--   {'EXPIRED', 0, now_ms}              expiry_ms is not after the Redis time
--   {'NOT_INITIALIZED', 0, 0}           no gate
--   {'INVALID_ARGUMENT', message}
return run(function()
  local owner = owner_arg(1)
  local expiry = int_arg(2, 'expiry_ms', 1, MAX_INT)
  local ttl = ttl_arg(3)
  local items, resources, by_res, tail = range_items(4, 5, 2)
  local user, limit = nil, 0
  if tail then
    user = id_arg(tail, 'user', MAX_ID)
    limit = int_arg(tail + 1, 'limit', 0, MAX_USER_LIMIT)
    check_keys('rng', {'meta', 'ranges', 'own:' .. owner, 'users'})
  else
    check_keys('rng', {'meta', 'ranges', 'own:' .. owner})
  end
  local now = now_ms()
  check_expiry(expiry, now)
  if not range_units(KEYS[1], items) then
    return {'NOT_INITIALIZED', 0, 0}
  end
  local rec = redis.call('GET', KEYS[3])
  if rec then
    local r = words(rec)
    if r[1] == 'H' then
      return {'DUPLICATE', tonumber(r[3]), tonumber(r[2])}
    elseif r[1] == 'C' then
      return {'DUPLICATE', tonumber(r[2]), 0}
    end
    return {'CANCELLED', 0, 0}
  end
  if expiry <= now then
    return {'EXPIRED', 0, now}
  end
  -- The limit before the ranges: its answer does not depend on which
  -- resources an allocating caller tries next.
  local uses = {}
  if user then
    local used = 0
    for _, u in ipairs(parse_uses(redis.call('HGET', KEYS[4], 'u:' .. user))) do
      if u.owner ~= owner and (u.expiry == 0 or u.expiry > now) then
        uses[#uses + 1] = u
        used = used + u.n
      end
    end
    if limit > 0 and used + #items > limit then
      return {'USER_LIMIT', used, limit}
    end
  end

  local lists = read_ranges(KEYS[2], resources)
  local taken = {}
  for i = 1, #items do
    local item = items[i]
    local list = lists[item.resource]
    for j = 1, #list do
      local e = list[j]
      if overlaps(e, item) and
          (e.state == 'S' or (e.owner ~= owner and e.expiry > now)) then
        taken[#taken + 1] = item
        break
      end
    end
  end
  if #taken > 0 then
    local out = {'TAKEN', #taken}
    for i = 1, #taken do
      out[#out + 1] = taken[i].resource
      out[#out + 1] = taken[i].from
      out[#out + 1] = taken[i].to
    end
    return out
  end

  for i = 1, #resources do
    local res = resources[i]
    local mine = by_res[res]
    local kept = {}
    for _, e in ipairs(lists[res]) do
      local keep = e.state == 'S' or e.expiry > now
      if keep and e.owner == owner then
        for j = 1, #mine do
          if overlaps(e, mine[j]) then
            keep = false
          end
        end
      end
      if keep then
        kept[#kept + 1] = e
      end
    end
    for j = 1, #mine do
      kept[#kept + 1] = {state = 'H', from = mine[j].from, to = mine[j].to,
                         expiry = expiry, owner = owner}
    end
    lists[res] = kept
  end
  write_ranges(KEYS[2], resources, lists)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  redis.call('SET', KEYS[3], 'H ' .. num(expiry) .. ' ' .. num(#items), 'PX',
             expiry - now + ttl)
  if user then
    uses[#uses + 1] = {owner = owner, n = #items, expiry = expiry}
    write_uses(KEYS[4], user, uses)
    redis.call('HSET', KEYS[4], 'o:' .. owner, user)
  end
  return {'OK', #items, expiry}
end)
