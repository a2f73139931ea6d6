-- Snapshots whose national covered_total (the sum of {{ batch }}) is not the number of
-- distinct covered persons (PMI-only excluded) plus the PU, BPU and JAKON counts of the
-- regions without participant rows; staging is read for the validated snapshots only.
SELECT b.snapshot_date, b.covered_total, coalesce(p.persons, 0) AS covered_persons
FROM (
    SELECT snapshot_date, sum(covered_total) AS covered_total FROM {{ batch }} GROUP BY snapshot_date
) AS b
LEFT JOIN (
    SELECT snapshot_date, sum(persons) AS persons
    FROM (
        SELECT snapshot_date, count(DISTINCT person_key) AS persons
        FROM staging.membership
        WHERE is_covered AND segment IN ('PU', 'BPU', 'JAKON')
            AND snapshot_date IN (SELECT snapshot_date FROM {{ batch }})
        GROUP BY snapshot_date
        UNION ALL
        SELECT snapshot_date, sum(covered)
        FROM staging.membership_counts AS c
        WHERE segment IN ('PU', 'BPU', 'JAKON')
            AND c.snapshot_date IN (SELECT snapshot_date FROM {{ batch }})
            AND NOT EXISTS (
                SELECT 1 FROM staging.membership AS m
                WHERE m.snapshot_date = c.snapshot_date AND m.region_code = c.region_code
            )
        GROUP BY snapshot_date
    )
    GROUP BY snapshot_date
) AS p USING (snapshot_date)
WHERE b.covered_total IS DISTINCT FROM coalesce(p.persons, 0)
