-- The run that published coverage.duckdb, and when (read from the published file).
SELECT run_id, published_at FROM ops.run_status
