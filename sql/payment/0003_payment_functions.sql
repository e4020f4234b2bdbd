-- The payment branch's Try/Confirm/Cancel as single statements (one round
-- trip and one commit each): the TCC barrier (0002) plus the business
-- change that services/payment/store.cc used to send statement by
-- statement. Errors are raised as 'turnstile:<CODE>:<REASON>:<message>'
-- (services/common/pg_pool.cc), which rolls the barrier row back with them.

-- Try: freeze `amount` of the wallet, record the AUTHORIZED payment and the
-- FREEZE ledger entry. outcome 'go' (frozen now), 'duplicate' (user,
-- currency and amount are what the first Try froze) or 'cancelled'.
CREATE OR REPLACE FUNCTION pay_authorize(
    p_gid uuid, p_branch text, p_user text, p_currency text, p_amount bigint,
    OUT outcome text, OUT user_id text, OUT currency text, OUT amount bigint)
LANGUAGE plpgsql AS $$
BEGIN
  outcome := tcc_barrier_enter(p_gid, p_branch, 'try');
  IF outcome = 'duplicate' THEN
    SELECT p.user_id, p.currency, p.amount INTO user_id, currency, amount
      FROM payment p WHERE p.gid = p_gid AND p.branch_id = p_branch;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'turnstile:INTERNAL:PAYMENT_STATE:try recorded but no payment row for the branch';
    END IF;
    RETURN;
  END IF;
  IF outcome <> 'go' THEN RETURN; END IF;
  -- A Confirm that arrived without any Try (an order with nothing to pay)
  -- closes the branch: freezing now would never be captured.
  IF EXISTS (SELECT 1 FROM tcc_barrier b WHERE b.gid = p_gid
                AND b.branch_id = p_branch AND b.phase = 'confirm') THEN
    RAISE EXCEPTION 'turnstile:ABORTED:BRANCH_CONFIRMED:the branch was already confirmed without a payment';
  END IF;
  UPDATE wallet w SET balance = w.balance - p_amount,
                      frozen = w.frozen + p_amount, updated_at = now()
   WHERE w.user_id = p_user AND w.currency = p_currency
     AND w.balance >= p_amount;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:INSUFFICIENT_FUNDS:the % wallet of % holds less than %',
      p_currency, p_user, p_amount;
  END IF;
  INSERT INTO payment (gid, branch_id, user_id, currency, amount, state)
  VALUES (p_gid, p_branch, p_user, p_currency, p_amount, 'AUTHORIZED');
  INSERT INTO ledger_entry (user_id, currency, kind, amount, gid, branch_id)
  VALUES (p_user, p_currency, 'FREEZE', p_amount, p_gid, p_branch);
  user_id := p_user; currency := p_currency; amount := p_amount;
END $$;

-- Confirm (p_phase 'confirm': AUTHORIZED -> CAPTURED, frozen units leave the
-- wallet) or Cancel (p_phase 'cancel': AUTHORIZED -> VOIDED, frozen units go
-- back to the balance), with the ledger entry. outcome: 'applied' (amount
-- moved), 'duplicate', 'empty_rollback', or 'noop' with a note ("no
-- authorization": nothing was ever frozen; "already X"). Confirm after
-- Cancel and Cancel after Confirm raise FAILED_PRECONDITION PAYMENT_STATE:
-- a coordinator bug stays visible as a stuck branch.
CREATE OR REPLACE FUNCTION pay_settle(
    p_gid uuid, p_branch text, p_phase text,
    OUT outcome text, OUT amount bigint, OUT note text)
LANGUAGE plpgsql AS $$
DECLARE
  capture boolean := p_phase = 'confirm';
  to_state text := CASE WHEN p_phase = 'confirm' THEN 'CAPTURED'
                        ELSE 'VOIDED' END;
  forbidden text := CASE WHEN p_phase = 'confirm' THEN 'VOIDED'
                         ELSE 'CAPTURED' END;
  who text;
  cur text;
  amt bigint;
  stored text;
BEGIN
  outcome := tcc_barrier_enter(p_gid, p_branch, p_phase);
  IF outcome <> 'go' THEN RETURN; END IF;
  UPDATE payment p SET state = to_state, updated_at = now()
   WHERE p.gid = p_gid AND p.branch_id = p_branch AND p.state = 'AUTHORIZED'
  RETURNING p.user_id, p.currency, p.amount INTO who, cur, amt;
  IF NOT FOUND THEN
    SELECT p.state INTO stored FROM payment p
     WHERE p.gid = p_gid AND p.branch_id = p_branch;
    IF NOT FOUND THEN
      outcome := 'noop'; note := 'no authorization'; RETURN;
    END IF;
    IF stored = forbidden THEN
      RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:PAYMENT_STATE:payment is already %',
        stored;
    END IF;
    outcome := 'noop'; note := 'already ' || stored; RETURN;
  END IF;
  UPDATE wallet w
     SET balance = w.balance + CASE WHEN capture THEN 0 ELSE amt END,
         frozen = w.frozen - amt, updated_at = now()
   WHERE w.user_id = who AND w.currency = cur;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'turnstile:INTERNAL:PAYMENT_STATE:payment without wallet';
  END IF;
  INSERT INTO ledger_entry (user_id, currency, kind, amount, gid, branch_id)
  VALUES (who, cur, CASE WHEN capture THEN 'CAPTURE' ELSE 'RELEASE' END, amt,
          p_gid, p_branch);
  outcome := 'applied'; amount := amt;
END $$;
