-- Forget the builds of one partitioned table that are rebuilt now, or whose snapshot the
-- sources no longer hold (not in the temp table found_snapshots), in the transaction that
-- changes the table's rows (cakupan/snapshots.py).
-- Parameters: $table VARCHAR, $rebuilt DATE[] (the snapshots rebuilt now).
DELETE FROM ops.snapshot_builds
WHERE table_name = $table
  AND (snapshot_date IN (SELECT unnest(CAST($rebuilt AS DATE[])))
       OR snapshot_date NOT IN (SELECT snapshot_date FROM found_snapshots))
