-- Preview of staging.membership in the UI: persons and covered persons per snapshot and
-- segment.
SELECT snapshot_date, segment, count(*) AS persons,
       count(*) FILTER (WHERE is_covered) AS covered
FROM staging.membership GROUP BY ALL ORDER BY ALL
