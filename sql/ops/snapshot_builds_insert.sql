-- One build of a partitioned table's snapshot (cakupan/snapshots.py): table, snapshot
-- date, fingerprint of its inputs, run, when.
INSERT INTO ops.snapshot_builds VALUES (?, CAST(? AS DATE), ?, ?, ?)
