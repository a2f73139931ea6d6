-- Membership: a file where more than 1% of the rows have an invalid NIK (not 16 digits) is
-- rejected. The rejection names the first $max_quoted lines ($unit: line or row), never a value.
WITH f AS (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE NOT nik_valid) AS invalid,
           list(line ORDER BY line) FILTER (WHERE NOT nik_valid) AS lines
    FROM parsed
)
SELECT
    CAST(NULL AS BIGINT) AS line,
    'nik' AS "column",
    '' AS value,
    format('{} of {} rows ({:.2f}%) have an invalid NIK (not 16 digits); at most 1% is '
           || 'accepted ({}s {}{})',
           invalid, total, 100 * invalid / total, $unit,
           array_to_string(lines[1:$max_quoted], ', '),
           CASE WHEN invalid > $max_quoted THEN ' …' ELSE '' END) AS reason
FROM f
WHERE invalid > 0.01 * total
