-- The same ({when}, kab/kota, {what}) twice in one file, under any code of the kab/kota
-- (61.72 and 6172): the later row is rejected, naming the first. Over `file_rows` (accepted
-- rows of one or more files, which passed the parse: no key is NULL); $max_quoted per file.
-- Filled with the key of a kind (`Extract.duplicate_key`): {when} and {what} are its
-- columns, {when_word} and {what_word} their words in the reason.
SELECT source_file, line, "column", value, reason
FROM (
    SELECT
        source_file,
        lines[2] AS line,
        'region_code' AS "column",
        codes[2] AS value,
        'duplicate of ' || line_word(source_file) || ' ' || lines[1] || ': {when_word} '
            || {when} || ', region ' || region_code || ', {what_word} ' || {what}
            || ' appear twice in one file' AS reason,
        row_number() OVER (PARTITION BY source_file ORDER BY lines[1]) AS n
    FROM (
        SELECT source_file, {when}, region_code, {what},
               list(source_line ORDER BY source_line) AS lines,
               list(region_code_raw ORDER BY source_line) AS codes
        FROM file_rows
        GROUP BY source_file, {when}, region_code, {what}
        HAVING count(*) > 1
    )
)
WHERE n <= $max_quoted
