-- The run that publishes: ops.run_status, one row, written into the warehouse just before
-- publishing and published with the figures (with ops.rejected_files), so that reports
-- read the run's status from coverage.duckdb alone. Set first (SET VARIABLE):
-- cakupan_run_id (VARCHAR), cakupan_run_started_at (TIMESTAMPTZ or NULL), cakupan_sample
-- (BOOLEAN) and cakupan_landing_label (VARCHAR or NULL), read from the landing folder.
CREATE SCHEMA IF NOT EXISTS ops;

CREATE OR REPLACE TABLE ops.run_status (
    run_id VARCHAR NOT NULL PRIMARY KEY,
    started_at TIMESTAMPTZ,
    published_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,
    checks BIGINT NOT NULL,
    checks_failed_warn BIGINT NOT NULL,
    checks_failed_error BIGINT NOT NULL,
    rejected_files BIGINT NOT NULL,
    snapshots DATE[] NOT NULL,
    latest_snapshot DATE,
    sample BOOLEAN NOT NULL,
    landing_label VARCHAR
);
COMMENT ON TABLE ops.run_status IS 'The Dagster run that published these figures: one row.';
COMMENT ON COLUMN ops.run_status.run_id IS 'Dagster run id (the run history of the UI shows it).';
COMMENT ON COLUMN ops.run_status.started_at IS 'When the run started.';
COMMENT ON COLUMN ops.run_status.published_at IS 'When the run finished computing and published these tables (reports and exports are written after).';
COMMENT ON COLUMN ops.run_status.status IS 'OK (every data-quality check passed) or WARN (some WARN checks failed). A run with a failed ERROR check or a rejected file publishes nothing.';
COMMENT ON COLUMN ops.run_status.checks IS 'Rows of quality.validation_results: the checks of the published figures (a snapshot not rebuilt by the run keeps the results of the run that validated it).';
COMMENT ON COLUMN ops.run_status.checks_failed_warn IS 'Failed WARN checks (shown, not blocking).';
COMMENT ON COLUMN ops.run_status.checks_failed_error IS 'Failed ERROR checks (0 in a published database: they block publishing).';
COMMENT ON COLUMN ops.run_status.rejected_files IS 'Landing files the run rejected (ops.rejected_files; 0 in a published database: a rejection blocks publishing).';
COMMENT ON COLUMN ops.run_status.snapshots IS 'Membership snapshots in the published tables, oldest first.';
COMMENT ON COLUMN ops.run_status.latest_snapshot IS 'The latest snapshot: the one reports show by default.';
COMMENT ON COLUMN ops.run_status.sample IS 'True when the landing folder declares itself sample data (a cakupan-sample.json at its root, as the embedded sample has): the figures are not real.';
COMMENT ON COLUMN ops.run_status.landing_label IS 'The name in the landing folder''s cakupan-sample.json; NULL without one.';

INSERT INTO ops.run_status
WITH
checks AS (
    SELECT count(*) AS checks,
           count(*) FILTER (WHERE NOT success AND severity <> 'ERROR') AS failed_warn,
           count(*) FILTER (WHERE NOT success AND severity = 'ERROR') AS failed_error
    FROM quality.validation_results  -- the results the published figures were checked with
),
rejected AS (
    SELECT count(DISTINCT file) AS files
    FROM ops.rejected_files
    WHERE run_id = getvariable('cakupan_run_id')
),
snapshots AS (
    SELECT list(DISTINCT snapshot_date ORDER BY snapshot_date) AS snapshots,
           max(snapshot_date) AS latest
    FROM coverage.coverage_by_city
)
SELECT
    getvariable('cakupan_run_id'),
    CAST(getvariable('cakupan_run_started_at') AS TIMESTAMPTZ),
    current_timestamp,
    CASE WHEN c.failed_error > 0 OR r.files > 0 THEN 'ERROR'
         WHEN c.failed_warn > 0 THEN 'WARN'
         ELSE 'OK' END,
    c.checks, c.failed_warn, c.failed_error, r.files,
    coalesce(s.snapshots, []), s.latest,
    CAST(getvariable('cakupan_sample') AS BOOLEAN),
    CAST(getvariable('cakupan_landing_label') AS VARCHAR)
FROM checks AS c, rejected AS r, snapshots AS s;

-- ops.rejected_files (cakupan/rejections.py) is published too: describe it.
COMMENT ON TABLE ops.rejected_files IS 'Rejections of the landing files of the run (a rejected file blocks publishing, so none in a published database): one row per problem.';
COMMENT ON COLUMN ops.rejected_files.run_id IS 'Dagster run that rejected the file.';
COMMENT ON COLUMN ops.rejected_files.kind IS 'Kind of extract: workforce, membership or targets.';
COMMENT ON COLUMN ops.rejected_files.file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN ops.rejected_files.line IS 'Line in a CSV file (the header is line 1), row number in a Parquet file; NULL for the whole file.';
COMMENT ON COLUMN ops.rejected_files."column" IS 'Column of the problem; NULL for the whole file or row.';
COMMENT ON COLUMN ops.rejected_files.value IS 'The value as read (a NIK is masked).';
COMMENT ON COLUMN ops.rejected_files.reason IS 'Why the value or file was rejected.';
