-- Persons with more than one row in a (snapshot, segment), among those whose pseudonym falls
-- in its first sixteenth; counts only, the pseudonym is never selected.
SELECT snapshot_date, segment, count(*) AS rows
FROM {{ batch }}
WHERE person_key < CAST(1 AS UHUGEINT) << 124
GROUP BY snapshot_date, person_key, segment
HAVING count(*) > 1
ORDER BY snapshot_date, segment
