-- The one record of a run's data-quality checks, one row per check and snapshot: the Great
-- Expectations suites (expectations/*.json), the snapshot-age check and the checks of the
-- published file. Published with the coverage tables; every count of checks (the CLI,
-- ops.run_status, the briefs, quality/index.html) is read from it.
CREATE SCHEMA IF NOT EXISTS quality;

CREATE TABLE IF NOT EXISTS quality.validation_results (
    run_id VARCHAR NOT NULL,
    snapshot_date DATE,
    table_name VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    observed_value VARCHAR,
    unexpected_count BIGINT
);
COMMENT ON TABLE quality.validation_results IS 'Data-quality checks of the run that produced these figures, every one of them: one row per check (and snapshot, for tables validated per snapshot). ERROR failures block publishing; WARN failures are shown, not blocking.';
COMMENT ON COLUMN quality.validation_results.run_id IS 'Dagster run that validated the data.';
COMMENT ON COLUMN quality.validation_results.snapshot_date IS 'Snapshot validated; NULL for tables validated whole (raw extracts).';
COMMENT ON COLUMN quality.validation_results.table_name IS 'Checked table (schema.table): a warehouse table with its suite in expectations/<table_name>.json, or a published table (reporting.*) checked in the new coverage.duckdb before it replaced the previous one.';
COMMENT ON COLUMN quality.validation_results.expectation IS 'Name of the check: the expectation in its suite, or the check of its own (the Dagster asset check of the same name).';
COMMENT ON COLUMN quality.validation_results.severity IS 'ERROR (would make a published figure wrong: blocks publishing) or WARN (suspicious data the counting rules handle).';
COMMENT ON COLUMN quality.validation_results.success IS 'The expectation held.';
COMMENT ON COLUMN quality.validation_results.observed_value IS 'What the check observed, as text.';
COMMENT ON COLUMN quality.validation_results.unexpected_count IS 'Rows (or groups) that broke the expectation, where it counts them.';
