-- Workforce: the same (period, kab/kota, segment) twice in one file, under any code of the
-- kab/kota (61.72 and 6172): the later row is rejected, naming the first. Over `file_rows`
-- (accepted rows of one or more files, raw.workforce's columns); $max_quoted per file.
SELECT source_file, line, "column", value, reason
FROM (
    SELECT
        source_file,
        lines[2] AS line,
        'region_code' AS "column",
        codes[2] AS value,
        'duplicate of ' || line_word(source_file) || ' '
            || lines[1] || ': period ' || reference_period || ', region ' || region_code
            || ', segment ' || segment || ' appear twice in one file' AS reason,
        row_number() OVER (PARTITION BY source_file ORDER BY lines[1]) AS n
    FROM (
        SELECT source_file, reference_period, region_code, segment,
               list(source_line ORDER BY source_line) AS lines,
               list(region_code_raw ORDER BY source_line) AS codes
        FROM file_rows
        GROUP BY source_file, reference_period, region_code, segment
        HAVING count(*) > 1
    )
)
WHERE n <= $max_quoted
