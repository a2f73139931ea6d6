-- The CLI's summary of a published coverage.duckdb: whether its landing folder is a sample.
SELECT bool_or(sample) FROM ops.run_status
