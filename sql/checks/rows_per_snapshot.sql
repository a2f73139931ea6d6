-- Rows of {{ batch }} per snapshot of any published coverage table (a snapshot missing from
-- it has 0 rows); the caller compares them with the expected count.
WITH snapshots AS (
    SELECT snapshot_date FROM {{ snapshots_of }}
    UNION
    SELECT snapshot_date FROM {{ batch }}
),
counted AS (
    SELECT snapshot_date, count(*) AS n FROM {{ batch }} GROUP BY ALL
)
SELECT s.snapshot_date, coalesce(c.n, 0) AS "rows"
FROM snapshots AS s
LEFT JOIN counted AS c ON c.snapshot_date IS NOT DISTINCT FROM s.snapshot_date
ORDER BY s.snapshot_date NULLS FIRST
