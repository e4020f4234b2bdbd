-- queue_read: the waiting room of one product for anyone (GetQueue),
-- brought up to the Redis time first (lib/queue.lua: lazy admission).
-- KEYS: Q:cfg Q:wait Q:seen Q:user Q:pass
-- ARGV: place_ttl_ms (1000 .. 3600000)
-- Reply: {'OK', rate, max_len, pass_ttl_ms, waiting, admitted, now_ms}
--        (rate in admissions per 1000 s), or {'NOT_QUEUED'}.
return run(function()
  local k = queue_keys()
  arg_count(1)
  local place_ttl_ms = place_ttl_arg(1)
  local q = load_queue(k)
  if not q then
    return {'NOT_QUEUED'}
  end
  local now = now_ms()
  advance(k, q, now, place_ttl_ms)
  save_queue(k, q)
  return {'OK', q.rate, q.max_len, q.pass_ttl_ms, redis.call('ZCARD', k.wait),
          q.admitted, now}
end)
