-- Preview of staging.workforce in the UI: per round, the kab/kota and the PU and BPU sums.
SELECT reference_period, count(DISTINCT region_code) AS regions,
       sum(potential_workers) FILTER (WHERE segment = 'PU') AS potential_pu,
       sum(potential_workers) FILTER (WHERE segment = 'BPU') AS potential_bpu
FROM staging.workforce GROUP BY ALL ORDER BY ALL
