-- UCJ coverage per snapshot, all Indonesia (the rollup is defined in rollups.sql),
-- for the snapshots of the temp table build_snapshots (cakupan/snapshots.py).
CREATE SCHEMA IF NOT EXISTS coverage;

CREATE TABLE IF NOT EXISTS coverage.coverage_national (
    snapshot_date DATE NOT NULL,
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
    PRIMARY KEY (snapshot_date)
);
COMMENT ON TABLE coverage.coverage_national IS 'UCJ per membership snapshot for all Indonesia: sums of all kab/kota; percentages from the sums over the kab/kota with a workforce potential (never averaged).';
COMMENT ON COLUMN coverage.coverage_national.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN coverage.coverage_national.regions IS 'Kab/kota in Indonesia (514).';
COMMENT ON COLUMN coverage.coverage_national.regions_with_potential IS 'Kab/kota with a workforce round (non-NULL potential).';
COMMENT ON COLUMN coverage.coverage_national.potential_pu IS 'Sum of potential_pu over the kab/kota that have one.';
COMMENT ON COLUMN coverage.coverage_national.potential_bpu IS 'Sum of potential_bpu over the kab/kota that have one.';
COMMENT ON COLUMN coverage.coverage_national.potential_total IS 'Sum of potential_total over the kab/kota that have one.';
COMMENT ON COLUMN coverage.coverage_national.covered_pu IS 'Sum of covered_pu over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_national.covered_bpu IS 'Sum of covered_bpu over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_national.covered_jakon IS 'Sum of covered_jakon over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_national.covered_pmi IS 'Sum of covered_pmi over all kab/kota (not part of covered_total).';
COMMENT ON COLUMN coverage.coverage_national.covered_total IS 'Sum of covered_total over all kab/kota.';
COMMENT ON COLUMN coverage.coverage_national.coverage_pct IS '100 x covered_total / potential_total over the kab/kota with a potential, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_national.pu_coverage_pct IS '100 x covered_pu / potential_pu over the kab/kota with a potential, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_national.bpu_coverage_pct IS '100 x covered_bpu / potential_bpu over the kab/kota with a potential, 2 decimals.';
COMMENT ON COLUMN coverage.coverage_national.uncovered IS 'max(potential_total - covered_total of the kab/kota with a potential, 0).';

DELETE FROM coverage.coverage_national
WHERE snapshot_date IN (SELECT snapshot_date FROM build_snapshots)
   OR snapshot_date NOT IN (SELECT snapshot_date FROM found_snapshots);

INSERT INTO coverage.coverage_national BY NAME
SELECT * EXCLUDE (is_national, province_code, province_name, covered_total_with_potential,
                  covered_pu_with_potential, covered_bpu_with_potential)
FROM coverage_rollups
WHERE is_national
