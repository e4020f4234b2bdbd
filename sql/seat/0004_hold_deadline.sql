-- Tries cannot outlive their transaction (DESIGN.md §8): a held seat records
-- its transaction's deadline (hold_expires_at is deadline + the gate's
-- margin, for Redis), so that the orphan sweep
-- (issue 7 item 5, not written yet) finds holds whose transaction should long
-- have been decided; the partial index keeps that query on the held seats
-- only. Holds from before this migration carry no deadline and are never
-- swept.
ALTER TABLE seat ADD COLUMN IF NOT EXISTS hold_deadline timestamptz;
CREATE INDEX IF NOT EXISTS seat_held_deadline_idx ON seat (hold_deadline)
  WHERE state = 'HELD' AND hold_deadline IS NOT NULL;
