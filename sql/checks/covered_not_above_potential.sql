-- Kab/kota whose coverage is above 100%.
SELECT region_code, region_name, potential_total, covered_total, coverage_pct
FROM {{ batch }}
WHERE covered_total > potential_total
ORDER BY coverage_pct DESC
