-- Published check: keys of reporting.{table} that are NULL or on more than one row.
SELECT {key}, count(*) AS "rows"
FROM reporting.{table}
GROUP BY ALL
HAVING count(*) > 1 OR {null_key}
ORDER BY ALL
