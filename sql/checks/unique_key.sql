-- Keys of {{ batch }} that are NULL or on more than one row.
SELECT {{ key | join(", ") }}, count(*) AS "rows"
FROM {{ batch }}
GROUP BY ALL
HAVING count(*) > 1 OR {{ key | join(" IS NULL OR ") }} IS NULL
ORDER BY ALL
