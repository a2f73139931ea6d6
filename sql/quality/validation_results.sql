-- Results of the Great Expectations suites of the latest run (expectations/*.json), one row
-- per expectation and snapshot. Published with the coverage tables.
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
COMMENT ON TABLE quality.validation_results IS 'Data-quality results of the run that produced these figures: one row per expectation (and snapshot, for tables validated per snapshot). ERROR failures block publishing; WARN failures are shown, not blocking.';
COMMENT ON COLUMN quality.validation_results.run_id IS 'Dagster run that validated the data.';
COMMENT ON COLUMN quality.validation_results.snapshot_date IS 'Snapshot validated; NULL for tables validated whole (raw extracts).';
COMMENT ON COLUMN quality.validation_results.table_name IS 'Validated warehouse table (schema.table); the suite is expectations/<table_name>.json.';
COMMENT ON COLUMN quality.validation_results.expectation IS 'Name of the expectation in its suite (the Dagster asset check of the same name).';
COMMENT ON COLUMN quality.validation_results.severity IS 'ERROR (would make a published figure wrong: blocks publishing) or WARN (suspicious data the counting rules handle).';
COMMENT ON COLUMN quality.validation_results.success IS 'The expectation held.';
COMMENT ON COLUMN quality.validation_results.observed_value IS 'What Great Expectations observed, as text.';
COMMENT ON COLUMN quality.validation_results.unexpected_count IS 'Rows (or groups) that broke the expectation, where it counts them.';
