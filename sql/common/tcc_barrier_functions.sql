-- The TCC barrier (DESIGN.md §3.6) as one server-side function, so that a
-- participant can run barrier + business change as a single statement: one
-- round trip and one commit per Try/Confirm/Cancel. Shared by every service
-- database that has a tcc_barrier table (symlinked into sql/<service>/);
-- services/common/barrier.cc calls it for the phases written in C++ (seat,
-- the pessimistic/optimistic inventory strategies).
--
-- tcc_barrier_enter(gid, branch, phase) records the phase and says what the
-- caller must do, inside the same statement:
--   'go'             first arrival: run the business change
--   'duplicate'      a repeat of a finished phase: do nothing
--   'cancelled'      (try) Cancel came first: refuse the Try
--   'empty_rollback' (cancel) no Try ran before: nothing to release; the
--                    recorded try row makes a late Try refuse itself
CREATE OR REPLACE FUNCTION tcc_barrier_enter(p_gid uuid, p_branch text,
                                             p_phase text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  try_new boolean;
  cancel_new boolean;
BEGIN
  IF p_phase = 'cancel' THEN
    WITH ins AS (
      INSERT INTO tcc_barrier (gid, branch_id, phase)
      VALUES (p_gid, p_branch, 'try'), (p_gid, p_branch, 'cancel')
      ON CONFLICT DO NOTHING RETURNING phase)
    SELECT coalesce(bool_or(phase = 'try'), false),
           coalesce(bool_or(phase = 'cancel'), false)
      INTO try_new, cancel_new FROM ins;
    IF try_new THEN RETURN 'empty_rollback'; END IF;
    IF NOT cancel_new THEN RETURN 'duplicate'; END IF;
    RETURN 'go';
  END IF;
  IF p_phase NOT IN ('try', 'confirm') THEN
    RAISE EXCEPTION 'turnstile:INTERNAL:BAD_PHASE:unknown barrier phase %',
      p_phase;
  END IF;
  INSERT INTO tcc_barrier (gid, branch_id, phase)
  VALUES (p_gid, p_branch, p_phase) ON CONFLICT DO NOTHING;
  IF FOUND THEN RETURN 'go'; END IF;
  IF p_phase = 'try' AND EXISTS (
      SELECT 1 FROM tcc_barrier
       WHERE gid = p_gid AND branch_id = p_branch AND phase = 'cancel') THEN
    RETURN 'cancelled';
  END IF;
  RETURN 'duplicate';
END $$;
