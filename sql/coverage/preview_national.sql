-- Preview of coverage.coverage_national in the UI: every snapshot.
SELECT snapshot_date, regions, regions_with_potential, potential_total, covered_total,
       covered_pmi, coverage_pct, pu_coverage_pct, bpu_coverage_pct, uncovered
FROM coverage.coverage_national ORDER BY snapshot_date
