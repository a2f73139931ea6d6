-- The query the CLI's summary suggests, printed on one line: the kab/kota of the latest
-- snapshot from the highest coverage to the lowest.
SELECT region_code, region_name, potential_total, covered_total, coverage_pct
FROM reporting.coverage_by_city
WHERE snapshot_date = (SELECT max(snapshot_date) FROM reporting.coverage_by_city)
ORDER BY coverage_pct DESC NULLS LAST
