-- The CLI's summary of a published coverage.duckdb: the kab/kota of the latest snapshot
-- from the highest coverage to the lowest, in the order of coverage/ranked_cities.sql.
SELECT region_code, region_name, coverage_pct, covered_total, potential_total
FROM ({ranked}) ORDER BY place
