-- The fingerprint each partitioned table's snapshot was built from (cakupan/snapshots.py).
SELECT table_name, snapshot_date, fingerprint FROM ops.snapshot_builds
