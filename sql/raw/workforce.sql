-- Accepted rows of every workforce file. Ingest loads them into raw.workforce_loading (this
-- file with raw.workforce renamed) and puts that in the place of raw.workforce when no file
-- is rejected (else drops it: the previous load stays).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE raw.workforce (
    source_file VARCHAR,
    file_seq INTEGER,
    source_line BIGINT,
    reference_period VARCHAR,
    region_code_raw VARCHAR,
    region_code VARCHAR,
    segment VARCHAR,
    potential_workers BIGINT
);
COMMENT ON TABLE raw.workforce IS 'Workforce estimates (BPS Sakernas) per kab/kota, period and segment, as read from every accepted file; province and national totals skipped.';
COMMENT ON COLUMN raw.workforce.source_file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN raw.workforce.file_seq IS 'Position of the file in byte-wise name order (a later file replaces an earlier one).';
COMMENT ON COLUMN raw.workforce.source_line IS 'Line in the CSV file (header is line 1), or row in the Parquet file (first row is 1).';
COMMENT ON COLUMN raw.workforce.reference_period IS 'Sakernas round, YYYY-MM.';
COMMENT ON COLUMN raw.workforce.region_code_raw IS 'Region code as written in the file (Kemendagri or BPS).';
COMMENT ON COLUMN raw.workforce.region_code IS 'Today''s Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN raw.workforce.segment IS 'PU (wage earners) or BPU (non-wage workers).';
COMMENT ON COLUMN raw.workforce.potential_workers IS 'Potential workers; NULL when missing in the file.';
