-- queue_config: an operator creates, changes or removes the waiting room of
-- one product (services/gateway/waiting_room/, ConfigureQueue).
-- KEYS: Q:cfg Q:wait Q:seen Q:user Q:pass (lib/queue.lua)
-- ARGV: 'set' rate max_len pass_ttl_ms place_ttl_ms
--         rate: admissions per 1000 s (100 .. 10^7, i.e. 0.1 .. 10^4 per
--         second); max_len 1 .. 10^6; pass_ttl_ms 5000 .. 3600000
--       'remove'
-- Reply: {'OK', waiting, admitted, ver}; 'remove' answers {'OK', 0, 0, 0}
--        (also when there was no queue) after deleting every key.
-- A change keeps the line and the passes: the line is first brought up to
-- date at the old rate, then the new numbers apply from now on.
return run(function()
  local k = queue_keys()
  local mode = enum_arg(1, 'mode', {set = true, remove = true})
  if mode == 'remove' then
    arg_count(1)
    redis.call('UNLINK', k.cfg, k.wait, k.seen, k.user, k.pass)
    return {'OK', 0, 0, 0}
  end
  arg_count(5)
  local rate = int_arg(2, 'rate', MIN_RATE, MAX_RATE)
  local max_len = int_arg(3, 'max_len', 1, MAX_LEN)
  local pass_ttl_ms = int_arg(4, 'pass_ttl_ms', MIN_PASS_TTL_MS,
                              MAX_PASS_TTL_MS)
  local place_ttl_ms = place_ttl_arg(5)
  local now = now_ms()
  local q = load_queue(k)
  if q then
    advance(k, q, now, place_ttl_ms)
  else
    q = {seq = 0, admitted = 0, credit = 0, ts_ms = now, returned = 0,
         ver = 0}
  end
  q.rate, q.max_len, q.pass_ttl_ms = rate, max_len, pass_ttl_ms
  q.ver = q.ver + 1
  save_queue(k, q)
  return {'OK', redis.call('ZCARD', k.wait), q.admitted, q.ver}
end)
