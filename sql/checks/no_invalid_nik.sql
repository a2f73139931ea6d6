-- Membership rows whose NIK is not 16 digits (a flag computed at ingest): file and line.
SELECT source_file, source_line FROM {{ batch }} WHERE NOT nik_valid ORDER BY source_file, source_line
