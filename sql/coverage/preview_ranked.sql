-- Preview of coverage.coverage_by_city in the UI: the five kab/kota of the latest snapshot
-- with the highest coverage (order empty) or the lowest (order DESC), in the order of
-- ranked_cities.sql (formatted in: ranked).
SELECT * EXCLUDE (place) FROM ({ranked}) ORDER BY place {order} LIMIT 5
