-- Membership counts for a (snapshot, kab/kota) that has participant rows (any row of
-- raw.membership, whatever its status): counts are only for regions without them.
SELECT
    p.line,
    'region_code' AS "column",
    p.region_code_raw AS value,
    'snapshot ' || p.snapshot_date || ', region ' || p.region_code
        || ' has participant rows in membership/ (' || m.source_file
        || '): counts are used only where there are none' AS reason
FROM parsed AS p
JOIN (
    SELECT snapshot_date, region_code, min(source_file) AS source_file
    FROM raw.membership
    GROUP BY ALL
) AS m USING (snapshot_date, region_code)
ORDER BY p.line
LIMIT $max_quoted
