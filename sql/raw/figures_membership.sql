-- Figures of an accepted membership file (`parsed`), for the asset's metadata and the log.
SELECT
    count(*) FILTER (WHERE NOT nik_valid) AS invalid_nik,
    $unit || 's ' || array_to_string((list(line ORDER BY line) FILTER (WHERE NOT nik_valid))
        [1:$max_quoted], ', ')
        || CASE WHEN count(*) FILTER (WHERE NOT nik_valid) > $max_quoted THEN ' …' ELSE '' END
        AS invalid_nik_lines,
    count(*) - (SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (line) FROM parsed))
        AS duplicate_rows,
    coalesce(sum(unknown_programs), 0) AS unknown_programs
FROM parsed
