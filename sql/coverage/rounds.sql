-- Rule 7: the Sakernas rounds in which a kab/kota has both its PU and BPU potential. A
-- snapshot takes, per kab/kota, the latest of them not later than its month (an ASOF join),
-- in coverage_by_city.sql and in the snapshot fingerprints (ops/snapshot_inputs.sql).
CREATE OR REPLACE TEMP VIEW workforce_rounds AS
SELECT region_code, reference_period,
       max(potential_workers) FILTER (WHERE segment = 'PU') AS potential_pu,
       max(potential_workers) FILTER (WHERE segment = 'BPU') AS potential_bpu
FROM staging.workforce
GROUP BY region_code, reference_period
HAVING potential_pu IS NOT NULL AND potential_bpu IS NOT NULL;
