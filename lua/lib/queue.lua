-- Shared code of the waiting room's scripts (lua/queue_*.lua; the build
-- prepends this file to each of them after gate.lua). One queue per queued
-- product, every key under the product's hash tag Q = ts:{qs:<sku_id>} (a
-- SKU) or ts:{qr:<run_id>} (a train run); every call passes all five keys:
--   Q:cfg   hash  rate (admissions per 1000 s, i.e. micro-admissions per
--                 ms), max_len, pass_ttl_ms, seq (last join sequence),
--                 admitted (passes issued), credit (micro-admissions not yet
--                 used), ts_ms (Redis time credit was last brought up to
--                 date), returned (slots of passes that lapsed unused, given
--                 to the next in line), ver (+1 per configuration)
--   Q:wait  zset  user -> join sequence: the buyers waiting, in join order
--   Q:seen  zset  user -> Redis ms of the waiting buyer's last call (a
--                 place lapses after place_ttl_ms without one)
--   Q:user  hash  user -> "W <seq> <joined_ms>" waiting, or
--                 "A <pass_expiry_ms> <joined_ms> <used 0|1>" admitted
--   Q:pass  zset  user -> pass expiry ms of the admitted buyers
-- Admission is lazy: every call first brings the queue up to its Redis
-- time (advance): passes past their expiry are forgotten (an unused one
-- returns its slot), lapsed places are dropped, credit grows by `rate` per
-- ms (capped at one second's worth while buyers wait, at one admission
-- while nobody does, so an idle queue does not save up a burst), and the
-- heads of the line are admitted while there is credit. Each step does at
-- most MAX_STEP entries, so one call is bounded however long the line.
local UNIT = 1000000            -- micro-admissions per admission
local MIN_RATE = 100            -- 0.1 admissions per second
local MAX_RATE = 10000000       -- 10000 admissions per second
local MAX_LEN = 1000000
local MIN_PASS_TTL_MS = 5000
local MAX_PASS_TTL_MS = 3600000
local MIN_PLACE_TTL_MS = 1000
local MAX_PLACE_TTL_MS = 3600000
local MAX_STEP = 1000           -- entries one call expires, drops or admits
local QUEUE_SUFFIXES = {'cfg', 'wait', 'seen', 'user', 'pass'}

-- Checks the five keys (one product, either kind) and returns them by name.
local function queue_keys()
  local kind = string.match(KEYS[1] or '', '^ts:{(q[sr]):')
  if kind == nil then
    invalid('key 1 must be ts:{qs:<sku_id>}:cfg or ts:{qr:<run_id>}:cfg')
  end
  check_keys(kind, QUEUE_SUFFIXES)
  return {cfg = KEYS[1], wait = KEYS[2], seen = KEYS[3], user = KEYS[4],
          pass = KEYS[5]}
end

-- The configuration and counters, nil if the product is not queued.
local function load_queue(k)
  local v = redis.call('HMGET', k.cfg, 'rate', 'max_len', 'pass_ttl_ms',
                       'seq', 'admitted', 'credit', 'ts_ms', 'returned', 'ver')
  if not v[1] then
    return nil
  end
  return {rate = tonumber(v[1]), max_len = tonumber(v[2]),
          pass_ttl_ms = tonumber(v[3]), seq = tonumber(v[4]) or 0,
          admitted = tonumber(v[5]) or 0, credit = tonumber(v[6]) or 0,
          ts_ms = tonumber(v[7]) or 0, returned = tonumber(v[8]) or 0,
          ver = tonumber(v[9]) or 0}
end

local function save_queue(k, q)
  redis.call('HSET', k.cfg, 'rate', num(q.rate), 'max_len', num(q.max_len),
             'pass_ttl_ms', num(q.pass_ttl_ms), 'seq', num(q.seq),
             'admitted', num(q.admitted), 'credit', num(q.credit),
             'ts_ms', num(q.ts_ms), 'returned', num(q.returned),
             'ver', num(q.ver))
end

local function drop_place(k, user)
  redis.call('ZREM', k.wait, user)
  redis.call('ZREM', k.seen, user)
  redis.call('HDEL', k.user, user)
end

