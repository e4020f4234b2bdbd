-- Shared helpers of the Turnstile gate scripts. The build prepends this file
-- to every lua/*.lua script (lua/embed_scripts.cmake), so each script loaded
-- into Redis is self-contained. Conventions (lua/README.md has the details):
--   * every key is passed in KEYS and all keys of one call share one hash tag
--     ({sku:<id>}, {evt:<id>} or {rng:<key>}); check_keys() verifies the
--     names, so a caller cannot mix keys of two SKUs, events or gates;
--   * every argument is validated before the first write; a bad one returns
--     {'INVALID_ARGUMENT', message} and changes nothing;
--   * every reply is a table whose first element is a status string.

local ID_PATTERN = '^[%w_.:@%-]+$'
local OWNER_PATTERN = '^[%w_.@%-]+:[%w_.@%-]+$'
local MAX_ID = 64              -- sku, event, seat and user ids
local MAX_OWNER = 130          -- "<gid>:<branch_id>"
local MIN_TTL_MS = 1000
local MAX_TTL_MS = 2592000000  -- 30 days
local MAX_INT = 4503599627370496  -- 2^52: exact in Lua's doubles

local INVALID = {}

-- Raises an argument error; run() turns it into the INVALID_ARGUMENT reply.
local function invalid(message)
  error({INVALID, message}, 0)
end

-- Runs main() and maps argument errors to the structured reply. Any other
-- error (a Redis error such as WRONGTYPE) propagates as a Redis error reply.
local function run(main)
  local ok, result = pcall(main)
  if ok then
    return result
  end
  if type(result) == 'table' and result[1] == INVALID then
    return {'INVALID_ARGUMENT', result[2]}
  end
  error(result, 0)
end

-- ARGV[i] as an integer in [lo, hi]: decimal digits only (no sign, no
-- exponent, no fraction, no blanks).
local function int_arg(i, name, lo, hi)
  local s = ARGV[i]
  if s == nil then
    invalid(name .. ' is missing')
  end
  if #s == 0 or #s > 16 or not string.find(s, '^%d+$') then
    invalid(name .. ' must be an integer in [' .. lo .. ', ' .. hi .. ']')
  end
  local v = tonumber(s)
  if v < lo or v > hi then
    invalid(name .. ' must be an integer in [' .. lo .. ', ' .. hi .. ']')
  end
  return v
end

-- ARGV[i] as an id: 1..max_len chars of [A-Za-z0-9_.:@-].
local function id_arg(i, name, max_len)
  local s = ARGV[i]
  if s == nil then
    invalid(name .. ' is missing')
  end
  if #s == 0 or #s > max_len or not string.find(s, ID_PATTERN) then
    invalid(name .. ' must be 1-' .. max_len .. ' chars of [A-Za-z0-9_.:@-]')
  end
  return s
end

-- ARGV[i] as the owner of a record: "<gid>:<branch_id>".
local function owner_arg(i)
  local s = ARGV[i]
  if s == nil then
    invalid('owner is missing')
  end
  if #s > MAX_OWNER or not string.find(s, OWNER_PATTERN) then
    invalid('owner must be "<gid>:<branch_id>", at most ' .. MAX_OWNER ..
            ' chars of [A-Za-z0-9_.@-] around one colon')
  end
  return s
end

-- ARGV[i] as one of the strings in `allowed` (a set).
local function enum_arg(i, name, allowed)
  local s = ARGV[i]
  if s == nil then
    invalid(name .. ' is missing')
  end
  if not allowed[s] then
    invalid(name .. ' has an unknown value')
  end
  return s
end

local function ttl_arg(i)
  return int_arg(i, 'ttl_ms', MIN_TTL_MS, MAX_TTL_MS)
end

-- Exactly n arguments.
local function arg_count(n)
  if #ARGV ~= n then
    invalid('expected ' .. n .. ' arguments, got ' .. #ARGV)
  end
end

-- Checks that KEYS are exactly 'ts:{<kind>:<id>}:' .. suffixes[i] for one id
-- and returns that id.
local function check_keys(kind, suffixes)
  if #KEYS ~= #suffixes then
    invalid('expected ' .. #suffixes .. ' keys, got ' .. #KEYS)
  end
  local id = string.match(KEYS[1], '^ts:{' .. kind .. ':([^{}]*)}:')
  if id == nil or #id == 0 or #id > MAX_ID or not string.find(id, ID_PATTERN) then
    invalid('key 1 must be ts:{' .. kind .. ':<id>}:' .. suffixes[1])
  end
  local base = 'ts:{' .. kind .. ':' .. id .. '}:'
  for i = 1, #suffixes do
    if KEYS[i] ~= base .. suffixes[i] then
      invalid('key ' .. i .. ' must be ' .. base .. suffixes[i])
    end
  end
  return id
end

-- Redis server time in milliseconds since the epoch (the only clock every
-- caller shares).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- An integer as a decimal string (tostring would use an exponent for large
-- values).
local function num(v)
  return string.format('%d', v)
end

-- A hold's expiry (epoch ms) at most 30 days after the Redis time `now`.
local function check_expiry(expiry, now)
  if expiry > now + MAX_TTL_MS then
    invalid('expiry_ms must be at most 30 days after the Redis time ' ..
            num(now))
  end
end

-- The blank-separated words of s.
local function words(s)
  local t = {}
  for w in string.gmatch(s, '%S+') do
    t[#t + 1] = w
  end
  return t
end

-- HSET key with a flat field/value list, in chunks that stay below Lua's
-- unpack limit.
local function hset_all(key, list)
  local i = 1
  while i <= #list do
    local j = math.min(i + 999, #list)
    redis.call('HSET', key, unpack(list, i, j))
    i = j + 1
  end
end

-- Domain bounds, as in the services' validation (services/*/validation.h).
local MAX_STOCK = 1000000000      -- units of one SKU
local MAX_QTY = 1000000           -- units of one reservation
local MAX_USER_LIMIT = 1000000    -- per-user limit (0 = none)
local MAX_ENTRIES = 1000000       -- list entries of one init call
local MAX_SEATS = 100             -- seats of one hold/release/commit call
local MAX_EVENT_SEATS = 200000    -- seat entries of one seat_init call

