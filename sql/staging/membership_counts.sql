-- One count per (snapshot, kab/kota, segment): a later file, or line, replaces an earlier one.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.membership_counts AS
SELECT snapshot_date, region_code, segment, covered, source_file, source_line
FROM latest_rows('raw.membership_counts', (snapshot_date, region_code, segment))
ORDER BY snapshot_date, region_code, segment;

COMMENT ON TABLE staging.membership_counts IS 'Covered persons given as counts per snapshot, kab/kota and segment (for regions without participant rows).';
COMMENT ON COLUMN staging.membership_counts.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN staging.membership_counts.region_code IS 'Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN staging.membership_counts.segment IS 'PU, BPU, JAKON or PMI.';
COMMENT ON COLUMN staging.membership_counts.covered IS 'Persons active with JKK and JKM in the segment.';
COMMENT ON COLUMN staging.membership_counts.source_file IS 'Landing file the value comes from.';
COMMENT ON COLUMN staging.membership_counts.source_line IS 'Line (CSV) or row (Excel) of that file.';
