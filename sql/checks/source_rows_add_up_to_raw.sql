-- Snapshots where staging's source_rows do not add up to raw.membership's rows with a valid NIK.
SELECT s.snapshot_date, s.source_rows, coalesce(r.raw_rows, 0) AS raw_rows
FROM (
    SELECT snapshot_date, sum(source_rows) AS source_rows FROM {{ batch }} GROUP BY snapshot_date
) AS s
LEFT JOIN (
    SELECT snapshot_date, count(*) AS raw_rows
    FROM raw.membership
    WHERE nik_valid AND snapshot_date IN (SELECT DISTINCT snapshot_date FROM {{ batch }})
    GROUP BY snapshot_date
) AS r USING (snapshot_date)
WHERE s.source_rows IS DISTINCT FROM coalesce(r.raw_rows, 0)
ORDER BY s.snapshot_date