-- A stock reservation as stored in ts:{sku:<id>}:res: "<qty> <created_ms>
-- <user>".
local function parse_reservation(s)
  local w = words(s)
  return tonumber(w[1]), tonumber(w[2]), w[3]
end

-- A seat as stored in ts:{evt:<id>}:seats: "H <expiry_ms> <owner>" (held) or
-- "S 0 <owner>" (sold). A free seat has no field.
local function parse_seat(s)
  local w = words(s)
  return w[1], tonumber(w[2]), w[3]
end

-- ARGV[first .. first + n - 1] as n distinct seat ids, where n = ARGV[at_n]
-- in [1, MAX_SEATS]; the call must have exactly first + n - 1 arguments.
-- A list of distinct ids: its count at argument `at_n` (in [lo, hi], checked
-- against the number of arguments), the ids from argument `first`.
local function id_list(at_n, first, count_name, name, lo, hi)
  local n = int_arg(at_n, count_name, lo, hi)
  arg_count(first + n - 1)
  local ids, seen = {}, {}
  for i = 1, n do
    local id = id_arg(first + i - 1, name .. '[' .. i .. ']', MAX_ID)
    if seen[id] then
      invalid(name .. '[' .. i .. '] is repeated')
    end
    seen[id] = true
    ids[i] = id
  end
  return ids
end

local function seat_list(at_n, first)
  return id_list(at_n, first, 'n_seats', 'seats', 1, MAX_SEATS)
end

-- Ranges (lua/range_*.lua): resources booked over integer unit ranges
-- [from, to) of one gate (a venue-day or a train run), hash tag {rng:<key>}.
local MAX_UNITS = 256              -- units (slots or legs) per resource
local MAX_RANGE_ITEMS = 50         -- items of one hold/release/commit call
local MAX_GATE_RANGES = 200000     -- entries of one range_init call

-- The entries of one resource as stored in ts:{rng:<key>}:ranges: blank
-- separated "<state>,<from>,<to>,<expiry_ms>,<owner>", state H (held until
-- expiry_ms) or S (sold; expiry 0), sorted by from. A field holds only
-- entries that did not overlap when written, so at most MAX_UNITS of them.
local function parse_ranges(s)
  local out = {}
  if not s then
    return out
  end
  for w in string.gmatch(s, '%S+') do
    local state, from, to, expiry, owner =
        string.match(w, '^([HS]),(%d+),(%d+),(%d+),(.+)$')
    out[#out + 1] = {state = state, from = tonumber(from), to = tonumber(to),
                     expiry = tonumber(expiry), owner = owner}
  end
  return out
