-- UCJ coverage per snapshot and province (the rollup is defined in rollups.sql),
-- for the snapshots of the temp table build_snapshots (cakupan/snapshots.py).
CREATE SCHEMA IF NOT EXISTS coverage;

CREATE TABLE IF NOT EXISTS coverage.coverage_by_province (
    snapshot_date DATE NOT NULL,
    province_code VARCHAR NOT NULL,
    province_name VARCHAR NOT NULL,
    regions BIGINT NOT NULL,
    regions_with_potential BIGINT NOT NULL,
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
    PRIMARY KEY (snapshot_date, province_code)
);
COMMENT ON TABLE coverage.coverage_by_province IS 'UCJ per membership snapshot and province: sums of its kab/kota; percentages from the sums over the kab/kota with a workforce potential (never averaged).';
COMMENT ON COLUMN coverage.coverage_by_province.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN coverage.coverage_by_province.province_code IS 'Kemendagri province code (PP).';
COMMENT ON COLUMN coverage.coverage_by_province.province_name IS 'Current Kemendagri name of the province.';
COMMENT ON COLUMN coverage.coverage_by_province.regions IS 'Kab/kota in the province.';
COMMENT ON COLUMN coverage.coverage_by_province.regions_with_potential IS 'Kab/kota with a workforce round (non-NULL potential).';
COMMENT ON COLUMN coverage.coverage_by_province.potential_pu IS 'Sum of potential_pu over the kab/kota that have one.';
COMMENT ON COLUMN coverage.coverage_by_province.potential_bpu IS 'Sum of potential_bpu over the kab/kota that have one.';
COMMENT ON COLUMN coverage.coverage_by_province.potential_total IS 'Sum of potential_total over the kab/kota that have one.';
COMMENT ON COLUMN coverage.coverage_by_province.covered_pu IS 'Sum of covered_pu over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_by_province.covered_bpu IS 'Sum of covered_bpu over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_by_province.covered_jakon IS 'Sum of covered_jakon over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_by_province.covered_pmi IS 'Sum of covered_pmi over all kab/kota (not part of covered_total).';
COMMENT ON COLUMN coverage.coverage_by_province.covered_total IS 'Sum of covered_total over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_by_province.coverage_pct IS '100 x covered_total / potential_total over the kab/kota with a potential, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_by_province.pu_coverage_pct IS '100 x covered_pu / potential_pu over the kab/kota with a potential, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_by_province.bpu_coverage_pct IS '100 x covered_bpu / potential_bpu over the kab/kota with a potential, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_by_province.uncovered IS 'max(potential_total - covered_total of the kab/kota with a potential, 0).';

DELETE FROM coverage.coverage_by_province
WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
   OR snapshot_date NOT IN (SELECT snapshot_date FROM found_snapshots);

INSERT INTO coverage.coverage_by_province BY NAME
SELECT * EXCLUDE (is_national, covered_total_with_potential, covered_pu_with_potential,
                  covered_bpu_with_potential)
FROM coverage_rollups
WHERE NOT is_national
ORDER BY snapshot_date, province_code;
