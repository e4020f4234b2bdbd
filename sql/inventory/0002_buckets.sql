-- Hot-SKU buckets (issue 3): a SKU's stock may be split over N rows so that
-- concurrent reservations queue on N row locks instead of one. The CHECK of
-- 0001 now holds per bucket, and therefore in sum. Existing stock rows become
-- bucket 0 of a one-bucket SKU; existing reservations point at bucket 0.

-- How many stock rows the SKU has (1..64), fixed at creation.
ALTER TABLE sku ADD COLUMN IF NOT EXISTS buckets integer NOT NULL DEFAULT 1
  CHECK (buckets BETWEEN 1 AND 64);

ALTER TABLE stock ADD COLUMN IF NOT EXISTS bucket integer NOT NULL DEFAULT 0
  CHECK (bucket BETWEEN 0 AND 63);
ALTER TABLE stock DROP CONSTRAINT IF EXISTS stock_pkey;
ALTER TABLE stock ADD CONSTRAINT stock_pkey PRIMARY KEY (sku_id, bucket);

-- The bucket whose row holds the reservation's units, so that Confirm and
-- Cancel move the counters of that row.
ALTER TABLE reservation ADD COLUMN IF NOT EXISTS bucket integer NOT NULL
  DEFAULT 0 CHECK (bucket BETWEEN 0 AND 63);
