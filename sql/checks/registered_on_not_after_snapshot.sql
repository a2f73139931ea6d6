-- Memberships registered after their snapshot.
SELECT snapshot_date, segment, region_code, registered_on
FROM {{ batch }}
WHERE registered_on > snapshot_date
ORDER BY snapshot_date, region_code, registered_on
