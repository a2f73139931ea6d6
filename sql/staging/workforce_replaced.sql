-- For the log of staging/workforce: which workforce file replaces values of which earlier
-- one (a later file in byte-wise name order wins), and how many values.
SELECT e.source_file, l.source_file, count(*)
FROM raw.workforce AS e JOIN raw.workforce AS l
  USING (reference_period, region_code, segment)
WHERE l.file_seq > e.file_seq
GROUP BY ALL ORDER BY ALL
