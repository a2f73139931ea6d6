-- The checks recorded in quality.validation_results, as `cakupan` prints them: all of
-- them ($runs NULL: the published file's record), or only those of the Dagster runs $runs
-- (the warehouse after a run that published nothing: tables it did not reach keep an
-- earlier run's results). Parameter: $runs VARCHAR[] or NULL.
SELECT replace(table_name, '.', '/'), expectation, severity, success,
       CAST(snapshot_date AS VARCHAR), observed_value
FROM quality.validation_results
WHERE CAST($runs AS VARCHAR[]) IS NULL OR list_contains(CAST($runs AS VARCHAR[]), run_id)
ORDER BY ALL
