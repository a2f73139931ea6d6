-- Membership: a file where more than 1% of the rows have an invalid NIK (not 16 digits) is
-- rejected, naming its first $max_quoted lines (rows of a Parquet file), never a value.
-- Over `file_rows` (accepted rows of one or more files, raw.membership's columns).
WITH f AS (
    SELECT source_file,
           count(*) AS total,
           count(*) FILTER (WHERE NOT nik_valid) AS invalid,
           list(source_line ORDER BY source_line) FILTER (WHERE NOT nik_valid) AS lines
    FROM file_rows
    GROUP BY source_file
)
SELECT
    source_file,
    CAST(NULL AS BIGINT) AS line,
    'nik' AS "column",
    '' AS value,
    format('{} of {} rows ({:.2f}%) have an invalid NIK (not 16 digits); at most 1% is '
           || 'accepted ({}s {}{})',
           invalid, total, 100 * invalid / total,
           line_word(source_file),
           array_to_string(lines[1:$max_quoted], ', '),
           CASE WHEN invalid > $max_quoted THEN ' …' ELSE '' END) AS reason
FROM f
WHERE invalid > 0.01 * total
