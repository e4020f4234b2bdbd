-- Tries cannot outlive their transaction (DESIGN.md §8): a payment records
-- its transaction's deadline, so that the orphan sweep
-- (issue 7 item 5, not written yet) finds AUTHORIZED payments whose
-- transaction should long have been decided; the partial index keeps that
-- query on the open payments only. Payments from before this migration carry
-- no deadline and are never swept.
ALTER TABLE payment ADD COLUMN deadline timestamptz;
CREATE INDEX payment_open_deadline_idx ON payment (deadline)
  WHERE state = 'AUTHORIZED' AND deadline IS NOT NULL;

-- pay_authorize of 0003 with the deadline stored on the payment and the
-- Try's canonical content (services/payment/validation.h TryContentOf) given
-- to the barrier: a repeat with another user, currency or amount is refused
-- (TRY_MISMATCH) instead of being answered with the first result.
DROP FUNCTION pay_authorize(uuid, text, text, text, bigint);
CREATE FUNCTION pay_authorize(
    p_gid uuid, p_branch text, p_user text, p_currency text, p_amount bigint,
    p_deadline timestamptz, p_content text,
    OUT outcome text, OUT user_id text, OUT currency text, OUT amount bigint)
LANGUAGE plpgsql AS $$
BEGIN
  outcome := tcc_barrier_try(p_gid, p_branch, p_content);
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
  INSERT INTO payment (gid, branch_id, user_id, currency, amount, state,
                       deadline)
  VALUES (p_gid, p_branch, p_user, p_currency, p_amount, 'AUTHORIZED',
          p_deadline);
  INSERT INTO ledger_entry (user_id, currency, kind, amount, gid, branch_id)
  VALUES (p_user, p_currency, 'FREEZE', p_amount, p_gid, p_branch);
  user_id := p_user; currency := p_currency; amount := p_amount;
END $$;