-- Passes past their expiry, then lapsed places.
local function expire(k, q, now, place_ttl_ms)
  local gone = redis.call('ZRANGEBYSCORE', k.pass, '-inf', num(now),
                          'LIMIT', 0, MAX_STEP)
  for _, user in ipairs(gone) do
    local w = words(redis.call('HGET', k.user, user) or '')
    if w[1] == 'A' and w[4] == '0' then
      q.returned = q.returned + 1
    end
    redis.call('HDEL', k.user, user)
    redis.call('ZREM', k.pass, user)
  end
  local lapsed = redis.call('ZRANGEBYSCORE', k.seen, '-inf',
                            num(now - place_ttl_ms), 'LIMIT', 0, MAX_STEP)
  for _, user in ipairs(lapsed) do
    drop_place(k, user)
  end
end

-- Credit for the time since ts_ms (the line's state was unchanged since).
local function accrue(k, q, now)
  local waiting = redis.call('ZCARD', k.wait)
  local cap = UNIT
  if waiting > 0 then
    cap = math.max(UNIT, q.rate * 1000)
  end
  local elapsed = now - q.ts_ms
  if elapsed > 0 then
    -- min() first: elapsed * rate may pass 2^53 after a long idle time.
    if q.credit >= cap or elapsed >= (cap - q.credit) / q.rate then
      q.credit = cap
    else
      q.credit = q.credit + elapsed * q.rate
    end
  end
  q.credit = math.min(q.credit, cap)
  q.ts_ms = math.max(q.ts_ms, now)
end

-- Admits the heads of the line while credit or returned slots allow.
local function admit(k, q, now)
  local waiting = redis.call('ZCARD', k.wait)
  if waiting == 0 then
    q.returned = 0  -- nobody to give them to
    return
  end
  local n = math.min(math.floor(q.credit / UNIT) + q.returned, waiting,
                     MAX_STEP)
  if n <= 0 then
    return
  end
  local heads = redis.call('ZRANGE', k.wait, 0, n - 1)
  local expiry = now + q.pass_ttl_ms
  for _, user in ipairs(heads) do
    local w = words(redis.call('HGET', k.user, user) or '')
    local joined = tonumber(w[3]) or now
    redis.call('ZREM', k.wait, user)
    redis.call('ZREM', k.seen, user)
    redis.call('HSET', k.user, user,
               'A ' .. num(expiry) .. ' ' .. num(joined) .. ' 0')
    redis.call('ZADD', k.pass, num(expiry), user)
  end
  local from_returned = math.min(q.returned, #heads)
  q.returned = q.returned - from_returned
  q.credit = q.credit - (#heads - from_returned) * UNIT
  q.admitted = q.admitted + #heads
  if redis.call('ZCARD', k.wait) == 0 then
    q.returned = 0
  end
end

-- The whole lazy step before a call looks at the line.
local function advance(k, q, now, place_ttl_ms)
  expire(k, q, now, place_ttl_ms)
  accrue(k, q, now)
  admit(k, q, now)
end

-- Estimated wait of the buyer at 1-based `position`, in ms.
local function eta_ms(q, position)
  local missing = position * UNIT - q.credit
  if missing <= 0 then
    return 0
  end
  return math.ceil(missing / q.rate)
end

-- The buyer's ticket reply: {'WAITING', position, eta_ms, joined_ms,
-- now_ms}, {'ADMITTED', pass_expiry_ms, joined_ms, now_ms}, or nil if the
-- buyer has no place (never joined, lapsed, or pass expired).
local function ticket(k, q, user, now)
  local rec = redis.call('HGET', k.user, user)
  if not rec then
    return nil
  end
  local w = words(rec)
  if w[1] == 'A' then
    return {'ADMITTED', tonumber(w[2]), tonumber(w[3]), now}
  end
  local rank = redis.call('ZRANK', k.wait, user)
  if rank == false or rank == nil then
    redis.call('HDEL', k.user, user)  -- a stray record: no place
    return nil
  end
  redis.call('ZADD', k.seen, num(now), user)
  return {'WAITING', rank + 1, eta_ms(q, rank + 1), tonumber(w[3]), now}
end

local function place_ttl_arg(i)
  return int_arg(i, 'place_ttl_ms', MIN_PLACE_TTL_MS, MAX_PLACE_TTL_MS)
end

-- The opening of the scripts a buyer calls (join, ticket): ARGV {user,
-- place_ttl_ms} checked; the queue (nil: not queued) and Redis's clock.
local function open_for_user(k)
  arg_count(2)
  local user = id_arg(1, 'user', MAX_ID)
  local place_ttl_ms = place_ttl_arg(2)
  return load_queue(k), user, place_ttl_ms, now_ms()
end
