-- The CLI's summary of a published coverage.duckdb: every kab/kota of one snapshot (the
-- parameter), for the changes since the previous run.
SELECT region_code, region_name, coverage_pct, covered_total, potential_total
FROM reporting.coverage_by_city WHERE snapshot_date = ?
