-- UCJ coverage per snapshot and kab/kota: all 514 current regions for every snapshot
-- (counting rules 5-10 of docs/counting_rules.md; rules 1-4 are in staging/membership.sql).
-- A (snapshot, region) without participant rows takes its covered persons from
-- staging.membership_counts (covered_total = PU + BPU + JAKON); `source` says which.
-- Partitioned by snapshot (cakupan/snapshots.py): rebuilds the snapshots of the temp table
-- build_snapshots and deletes those not in found_snapshots, in one transaction. Every
-- figure is per snapshot (ranks included), so a snapshot rebuilt alone gets the rows a
-- build of all snapshots gives it.
CREATE SCHEMA IF NOT EXISTS coverage;
CREATE TABLE IF NOT EXISTS staging.membership_counts (
    snapshot_date DATE, region_code VARCHAR, segment VARCHAR, covered BIGINT,
    source_file VARCHAR, source_line BIGINT
);

CREATE TABLE IF NOT EXISTS coverage.coverage_by_city (
    snapshot_date DATE NOT NULL,
    region_code VARCHAR NOT NULL,
    region_name VARCHAR NOT NULL,
    province_code VARCHAR NOT NULL,
    province_name VARCHAR NOT NULL,
    workforce_period VARCHAR,
    potential_pu BIGINT,
    potential_bpu BIGINT,
    potential_total BIGINT,
    covered_pu BIGINT NOT NULL,
    covered_bpu BIGINT NOT NULL,
    covered_jakon BIGINT NOT NULL,
    covered_pmi BIGINT NOT NULL,
    covered_total BIGINT NOT NULL,
    coverage_pct DOUBLE,
    pu_coverage_pct DOUBLE,
    bpu_coverage_pct DOUBLE,
    uncovered BIGINT,
    target_pct DOUBLE,
    workers_to_target BIGINT,
    rank_in_province BIGINT,
    rank_national BIGINT,
    source VARCHAR,
    PRIMARY KEY (snapshot_date, region_code)
);
COMMENT ON TABLE coverage.coverage_by_city IS 'Universal Coverage Jamsostek (UCJ) per membership snapshot and kab/kota: every one of the 514 current Kemendagri kab/kota for every snapshot.';
COMMENT ON COLUMN coverage.coverage_by_city.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN coverage.coverage_by_city.region_code IS 'Kemendagri kab/kota code (PP.KK), current numbering.';
COMMENT ON COLUMN coverage.coverage_by_city.region_name IS 'Current Kemendagri name of the kab/kota.';
COMMENT ON COLUMN coverage.coverage_by_city.province_code IS 'Kemendagri province code (PP).';
COMMENT ON COLUMN coverage.coverage_by_city.province_name IS 'Current Kemendagri name of the province.';
COMMENT ON COLUMN coverage.coverage_by_city.workforce_period IS 'Sakernas round used (YYYY-MM): the latest not later than the snapshot month with both PU and BPU present; NULL when none.';
COMMENT ON COLUMN coverage.coverage_by_city.potential_pu IS 'Potential wage earners (PU) in that round.';
COMMENT ON COLUMN coverage.coverage_by_city.potential_bpu IS 'Potential non-wage workers (BPU) in that round.';
COMMENT ON COLUMN coverage.coverage_by_city.potential_total IS 'potential_pu + potential_bpu.';
COMMENT ON COLUMN coverage.coverage_by_city.covered_pu IS 'Distinct persons covered in PU (active, with JKK and JKM) whose PU region is this one.';
COMMENT ON COLUMN coverage.coverage_by_city.covered_bpu IS 'Distinct persons covered in BPU whose BPU region is this one.';
COMMENT ON COLUMN coverage.coverage_by_city.covered_jakon IS 'Distinct persons covered in JAKON (construction) whose JAKON region is this one.';
COMMENT ON COLUMN coverage.coverage_by_city.covered_pmi IS 'Distinct migrant workers (PMI) covered whose PMI region is this one; not part of covered_total.';
COMMENT ON COLUMN coverage.coverage_by_city.covered_total IS 'Distinct covered persons whose home region is this one (PU region, else BPU, else JAKON): each person counts once nationally.';
COMMENT ON COLUMN coverage.coverage_by_city.coverage_pct IS 'UCJ %: 100 x covered_total / potential_total, 2 decimals; NULL when the potential is NULL or 0; not capped.';
COMMENT ON COLUMN coverage.coverage_by_city.pu_coverage_pct IS '100 x covered_pu / potential_pu, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_by_city.bpu_coverage_pct IS '100 x covered_bpu / potential_bpu, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_by_city.uncovered IS 'max(potential_total - covered_total, 0).';
COMMENT ON COLUMN coverage.coverage_by_city.target_pct IS 'UCJ target for the snapshot''s year, in percent (NULL when none).';
COMMENT ON COLUMN coverage.coverage_by_city.workers_to_target IS 'Covered persons still needed to reach the target: max(ceil(target_pct x potential_total / 100) - covered_total, 0).';
COMMENT ON COLUMN coverage.coverage_by_city.rank_in_province IS 'RANK() within the province by covered_total / potential_total (unrounded), highest first; regions with potential_total > 0 only.';
COMMENT ON COLUMN coverage.coverage_by_city.rank_national IS 'RANK() among all kab/kota by covered_total / potential_total (unrounded), highest first; regions with potential_total > 0 only.';
COMMENT ON COLUMN coverage.coverage_by_city.source IS 'Where the covered counts come from: participants (membership/ rows of the region and snapshot), counts (membership_counts/, for a region without participant rows) or NULL when neither has the region.';

DELETE FROM coverage.coverage_by_city
WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
   OR snapshot_date NOT IN (SELECT snapshot_date FROM found_snapshots);

