-- The ingest ledger (cakupan/ledger.py): one row per landing file per run that ingested its
-- kind, appended; the latest run's rows say what raw.<kind> holds. Kept across runs.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE TABLE IF NOT EXISTS ops.ingest_ledger (
    run_id VARCHAR NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    kind VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    size BIGINT,
    sha256 VARCHAR,
    mtime TIMESTAMPTZ,
    snapshot_dates DATE[],
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_rejected BIGINT,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    loaded_by VARCHAR,
    ingest_version VARCHAR,
    key_fingerprint VARCHAR,
    code_version VARCHAR,
    figures VARCHAR,
    rejections STRUCT(line BIGINT, "column" VARCHAR, "value" VARCHAR, reason VARCHAR)[]
);
COMMENT ON TABLE ops.ingest_ledger IS 'Every landing file each run saw, one row per file and run: what the run did with it (loaded, unchanged, replaced, rejected, removed) and why.';
COMMENT ON COLUMN ops.ingest_ledger.run_id IS 'Dagster run that recorded the row.';
COMMENT ON COLUMN ops.ingest_ledger.recorded_at IS 'When the run recorded it (end of the kind''s ingest).';
COMMENT ON COLUMN ops.ingest_ledger.kind IS 'Kind of extract (its folder of the landing folder).';
COMMENT ON COLUMN ops.ingest_ledger.file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN ops.ingest_ledger.size IS 'Size in bytes (of the file as loaded, for a removed file).';
COMMENT ON COLUMN ops.ingest_ledger.sha256 IS 'SHA-256 of the file''s bytes: a file with the same hash is not read again.';
COMMENT ON COLUMN ops.ingest_ledger.mtime IS 'Modification time of the file when the run saw it.';
COMMENT ON COLUMN ops.ingest_ledger.snapshot_dates IS 'Membership snapshot dates the file holds (membership and membership_counts; NULL for other kinds).';
COMMENT ON COLUMN ops.ingest_ledger.rows_read IS 'Data rows this run read from the file: 0 when it was not read again (unchanged, or rejected and unchanged), NULL when the file could not be read into rows.';
COMMENT ON COLUMN ops.ingest_ledger.rows_loaded IS 'Rows of the file in raw.<kind> after the run (0 for a rejected or removed file).';
COMMENT ON COLUMN ops.ingest_ledger.rows_rejected IS 'Rows named in the rejections (each row with an error; a file is rejected whole); 0 for an accepted file.';
COMMENT ON COLUMN ops.ingest_ledger.status IS 'loaded (new file), unchanged (same hash: not read again), replaced (changed, or the ingest code or the NIK hashing key changed: its rows deleted and loaded anew), rejected (the file, or its kind, was not loaded) or removed (no longer in the landing folder: its rows deleted).';
COMMENT ON COLUMN ops.ingest_ledger.reason IS 'Why: the change found, or the first rejection and how many more.';
COMMENT ON COLUMN ops.ingest_ledger.loaded_by IS 'Run that read the rows raw.<kind> holds of this file.';
COMMENT ON COLUMN ops.ingest_ledger.ingest_version IS 'Fingerprint of what reading the kind depends on (its SQL, the reading code, reference data, the files of the kinds its checks read): a change reloads every file of the kind.';
COMMENT ON COLUMN ops.ingest_ledger.key_fingerprint IS 'Fingerprint of the NIK hashing key (an HMAC of a fixed text under the key, never the key) for the kinds that hash NIKs: a new key reloads every file.';
COMMENT ON COLUMN ops.ingest_ledger.code_version IS 'Fingerprint of the whole pipeline''s code, SQL, expectations, reference data and published storage version.';
COMMENT ON COLUMN ops.ingest_ledger.figures IS 'The kind''s figures of the file as JSON (invalid NIK rows, ...), kept for files not read again.';
COMMENT ON COLUMN ops.ingest_ledger.rejections IS 'Every rejection of a rejected file (line, column, value, reason): reported again, without reading the file, while it is unchanged.';
