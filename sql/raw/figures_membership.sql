-- Figures of accepted membership files, one row per file, over `file_rows` (raw.membership's
-- columns), for the asset's metadata and the log.
SELECT
    source_file,
    count(*) FILTER (WHERE NOT nik_valid) AS invalid_nik,
    line_word(source_file) || 's '
        || array_to_string((list(source_line ORDER BY source_line) FILTER (WHERE NOT nik_valid))
            [1:$max_quoted], ', ')
        || CASE WHEN count(*) FILTER (WHERE NOT nik_valid) > $max_quoted THEN ' …' ELSE '' END
        AS invalid_nik_lines,
    coalesce(sum(unknown_programs), 0) AS unknown_programs
FROM file_rows
GROUP BY source_file
