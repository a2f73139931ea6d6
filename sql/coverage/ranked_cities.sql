-- The kab/kota of the latest snapshot of {table} (coverage.coverage_by_city or the published
-- reporting.coverage_by_city) from the highest coverage to the lowest, as rank_national
-- orders them, ties broken by the exact ratio covered_total / potential_total (compared as
-- floor(covered_total x 10^28 / potential_total): exact for potentials below 10^9), then
-- by code. The one order of the CLI's summary and of the coverage asset's previews; the
-- kab/kota without a potential have no rank and are left out. `place` is 1 for the highest.
SELECT
    row_number() OVER (
        ORDER BY rank_national,
                 CAST(covered_total AS HUGEINT) * CAST('10000000000000000000000000000' AS HUGEINT)
                     // potential_total DESC,
                 region_code
    ) AS place,
    region_code, region_name, potential_total, covered_total, coverage_pct, rank_national
FROM {table}
WHERE snapshot_date = (SELECT max(snapshot_date) FROM {table})
  AND rank_national IS NOT NULL
ORDER BY place
