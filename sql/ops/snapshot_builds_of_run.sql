-- The snapshots of one partitioned table that a run built (cakupan/snapshots.py).
-- Parameters: $table VARCHAR, $run_id VARCHAR.
SELECT snapshot_date FROM ops.snapshot_builds
WHERE table_name = $table AND run_id = $run_id
ORDER BY 1
