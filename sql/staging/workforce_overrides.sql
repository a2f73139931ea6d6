-- For the log of staging/workforce: which workforce/ file gives values that a Sakernas file
-- also gives (the workforce/ value wins), and how many.
SELECT w.source_file, s.source_file, count(*)
FROM staging.workforce AS w JOIN staging.sakernas_potentials AS s
  USING (reference_period, region_code, segment)
WHERE w.source_line IS NOT NULL
  AND w.potential_workers IS NOT NULL AND s.potential_workers IS NOT NULL
GROUP BY ALL ORDER BY ALL
