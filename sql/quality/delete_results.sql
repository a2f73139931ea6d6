-- The results a new validation replaces: those of one table ($table), only of the
-- snapshots $days when given (a snapshot not validated again keeps its results; rows of a
-- table validated whole go too) and only of the checks $checks when given (a check
-- recorded on its own). Parameters: $table VARCHAR, $days VARCHAR[] or NULL,
-- $checks VARCHAR[] or NULL.
DELETE FROM quality.validation_results
WHERE table_name = $table
  AND (CAST($days AS VARCHAR[]) IS NULL
       OR snapshot_date IS NULL
       OR list_contains(CAST($days AS VARCHAR[]), CAST(snapshot_date AS VARCHAR)))
  AND (CAST($checks AS VARCHAR[]) IS NULL
       OR list_contains(CAST($checks AS VARCHAR[]), expectation));
