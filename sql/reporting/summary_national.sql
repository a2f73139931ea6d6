-- The CLI's summary of a published coverage.duckdb: national coverage of every snapshot.
SELECT snapshot_date, regions, regions_with_potential, covered_total, potential_total,
       coverage_pct
FROM reporting.coverage_national ORDER BY snapshot_date
