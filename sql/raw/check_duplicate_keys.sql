-- Workforce: the same (period, kab/kota, segment) twice in one file, under any code of the
-- kab/kota (61.72 and 6172): the later row is rejected, naming the first ($unit: line or row).
SELECT
    lines[2] AS line,
    'region_code' AS "column",
    codes[2] AS value,
    'duplicate of ' || $unit || ' ' || lines[1] || ': period ' || reference_period
        || ', region ' || region_code || ', segment ' || segment || ' appear twice in one file'
        AS reason
FROM (
    SELECT reference_period, region_code, segment,
           list(line ORDER BY line) AS lines, list(region_code_raw ORDER BY line) AS codes
    FROM parsed
    WHERE level = 'kabkota' AND err_reference_period IS NULL AND err_segment IS NULL
    GROUP BY reference_period, region_code, segment
    HAVING count(*) > 1
)
ORDER BY lines[1]
LIMIT $max_quoted
