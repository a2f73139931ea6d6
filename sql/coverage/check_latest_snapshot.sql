-- Freshness check: the latest membership snapshot in the coverage working table (NULL when
-- it has no row). Its age against today (Asia/Jakarta) is computed by assets/freshness.py.
SELECT max(snapshot_date) AS latest_snapshot FROM coverage.coverage_by_city