end

-- The stored form of a list of entries (nil if empty: delete the field).
local function format_ranges(list)
  if #list == 0 then
    return nil
  end
  table.sort(list, function(a, b) return a.from < b.from end)
  local parts = {}
  for i = 1, #list do
    local e = list[i]
    parts[i] = e.state .. ',' .. num(e.from) .. ',' .. num(e.to) .. ',' ..
               num(e.expiry) .. ',' .. e.owner
  end
  return table.concat(parts, ' ')
end

local function overlaps(a, b)
  return a.from < b.to and b.from < a.to
end

-- ARGV[first ..] as n items (resource, from, to), n = ARGV[at_n] in [1,
-- MAX_RANGE_ITEMS], exactly first + 3n - 1 arguments, 0 <= from < to <=
-- MAX_UNITS; items of one resource must not overlap. Returns the items in
-- order and the distinct resources in order of first use. With `tail` > 0,
-- exactly `tail` more arguments may follow the items: the 4th value is then
-- the index of the first of them (nil if absent).
local function range_items(at_n, first, tail)
  local n = int_arg(at_n, 'n_items', 1, MAX_RANGE_ITEMS)
  local tail_at = nil
  if tail and tail > 0 and #ARGV == first + 3 * n - 1 + tail then
    tail_at = first + 3 * n
  else
    arg_count(first + 3 * n - 1)
  end
  local items, resources, by_res = {}, {}, {}
  for i = 1, n do
    local at = first + 3 * (i - 1)
    local field = 'items[' .. i .. ']'
    local item = {
      resource = id_arg(at, field .. '.resource', MAX_ID),
      from = int_arg(at + 1, field .. '.from', 0, MAX_UNITS - 1),
      to = int_arg(at + 2, field .. '.to', 1, MAX_UNITS)}
    if item.to <= item.from then
      invalid(field .. ' must have from < to')
    end
    local list = by_res[item.resource]
    if not list then
      list = {}
      by_res[item.resource] = list
      resources[#resources + 1] = item.resource
    end
    for j = 1, #list do
      if overlaps(list[j], item) then
        invalid(field .. ' overlaps an earlier item of the same resource')
      end
    end
    list[#list + 1] = item
    items[i] = item
  end
  return items, resources, by_res, tail_at
end

-- The gate's units (ts:{rng:<key>}:meta), nil if not initialized; raises
-- INVALID_ARGUMENT if an item ends after the last unit.
local function range_units(meta_key, items)
  local units = tonumber(redis.call('HGET', meta_key, 'units'))
  if not units then
    return nil
  end
  for i = 1, #items do
    if items[i].to > units then
      invalid('items[' .. i .. '].to must be at most the gate\'s ' ..
              num(units) .. ' units')
    end
  end
  return units
end

-- Reads the entries of `resources` (one HMGET): resource -> list.
local function read_ranges(ranges_key, resources)
  local cur = redis.call('HMGET', ranges_key, unpack(resources))
  local out = {}
  for i = 1, #resources do
    out[resources[i]] = parse_ranges(cur[i])
  end
  return out
end

-- Writes the entries of `resources` back (HSET, or HDEL of empty ones).
local function write_ranges(ranges_key, resources, lists)
  local set, del = {}, {}
  for i = 1, #resources do
    local v = format_ranges(lists[resources[i]])
    if v then
      set[#set + 1] = resources[i]
      set[#set + 1] = v
    else
      del[#del + 1] = resources[i]
    end
  end
  if #set > 0 then
    redis.call('HSET', ranges_key, unpack(set))
  end
  if #del > 0 then
    redis.call('HDEL', ranges_key, unpack(del))
  end
end

-- Per-user use of a range gate (range_hold's optional per-user limit), in
-- ts:{rng:<key>}:users: field 'u:<user>' -> blank-separated
-- "<owner>,<n_items>,<expiry_ms>" (expiry 0: sold), field 'o:<owner>' ->
-- <user> while the owner holds (until its release or commit).
local function parse_uses(s)
  local out = {}
  if not s then
    return out
  end
  for w in string.gmatch(s, '%S+') do
    local owner, n, expiry = string.match(w, '^(.+),(%d+),(%d+)$')
    out[#out + 1] = {owner = owner, n = tonumber(n),
                     expiry = tonumber(expiry)}
  end
  return out
end

-- Writes a list of uses to field `field` of hash `key` (HDEL if empty).
local function write_use_field(key, field, list)
  if #list == 0 then
    redis.call('HDEL', key, field)
    return
  end
  local parts = {}
  for i = 1, #list do
    local u = list[i]
    parts[i] = u.owner .. ',' .. num(u.n) .. ',' .. num(u.expiry)
  end
  redis.call('HSET', key, field, table.concat(parts, ' '))
end

-- Writes the user's list back (HDEL if empty).
local function write_uses(users_key, user, list)
  write_use_field(users_key, 'u:' .. user, list)
end

-- The owner's hold is over: released (sold_n nil: its entry goes) or
-- committed (sold_n items sold for good). No-op for an untracked owner.
local function settle_use(users_key, owner, sold_n)
  local user = redis.call('HGET', users_key, 'o:' .. owner)
  if not user then
    return
  end
  local kept = {}
  for _, u in ipairs(parse_uses(redis.call('HGET', users_key, 'u:' .. user))) do
    if u.owner ~= owner then
      kept[#kept + 1] = u
    end
  end
  if sold_n and sold_n > 0 then
    kept[#kept + 1] = {owner = owner, n = sold_n, expiry = 0}
  end
  write_uses(users_key, user, kept)
  redis.call('HDEL', users_key, 'o:' .. owner)
end

-- Day limits (lua/limit_*.lua): counted uses of limited counters of one day
-- (per identity document, per user), hash tag {lim:<YYYY-MM-DD>}. In
-- ts:{lim:<day>}:uses, field 'k:<counter>' holds the counter's uses in the
-- format of parse_uses (expiry 0: sold, for good) and field 'o:<owner>'
-- "<expiry_ms> <counter>..." while the owner holds (until its release or
-- commit). ts:{lim:<day>}:meta has 'ver' (the gate exists; bumped by every
-- write). Both keys expire at the expire_at_ms a caller gives (the day is
-- over for good), renewed by every write.
local MAX_COUNTER = 200           -- chars of a counter name
local MAX_LIMIT_COUNTERS = 12     -- counters of one take/commit call
local MAX_LIMIT_UNITS = 50        -- units of one counter in one call
local MAX_LIMIT = 1000000         -- a counter's limit

-- The uses of `list` that count at `now`: sold, or held until after now,
-- leaving out `except_owner`'s; and their total.
local function live_uses(list, now, except_owner)
  local kept, total = {}, 0
  for _, u in ipairs(list) do
    if u.owner ~= except_owner and (u.expiry == 0 or u.expiry > now) then
      kept[#kept + 1] = u
      total = total + u.n
    end
  end
  return kept, total
end

-- n x (counter, units[, limit]) from ARGV[first]: distinct counter names.
local function counter_list(at_n, first, with_limit)
  local n = int_arg(at_n, 'n_counters', 1, MAX_LIMIT_COUNTERS)
  local width = with_limit and 3 or 2
  arg_count(first + width * n - 1)
  local out, seen = {}, {}
  for i = 1, n do
    local at = first + width * (i - 1)
    local name = id_arg(at, 'counters[' .. i .. ']', MAX_COUNTER)
    if seen[name] then
      invalid('counters[' .. i .. '] is repeated')
    end
    seen[name] = true
    out[i] = {name = name,
              units = int_arg(at + 1, 'counters[' .. i .. '].units', 1,
                              MAX_LIMIT_UNITS)}
    if with_limit then
      out[i].limit = int_arg(at + 2, 'counters[' .. i .. '].limit', 1,
                             MAX_LIMIT)
    end
  end
  return out
end

-- Bumps the version and renews the keys' expiry.
local function limit_touch(expire_at)
  redis.call('HINCRBY', KEYS[1], 'ver', 1)
  redis.call('PEXPIREAT', KEYS[1], expire_at)
  redis.call('PEXPIREAT', KEYS[2], expire_at)
end
