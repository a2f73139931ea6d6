-- Province and national rollups of coverage.coverage_by_city, defined once for both.
-- Potentials are summed over the regions that have one; covered counts over all regions;
-- uncovered and the percentages come from the sums over the regions with a potential
-- (never averaged). Only the snapshots of the temp table build_snapshots (each snapshot is
-- rolled up on its own, so this gives the rows a rollup of all snapshots gives them).
CREATE OR REPLACE TEMP VIEW coverage_rollups AS
WITH sums AS (
    SELECT
        snapshot_date,
        province_code,
        any_value(province_name) AS province_name,
        grouping(province_code) = 1 AS is_national,
        count(*) AS regions,
        count(potential_total) AS regions_with_potential,
        CAST(sum(potential_pu) AS BIGINT) AS potential_pu,
        CAST(sum(potential_bpu) AS BIGINT) AS potential_bpu,
        CAST(sum(potential_total) AS BIGINT) AS potential_total,
        CAST(sum(covered_pu) AS BIGINT) AS covered_pu,
        CAST(sum(covered_bpu) AS BIGINT) AS covered_bpu,
        CAST(sum(covered_jakon) AS BIGINT) AS covered_jakon,
        CAST(sum(covered_pmi) AS BIGINT) AS covered_pmi,
        CAST(sum(covered_total) AS BIGINT) AS covered_total,
        CAST(sum(covered_total) FILTER (WHERE potential_total IS NOT NULL) AS BIGINT)
            AS covered_total_with_potential,
        CAST(sum(covered_pu) FILTER (WHERE potential_total IS NOT NULL) AS BIGINT)
            AS covered_pu_with_potential,
        CAST(sum(covered_bpu) FILTER (WHERE potential_total IS NOT NULL) AS BIGINT)
            AS covered_bpu_with_potential
    FROM coverage.coverage_by_city
    WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
    GROUP BY GROUPING SETS ((snapshot_date, province_code), (snapshot_date))
)
SELECT
    *,
    coverage_pct(covered_total_with_potential, potential_total) AS coverage_pct,
    coverage_pct(covered_pu_with_potential, potential_pu) AS pu_coverage_pct,
    coverage_pct(covered_bpu_with_potential, potential_bpu) AS bpu_coverage_pct,
    uncovered(potential_total, covered_total_with_potential) AS uncovered
FROM sums;
