-- Accepted rows of every membership_counts file. Ingest loads them into raw.membership_counts_loading (this
-- file with raw.membership_counts renamed) and puts that in the place of raw.membership_counts when no file
-- is rejected (else drops it: the previous load stays).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE raw.membership_counts (
    source_file VARCHAR,
    file_seq INTEGER,
    source_line BIGINT,
    snapshot_date DATE,
    region_code_raw VARCHAR,
    region_code VARCHAR,
    segment VARCHAR,
    covered BIGINT
);
COMMENT ON TABLE raw.membership_counts IS 'Covered persons per snapshot, kab/kota and segment given as counts, from every accepted file.';
COMMENT ON COLUMN raw.membership_counts.source_file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN raw.membership_counts.file_seq IS 'Position of the file in byte-wise name order (a later file replaces an earlier one).';
COMMENT ON COLUMN raw.membership_counts.source_line IS 'Line in the CSV file (header is line 1), or row number in the Excel sheet.';
COMMENT ON COLUMN raw.membership_counts.snapshot_date IS 'Date of the membership snapshot.';
COMMENT ON COLUMN raw.membership_counts.region_code_raw IS 'Region code as written in the file.';
COMMENT ON COLUMN raw.membership_counts.region_code IS 'Today''s Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN raw.membership_counts.segment IS 'PU, BPU, JAKON or PMI.';
COMMENT ON COLUMN raw.membership_counts.covered IS 'Persons active with JKK and JKM in the segment.';
