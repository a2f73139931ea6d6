-- (round, kab/kota) pairs without a row: every current kab/kota against every round.
SELECT p.reference_period, r.code AS region_code, r.name AS region_name
FROM (SELECT DISTINCT reference_period FROM {{ batch }}) AS p
CROSS JOIN reference.regencies AS r
WHERE NOT EXISTS (
    SELECT 1 FROM {{ batch }} AS w
    WHERE w.reference_period = p.reference_period AND w.region_code = r.code
)
ORDER BY 1, 2
