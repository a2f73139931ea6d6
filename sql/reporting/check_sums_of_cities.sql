-- Published check: rows of reporting.{table} that are not the sums of their kab/kota in
-- reporting.coverage_by_city (potentials summed over the kab/kota that have one, covered
-- counts over all), and rollups missing on either side; `differs` names the columns.
WITH cities AS (
    SELECT
        {key},
        count(*) AS regions,
        count(potential_total) AS regions_with_potential,
        sum(potential_pu) AS potential_pu,
        sum(potential_bpu) AS potential_bpu,
        sum(potential_total) AS potential_total,
        sum(covered_pu) AS covered_pu,
        sum(covered_bpu) AS covered_bpu,
        sum(covered_jakon) AS covered_jakon,
        sum(covered_pmi) AS covered_pmi,
        sum(covered_total) AS covered_total
    FROM reporting.coverage_by_city
    GROUP BY ALL
),
compared AS (
    SELECT
        {key},
        concat_ws(
            ', ',
            CASE WHEN c.regions IS DISTINCT FROM r.regions THEN 'regions' END,
            CASE WHEN c.regions_with_potential IS DISTINCT FROM r.regions_with_potential
                 THEN 'regions_with_potential' END,
            CASE WHEN c.potential_pu IS DISTINCT FROM r.potential_pu THEN 'potential_pu' END,
            CASE WHEN c.potential_bpu IS DISTINCT FROM r.potential_bpu THEN 'potential_bpu' END,
            CASE WHEN c.potential_total IS DISTINCT FROM r.potential_total
                 THEN 'potential_total' END,
            CASE WHEN c.covered_pu IS DISTINCT FROM r.covered_pu THEN 'covered_pu' END,
            CASE WHEN c.covered_bpu IS DISTINCT FROM r.covered_bpu THEN 'covered_bpu' END,
            CASE WHEN c.covered_jakon IS DISTINCT FROM r.covered_jakon THEN 'covered_jakon' END,
            CASE WHEN c.covered_pmi IS DISTINCT FROM r.covered_pmi THEN 'covered_pmi' END,
            CASE WHEN c.covered_total IS DISTINCT FROM r.covered_total THEN 'covered_total' END
        ) AS differs
    FROM cities AS c
    FULL JOIN reporting.{table} AS r USING ({key})
)
SELECT * FROM compared WHERE differs <> '' ORDER BY ALL
