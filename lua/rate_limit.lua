-- rate_limit: the gateway's abuse limits (services/gateway/ratelimit/). One
-- token bucket per (method, user) and one per (method, client IP), checked
-- together: a token is taken from every bucket of the call or from none, so
-- a call refused by one bucket costs nothing in the other.
-- KEYS: 1 or 2 buckets of one method: ts:{rl:<method>}:u:<user> and/or
--       ts:{rl:<method>}:ip:<ip>
-- ARGV: for each key, in KEYS order: scope ('user' or 'ip'), id (the
--       <user> or <ip> of that key), rate (micro-tokens per millisecond,
--       i.e. tokens per second x 1000), burst (tokens)
-- Reply:
--   {'OK', tokens}      one token taken from each bucket; tokens = whole
--                       tokens left in the emptiest one
--   {'LIMITED', retry_after_ms, scope}
--                       some bucket holds less than one token; nothing
--                       taken; retry_after_ms (>= 1) until the slowest of
--                       the refusing buckets holds one again, scope its
--                       scope
--   {'INVALID_ARGUMENT', message}
-- A bucket is a hash {utokens, ts_ms}: micro-tokens (10^-6 token, so the
-- refill of one millisecond, rate, is a whole number) at Redis time ts_ms.
-- A missing key is a full bucket; each write sets PEXPIRE to the time the
-- bucket needs to be full again plus a margin, so an idle caller costs no
-- memory. A refusal writes nothing.
local UNIT = 1000000          -- micro-tokens per token
local MAX_RATE = 1000000000   -- micro-tokens/ms: 10^6 tokens per second
local MAX_BURST = 1000000000  -- tokens (x UNIT stays below 2^52)
local EXPIRY_MARGIN_MS = 1000
local SCOPE_PREFIX = {user = 'u', ip = 'ip'}

return run(function()
  local n = #KEYS
  if n < 1 or n > 2 then
    invalid('expected 1 or 2 keys, got ' .. n)
  end
  arg_count(4 * n)
  local buckets, suffixes, seen = {}, {}, {}
  for i = 1, n do
    local a = 4 * (i - 1)
    local scope = enum_arg(a + 1, 'scope', SCOPE_PREFIX)
    if seen[scope] then
      invalid('scope ' .. scope .. ' is repeated')
    end
    seen[scope] = true
    local id = id_arg(a + 2, scope, MAX_ID)
    local rate = int_arg(a + 3, 'rate', 1, MAX_RATE)
    local burst = int_arg(a + 4, 'burst', 1, MAX_BURST)
    suffixes[i] = SCOPE_PREFIX[scope] .. ':' .. id
    buckets[i] = {scope = scope, rate = rate, full = burst * UNIT}
  end
  check_keys('rl', suffixes)

  local now = now_ms()
  local wait, wait_scope = 0, nil
  for i, b in ipairs(buckets) do
    local st = redis.call('HMGET', KEYS[i], 'utokens', 'ts_ms')
    local tokens, ts = tonumber(st[1]), tonumber(st[2])
    if tokens == nil or ts == nil then
      tokens = b.full
    elseif now > ts then
      -- min() first: (now - ts) * rate may pass 2^53 after a long gap.
      local missing = b.full - tokens
      if missing <= 0 or now - ts >= missing / b.rate then
        tokens = b.full
      else
        tokens = tokens + (now - ts) * b.rate
      end
    end
    -- A smaller burst than when the bucket was written (new configuration).
    tokens = math.min(tokens, b.full)
    b.tokens = tokens
    if tokens < UNIT then
      local w = math.max(1, math.ceil((UNIT - tokens) / b.rate))
      if w > wait then
        wait, wait_scope = w, b.scope
      end
    end
  end
  if wait_scope then
    return {'LIMITED', wait, wait_scope}
  end

  local least = nil
  for i, b in ipairs(buckets) do
    local left = b.tokens - UNIT
    redis.call('HSET', KEYS[i], 'utokens', num(left), 'ts_ms', num(now))
    redis.call('PEXPIRE', KEYS[i],
               num(math.ceil((b.full - left) / b.rate) + EXPIRY_MARGIN_MS))
    local whole = math.floor(left / UNIT)
    if least == nil or whole < least then
      least = whole
    end
  end
  return {'OK', least}
end)