INSERT INTO coverage.coverage_by_city
WITH
grid AS (  -- every current kab/kota for every snapshot
    SELECT s.snapshot_date, strftime(s.snapshot_date, '%Y-%m') AS snapshot_month,
           r.code AS region_code, r.name AS region_name,
           p.code AS province_code, p.name AS province_name
    FROM (
        SELECT DISTINCT snapshot_date FROM staging.membership
        WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
        UNION
        SELECT DISTINCT snapshot_date FROM staging.membership_counts
        WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
    ) AS s
    CROSS JOIN reference.regencies AS r
    JOIN reference.provinces AS p ON p.code = r.province_code
),
with_round AS (
    SELECT g.*, w.reference_period AS workforce_period, w.potential_pu, w.potential_bpu,
           w.potential_pu + w.potential_bpu AS potential_total
    FROM grid AS g
    ASOF LEFT JOIN workforce_rounds AS w  -- rule 7 (coverage/rounds.sql)
        ON w.region_code = g.region_code AND w.reference_period <= g.snapshot_month
),
participants AS (  -- (snapshot, region) with participant rows
    SELECT DISTINCT snapshot_date, region_code FROM staging.membership
    WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
),
counts AS (  -- counts of the (snapshot, region) without participant rows
    SELECT c.snapshot_date, c.region_code,
           coalesce(sum(covered) FILTER (WHERE segment = 'PU'), 0) AS covered_pu,
           coalesce(sum(covered) FILTER (WHERE segment = 'BPU'), 0) AS covered_bpu,
           coalesce(sum(covered) FILTER (WHERE segment = 'JAKON'), 0) AS covered_jakon,
           coalesce(sum(covered) FILTER (WHERE segment = 'PMI'), 0) AS covered_pmi
    FROM staging.membership_counts AS c
    ANTI JOIN participants AS p USING (snapshot_date, region_code)
    WHERE c.snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
    GROUP BY c.snapshot_date, c.region_code
),
by_segment AS (  -- rule 6: distinct covered persons by segment region
    SELECT snapshot_date, region_code, covered_pu, covered_bpu, covered_jakon, covered_pmi
    FROM counts
    UNION ALL
    SELECT snapshot_date, region_code,
           count(*) FILTER (WHERE segment = 'PU') AS covered_pu,
           count(*) FILTER (WHERE segment = 'BPU') AS covered_bpu,
           count(*) FILTER (WHERE segment = 'JAKON') AS covered_jakon,
           count(*) FILTER (WHERE segment = 'PMI') AS covered_pmi
    FROM staging.membership
    WHERE is_covered AND snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
    GROUP BY snapshot_date, region_code
),
homes AS (  -- rule 5: home region = PU region, else BPU, else JAKON; PMI never
    SELECT snapshot_date, person_key,
           arg_min(region_code, CASE segment WHEN 'PU' THEN 1 WHEN 'BPU' THEN 2 ELSE 3 END)
               AS region_code
    FROM staging.membership
    WHERE is_covered AND segment IN ('PU', 'BPU', 'JAKON') AND snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
    GROUP BY snapshot_date, person_key
),
by_home AS (
    SELECT snapshot_date, region_code, count(*) AS covered_total
    FROM homes
    GROUP BY snapshot_date, region_code
    UNION ALL  -- people in two segments cannot be recognised in counts
    SELECT snapshot_date, region_code, covered_pu + covered_bpu + covered_jakon FROM counts
),
counted AS (
    SELECT r.*,
           coalesce(s.covered_pu, 0) AS covered_pu,
           coalesce(s.covered_bpu, 0) AS covered_bpu,
           coalesce(s.covered_jakon, 0) AS covered_jakon,
           coalesce(s.covered_pmi, 0) AS covered_pmi,
           coalesce(h.covered_total, 0) AS covered_total,
           t.target_pct,
           CASE
               WHEN p.region_code IS NOT NULL THEN 'participants'
               WHEN n.region_code IS NOT NULL THEN 'counts'
           END AS source
    FROM with_round AS r
    LEFT JOIN participants AS p USING (snapshot_date, region_code)
    LEFT JOIN counts AS n USING (snapshot_date, region_code)
    LEFT JOIN by_segment AS s USING (snapshot_date, region_code)
    LEFT JOIN by_home AS h USING (snapshot_date, region_code)
    LEFT JOIN staging.targets AS t
        ON t.region_code = r.region_code AND t.year = year(r.snapshot_date)
),
ranked AS (  -- rule 10: among regions with potential_total > 0, by the unrounded ratio
    SELECT snapshot_date, region_code,
           rank() OVER (PARTITION BY snapshot_date, province_code
                        ORDER BY covered_total / potential_total DESC) AS rank_in_province,
           rank() OVER (PARTITION BY snapshot_date
                        ORDER BY covered_total / potential_total DESC) AS rank_national
    FROM counted
    WHERE potential_total > 0
)
SELECT
    c.snapshot_date, c.region_code, c.region_name, c.province_code, c.province_name,
    c.workforce_period, c.potential_pu, c.potential_bpu, c.potential_total,
    c.covered_pu, c.covered_bpu, c.covered_jakon, c.covered_pmi, c.covered_total,
    coverage_pct(c.covered_total, c.potential_total),
    coverage_pct(c.covered_pu, c.potential_pu),
    coverage_pct(c.covered_bpu, c.potential_bpu),
    uncovered(c.potential_total, c.covered_total),
    CAST(c.target_pct AS DOUBLE),
    workers_to_target(c.target_pct, c.potential_total, c.covered_total),
    k.rank_in_province, k.rank_national, c.source
FROM counted AS c
LEFT JOIN ranked AS k USING (snapshot_date, region_code)
ORDER BY c.snapshot_date, c.region_code;
