-- Published check: rows of reporting.{table} per snapshot of any published coverage table
-- (a snapshot missing from {table} has 0 rows). Run on the new coverage.duckdb before it
-- replaces the previous one.
WITH snapshots AS (
    SELECT snapshot_date FROM reporting.coverage_by_city
    UNION
    SELECT snapshot_date FROM reporting.{table}
),
published AS (
    SELECT snapshot_date, count(*) AS n FROM reporting.{table} GROUP BY ALL
)
SELECT s.snapshot_date, coalesce(p.n, 0) AS "rows"
FROM snapshots AS s
LEFT JOIN published AS p ON p.snapshot_date IS NOT DISTINCT FROM s.snapshot_date
ORDER BY s.snapshot_date NULLS FIRST
