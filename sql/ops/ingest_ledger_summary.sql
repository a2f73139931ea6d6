-- How many files of each kind one run recorded with each status (cakupan/ledger.py, for the
-- UI). Parameter: $run_id VARCHAR.
SELECT kind, status, count(*) FROM ops.ingest_ledger WHERE run_id = $run_id GROUP BY ALL ORDER BY ALL
