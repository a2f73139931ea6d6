-- What each snapshot-partitioned table holds (cakupan/snapshots.py): one row per table and
-- membership snapshot, with the fingerprint of the inputs it was built from. Written in the
-- same transaction as the table's rows, so it never disagrees with them.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.snapshot_builds (
    table_name VARCHAR NOT NULL,
    snapshot_date DATE NOT NULL,
    fingerprint VARCHAR NOT NULL,
    run_id VARCHAR,
    built_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (table_name, snapshot_date)
);
COMMENT ON TABLE ops.snapshot_builds IS 'The membership snapshots each partitioned table (staging.membership, coverage.*) holds, with the fingerprint of the inputs they were built from: a snapshot is rebuilt when its inputs'' fingerprint changes.';
COMMENT ON COLUMN ops.snapshot_builds.table_name IS 'Partitioned warehouse table (schema.table).';
COMMENT ON COLUMN ops.snapshot_builds.snapshot_date IS 'Membership snapshot (the Dagster partition key, YYYY-MM-DD).';
COMMENT ON COLUMN ops.snapshot_builds.fingerprint IS 'Fingerprint of the inputs the snapshot''s rows were built from (files, upstream rows, SQL).';
COMMENT ON COLUMN ops.snapshot_builds.run_id IS 'Dagster run that built them.';
COMMENT ON COLUMN ops.snapshot_builds.built_at IS 'When that run committed them.';
