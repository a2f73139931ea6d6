-- Target rows whose kab/kota (where reference.region_codes maps the code) is not a current one.
SELECT source_file, source_line, year, region_code_raw, region_code
FROM {{ batch }}
WHERE region_code IS NULL OR region_code NOT IN (SELECT code FROM reference.regencies)
ORDER BY source_file, source_line
