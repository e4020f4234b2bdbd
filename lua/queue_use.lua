-- queue_use: the PlaceOrder check of one product at the gateway. Not
-- queued: no pass is needed. Queued: the caller must hold a live admission
-- whose expiry is the one its signed pass names (0 = the call brought no
-- valid pass for this product); the admission is then marked used, so its
-- slot is not given back when the pass expires. A pass serves any number
-- of PlaceOrder retries until its expiry. Reads no clock but Redis's and
-- advances nothing (the hot path of a flash sale).
-- KEYS: Q:cfg Q:wait Q:seen Q:user Q:pass
-- ARGV: user pass_expiry_ms (0 .. 2^52)
-- Reply: {'NOT_QUEUED'}, {'OK', pass_expiry_ms}, or
--        {'NOT_ADMITTED', why}: why 'NO_PASS', 'NOT_ADMITTED' (no live
--        admission of this user), 'EXPIRED', 'MISMATCH' (another pass)
return run(function()
  local k = queue_keys()
  arg_count(2)
  local user = id_arg(1, 'user', MAX_ID)
  local expiry = int_arg(2, 'pass_expiry_ms', 0, MAX_INT)
  if redis.call('EXISTS', k.cfg) == 0 then
    return {'NOT_QUEUED'}
  end
  if expiry == 0 then
    return {'NOT_ADMITTED', 'NO_PASS'}
  end
  local now = now_ms()
  if expiry <= now then
    return {'NOT_ADMITTED', 'EXPIRED'}
  end
  local w = words(redis.call('HGET', k.user, user) or '')
  if w[1] ~= 'A' then
    return {'NOT_ADMITTED', 'NOT_ADMITTED'}
  end
  if tonumber(w[2]) ~= expiry then
    return {'NOT_ADMITTED', 'MISMATCH'}
  end
  if w[4] ~= '1' then
    redis.call('HSET', k.user, user, 'A ' .. w[2] .. ' ' .. w[3] .. ' 1')
  end
  return {'OK', expiry}
end)
