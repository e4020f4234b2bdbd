-- A repeated Try must ask for what the first one did (DESIGN.md §3.6): the
-- barrier's 'try' row now carries the md5 of the Try's canonical content
-- (services/common/try_content.h, built per participant in C++), and
-- tcc_barrier_try compares it on a repeat. Shared by every participant
-- database (symlinked into sql/<service>/ like tcc_barrier_functions.sql).
-- The column is nullable: 'try' rows written by Cancel (empty rollback) and
-- by Tries from before this migration carry none, and a repeat of those is
-- not compared.
ALTER TABLE tcc_barrier ADD COLUMN IF NOT EXISTS try_content_md5 text;

-- tcc_barrier_enter for phase 'try' plus the content check:
--   'go'         first arrival: run the business change
--   'duplicate'  a repeat with the same content: answer the first result
--   'cancelled'  Cancel came first: refuse the Try
-- and raises FAILED_PRECONDITION TRY_MISMATCH (rolling back with the
-- caller's statement) for a repeat with other content.
CREATE OR REPLACE FUNCTION tcc_barrier_try(p_gid uuid, p_branch text,
                                           p_content text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  digest text := md5(p_content);
  stored text;
BEGIN
  INSERT INTO tcc_barrier (gid, branch_id, phase, try_content_md5)
  VALUES (p_gid, p_branch, 'try', digest) ON CONFLICT DO NOTHING;
  IF FOUND THEN RETURN 'go'; END IF;
  IF EXISTS (SELECT 1 FROM tcc_barrier
              WHERE gid = p_gid AND branch_id = p_branch
                AND phase = 'cancel') THEN
    RETURN 'cancelled';
  END IF;
  SELECT try_content_md5 INTO stored FROM tcc_barrier
   WHERE gid = p_gid AND branch_id = p_branch AND phase = 'try';
  IF stored IS NOT NULL AND stored <> digest THEN
    RAISE EXCEPTION 'turnstile:FAILED_PRECONDITION:TRY_MISMATCH:branch %/% was already tried with other content',
      p_gid, p_branch;
  END IF;
  RETURN 'duplicate';
END $$;
