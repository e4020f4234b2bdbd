-- queue_join: a buyer joins the waiting room of one product (JoinQueue).
-- Idempotent per user: a buyer with a place keeps it (and counts as seen),
-- an admitted buyer gets the pass's expiry again.
-- KEYS: Q:cfg Q:wait Q:seen Q:user Q:pass
-- ARGV: user place_ttl_ms
-- Reply: {'WAITING', position, eta_ms, joined_ms, now_ms}
--        {'ADMITTED', pass_expiry_ms, joined_ms, now_ms}
--        {'QUEUE_FULL', retry_after_ms, waiting}   max_len buyers wait
--        {'NOT_QUEUED'}
-- The line is brought up to date before the join and the new buyer may be
-- admitted at once (an idle queue holds one admission of credit).
return run(function()
  local k = queue_keys()
  local q, user, place_ttl_ms, now = open_for_user(k)
  if not q then
    return {'NOT_QUEUED'}
  end
  expire(k, q, now, place_ttl_ms)
  accrue(k, q, now)
  admit(k, q, now)
  local t = ticket(k, q, user, now)
  if t then
    save_queue(k, q)
    return t
  end
  local waiting = redis.call('ZCARD', k.wait)
  if waiting >= q.max_len then
    save_queue(k, q)
    -- About when the head of the line is admitted and a place frees.
    return {'QUEUE_FULL', math.max(1000, math.ceil(UNIT / q.rate)), waiting}
  end
  q.seq = q.seq + 1
  redis.call('ZADD', k.wait, num(q.seq), user)
  redis.call('ZADD', k.seen, num(now), user)
  redis.call('HSET', k.user, user, 'W ' .. num(q.seq) .. ' ' .. num(now))
  admit(k, q, now)
  save_queue(k, q)
  return ticket(k, q, user, now)
end)
