-- Membership counts for a (snapshot, kab/kota) that has participant rows (any row of
-- raw.membership, whatever its status): counts are only for regions without them. Over
-- `file_rows` (accepted rows of one or more files, raw.membership_counts's columns);
-- $max_quoted per file.
SELECT source_file, line, "column", value, reason
FROM (
    SELECT
        p.source_file,
        p.source_line AS line,
        'region_code' AS "column",
        p.region_code_raw AS value,
        'snapshot ' || p.snapshot_date || ', region ' || p.region_code
            || ' has participant rows in membership/ (' || m.source_file
            || '): counts are used only where there are none' AS reason,
        row_number() OVER (PARTITION BY p.source_file ORDER BY p.source_line) AS n
    FROM file_rows AS p
    JOIN (
        SELECT snapshot_date, region_code, min(source_file) AS source_file
        FROM raw.membership
        GROUP BY ALL
    ) AS m USING (snapshot_date, region_code)
)
WHERE n <= $max_quoted
