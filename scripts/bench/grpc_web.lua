-- wrk sends prepared gRPC-web requests to turnstile-gateway (the benchmark of
-- issue 8, scripts/bench.sh scenario f):
--   wrk -t T -c C -d 15s --timeout 30s --latency -s scripts/bench/grpc_web.lua \
--       http://127.0.0.1:8080 -- REQUEST_FILE T OUT_JSON [LABEL]
-- REQUEST_FILE (tools/bench_requests.h, from turnstile-bench
-- --scenario=gateway-prep) holds each request's path, user, bearer token and
-- gRPC-web body. Thread k of T sends records k, k+T, k+2T, ... once each and
-- stops when its share is used up: the file bounds the count, -d the time.
-- As when -d ends a run, calls in flight when a thread stops are not counted
-- (at most one per connection).
-- All requests are built before the first is sent, so request() only hands
-- one out.
--
-- Every answer is classified by its gRPC status (from the trailer frame at
-- the end of the body, or for a trailers-only answer from the grpc-status
-- header) the way turnstile-bench classifies a direct call: OK with the
-- order PAID is a success; FAILED_PRECONDITION and ABORTED are refusals,
-- counted by reason (the google.rpc.ErrorInfo in grpc-status-details-bin);
-- everything else, an OK whose order is not PAID and any HTTP status but
-- 200 is an error. So a refused or failed call is never counted as
-- throughput. done() writes the counts, the rates over the window from the
-- first request sent to the last answer received (measured here, since wrk's
-- own duration includes the time after a thread ran out of requests), and
-- wrk's latency percentiles (of every answer) to OUT_JSON.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } turnstile_timespec;
int clock_gettime(int clock_id, turnstile_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("turnstile_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local MAGIC = "turnstile-bench-requests 1\n"
local CODE_NAMES = {
  [0] = "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
  "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
  "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
}
local ORDER_STATE_PAID = 3

local function u32(s, i)
  local a, b, c, d = s:byte(i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- --- protobuf and base64, just enough to read a status and an order ------

local function varint(s, pos)
  local v, scale = 0, 1
  while true do
    local b = s:byte(pos)
    if b == nil then return nil, pos end
    pos = pos + 1
    v = v + (b % 128) * scale
    if b < 128 then return v, pos end
    scale = scale * 128
  end
end

-- Calls fn(field, value) for each field of message `s` (value: a number for
-- varints, the bytes for length-delimited fields) until fn returns a value.
local function find_field(s, fn)
  local pos = 1
  while pos <= #s do
    local key
    key, pos = varint(s, pos)
    if key == nil then return nil end
    local field, wire = math.floor(key / 8), key % 8
    local value
    if wire == 0 then
      value, pos = varint(s, pos)
      if value == nil then return nil end
    elseif wire == 2 then
      local len
      len, pos = varint(s, pos)
      if len == nil then return nil end
      value = s:sub(pos, pos + len - 1)
      pos = pos + len
    elseif wire == 1 then
      pos = pos + 8
    elseif wire == 5 then
      pos = pos + 4
    else
      return nil
    end
    if value ~= nil then
      local r = fn(field, value)
      if r ~= nil then return r end
    end
  end
  return nil
end

local function field_of(s, wanted)
  return find_field(s, function(field, value)
    if field == wanted then return value end
  end)
end

local B64 = {}
do
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  for i = 1, 64 do B64[alphabet:byte(i)] = i - 1 end
  B64[("-"):byte()], B64[("_"):byte()] = 62, 63
end

local function unbase64(s)
  local out, acc, bits = {}, 0, 0
  for i = 1, #s do
    local v = B64[s:byte(i)]
    if v ~= nil then
      acc, bits = acc * 64 + v, bits + 6
      if bits >= 8 then
        bits = bits - 8
        local byte = math.floor(acc / 2 ^ bits)
        out[#out + 1] = string.char(byte)
        acc = acc - byte * 2 ^ bits
      end
    end
  end
  return table.concat(out)
end

-- The ErrorInfo reason in a grpc-status-details-bin value (a serialized
-- google.rpc.Status, details = repeated Any), "" if none. Identical details
-- recur (every refusal of one SKU), so each distinct value is decoded once.
local reasons = {}
local function reason_of(details)
  local cached = reasons[details]
  if cached ~= nil then return cached end
  local status = unbase64(details)
  local reason = find_field(status, function(field, any)
    if field ~= 3 or type(any) ~= "string" then return nil end
    local type_url = field_of(any, 1)
    if type(type_url) == "string" and type_url:find("google.rpc.ErrorInfo", 1, true) then
      local info = field_of(any, 2)
      if type(info) == "string" then return field_of(info, 1) end
    end
  end)
  if type(reason) ~= "string" then reason = "" end
  reasons[details] = reason
  return reason
end

-- PlaceOrderResponse.order (1) .state (4).
local function order_state(message)
  local order = field_of(message, 1)
  if type(order) ~= "string" then return nil end
  return field_of(order, 4)
end

local function header(headers, name)
  local v = headers[name]
  if v ~= nil then return v end
  for k, value in pairs(headers) do
    if k:lower() == name then return value end
  end
  return nil
end

-- --- setup and done: the main Lua state -----------------------------------

local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  threads[#threads + 1] = thread
end

-- --- running: one Lua state per wrk thread ---------------------------------

requests, next_request, records = {}, 1, 0
counts, answers, exhausted = {}, 0, false
first_start, last_answer = nil, nil
out_path, label, thread_count = nil, nil, 1
local sentinel

local request_file

function init(args)
  request_file = args[1]
  thread_count = tonumber(args[2] or "")
  out_path, label = args[3], args[4] or "gateway"
  assert(request_file and thread_count and out_path,
         "usage: wrk ... -s grpc_web.lua URL -- REQUEST_FILE THREADS OUT_JSON [LABEL]")
  -- A GET on a gRPC path is refused at the edge (405) and never reaches the
  -- mesh: what wrk gets when there is nothing (yet, or any more) to send.
  sentinel = wrk.format("GET", "/turnstile.v1.Order/PlaceOrder", { ["Host"] = wrk.headers["Host"] })
end

-- This thread's share of the file, as ready-made HTTP requests. Run by the
-- thread's first real request(), not by init(): wrk runs each thread's
-- init() before starting the next thread, so parsing there would let the
-- first thread send alone while the others still parse.
local function load_requests()
  local file = request_file
  local f = assert(io.open(file, "rb"))
  local data = f:read("*a")
  f:close()
  assert(data:sub(1, #MAGIC) == MAGIC, file .. ": not a turnstile-bench request file")
  local host = wrk.headers["Host"]
  local pos, k = #MAGIC + 1, 0
  while pos <= #data do
    local fields = {}
    for j = 1, 4 do
      assert(pos + 3 <= #data, file .. ": request " .. k .. " is truncated")
      local len = u32(data, pos)
      assert(pos + 3 + len <= #data, file .. ": request " .. k .. " is truncated")
      fields[j] = data:sub(pos + 4, pos + 3 + len)
      pos = pos + 4 + len
    end
    if k % thread_count == thread_index then
      local headers = {
        ["Host"] = host,
        ["Content-Type"] = "application/grpc-web+proto",
        ["X-Grpc-Web"] = "1",
        -- the direct calls' deadline (turnstile-bench --rpc_timeout_ms)
        ["Grpc-Timeout"] = "30S",
      }
      if fields[3] ~= "" then headers["Authorization"] = "Bearer " .. fields[3] end
      requests[#requests + 1] = wrk.format("POST", fields[1], headers, fields[4])
    end
    k = k + 1
  end
  records = k
end

local calls, loaded = 0, false

function request()
  calls = calls + 1
  if not loaded then
    -- wrk calls the first thread's request() once before starting it, to
    -- check what it returns, and never sends that one; in other threads
    -- this sentinel is sent, and its 405 is not counted.
    if calls == 1 then return sentinel end
    load_requests()
    loaded = true
  end
  local r = requests[next_request]
  if r == nil then
    if not exhausted then
      exhausted = true
      wrk.thread:stop()
    end
    return sentinel
  end
  if first_start == nil then first_start = now() end
  next_request = next_request + 1
  return r
end

local function count(key)
  counts[key] = (counts[key] or 0) + 1
end

function response(status, headers, body)
  -- A sentinel's answer; no real request gets a 405.
  if status == 405 then return end
  last_answer = now()
  answers = answers + 1
  if status ~= 200 then return count("error HTTP_" .. status) end
  local message, trailer
  local pos, n = 1, #body
  while pos + 4 <= n do
    local flag, len = body:byte(pos), u32(body, pos + 1)
    local payload = body:sub(pos + 5, pos + 4 + len)
    if flag >= 128 then
      trailer = payload
      break
    end
    message = payload
    pos = pos + 5 + len
  end
  local code, details
  if trailer ~= nil then
    code = trailer:match("grpc%-status:%s*(%d+)")
    details = trailer:match("grpc%-status%-details%-bin:%s*([^\r\n]+)")
  end
  if code == nil then
    code = header(headers, "grpc-status")
    details = header(headers, "grpc-status-details-bin")
  end
  code = tonumber(code)
  if code == nil then return count("error NO_GRPC_STATUS") end
  if code == 0 then
    if message ~= nil and order_state(message) == ORDER_STATE_PAID then
      return count("ok")
    end
    return count("error UNKNOWN NOT_PAID")
  end
  local name = CODE_NAMES[code] or tostring(code)
  local reason = details and reason_of(details) or ""
  if code == 9 or code == 10 then
    count("refused " .. (reason ~= "" and reason or name))
  else
    count("error " .. name .. " " .. reason)
  end
end

-- --- done: the main Lua state again ---------------------------------------

local function json_string(s)
  return '"' .. tostring(s):gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function json_object(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    local text
    if type(v) == "table" then
      text = json_object(v)
    elseif type(v) == "number" then
      text = (v ~= v or v == math.huge or v == -math.huge) and "null"
          or string.format("%.17g", v)
    elseif type(v) == "boolean" then
      text = tostring(v)
    else
      text = json_string(v)
    end
    parts[#parts + 1] = json_string(k) .. ":" .. text
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, _)
  local totals, refused_by, errors_by = {}, {}, {}
  local ok, refused, errors, sent, answered = 0, 0, 0, 0, 0
  local first, last, exhausted_threads, records_total = nil, nil, 0, 0
  local path, name
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("counts") or {}) do totals[k] = (totals[k] or 0) + v end
    sent = sent + (t:get("next_request") or 1) - 1
    answered = answered + (t:get("answers") or 0)
    local fs, la = t:get("first_start"), t:get("last_answer")
    if fs ~= nil and (first == nil or fs < first) then first = fs end
    if la ~= nil and (last == nil or la > last) then last = la end
    if t:get("exhausted") then exhausted_threads = exhausted_threads + 1 end
    records_total = t:get("records") or records_total
    path, name = t:get("out_path"), t:get("label")
  end
  for k, v in pairs(totals) do
    if k == "ok" then
      ok = ok + v
    elseif k:sub(1, 8) == "refused " then
      refused = refused + v
      refused_by[k:sub(9)] = v
    else
      errors = errors + v
      errors_by[k:sub(7)] = v
    end
  end
  local window = (first and last and last > first) and (last - first) or 0
  local function per_s(n) return window > 0 and n / window or 0 end
  local function ms(us) return us / 1000 end
  local result = {
    scenario = "gateway-wrk",
    label = name or "gateway",
    path = "gateway",
    config = { threads = #threads, records = records_total },
    sent = sent,
    exhausted_threads = exhausted_threads,
    load = {
      requests = ok + refused + errors,
      successes = ok,
      refusals = refused,
      errors = errors,
      seconds = window,
      requests_per_s = per_s(ok + refused + errors),
      successes_per_s = per_s(ok),
      refusals_per_s = per_s(refused),
      refusals_by_reason = refused_by,
      errors_by_kind = errors_by,
      -- wrk's histogram: every answer, microsecond resolution
      latency_all = {
        count = summary.requests,
        mean_ms = ms(latency.mean),
        p50_ms = ms(latency:percentile(50)),
        p90_ms = ms(latency:percentile(90)),
        p99_ms = ms(latency:percentile(99)),
        p999_ms = ms(latency:percentile(99.9)),
        max_ms = ms(latency.max),
      },
    },
    wrk = {
      duration_s = summary.duration / 1e6,
      requests = summary.requests,
      errors = summary.errors,
    },
  }
  local text = json_object(result)
  if path ~= nil then
    local f = assert(io.open(path, "w"))
    f:write(text, "\n")
    f:close()
  end
  io.write(string.format(
    "[%s] sent %d, answered %d in %.2f s: ok %d (%.0f/s), refused %d (%.0f/s), errors %d; p50 %.2f ms, p99 %.2f ms%s\n",
    result.label, sent, answered, window, ok, per_s(ok), refused, per_s(refused), errors,
    ms(latency:percentile(50)), ms(latency:percentile(99)),
    exhausted_threads > 0 and string.format("; %d thread(s) used up their requests", exhausted_threads) or ""))
  for k, v in pairs(refused_by) do io.write(string.format("  refused %s: %d\n", k, v)) end
  for k, v in pairs(errors_by) do io.write(string.format("  error %s: %d\n", k, v)) end
  if path ~= nil then io.write("wrote " .. path .. "\n") end
end
