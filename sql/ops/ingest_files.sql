-- What raw.<kind> holds, file by file (cakupan/ledger.py): changed in the same transaction
-- as raw.<kind>, so it never disagrees with it. Internal: ops.ingest_ledger is the record.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.ingest_files (
    kind VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    file_seq INTEGER NOT NULL,
    snapshot_dates DATE[],
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    figures VARCHAR,
    ingest_version VARCHAR NOT NULL,
    key_fingerprint VARCHAR NOT NULL,
    loaded_by VARCHAR,
    loaded_at TIMESTAMPTZ
);
COMMENT ON TABLE ops.ingest_files IS 'The landing files whose rows raw.<kind> holds, with the hash they were loaded with.';
