-- Accepted rows of every targets file. Ingest loads them into raw.targets_loading (this
-- file with raw.targets renamed) and puts that in the place of raw.targets when no file
-- is rejected (else drops it: the previous load stays).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE raw.targets (
    source_file VARCHAR,
    file_seq INTEGER,
    source_line BIGINT,
    year INTEGER,
    region_code_raw VARCHAR,
    region_code VARCHAR,
    target_pct DECIMAL(5, 2)
);
COMMENT ON TABLE raw.targets IS 'UCJ coverage targets per year and kab/kota, from every accepted file.';
COMMENT ON COLUMN raw.targets.source_file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN raw.targets.file_seq IS 'Position of the file in byte-wise name order (a later file replaces an earlier one).';
COMMENT ON COLUMN raw.targets.source_line IS 'Line in the CSV file (header is line 1).';
COMMENT ON COLUMN raw.targets.year IS 'Target year.';
COMMENT ON COLUMN raw.targets.region_code_raw IS 'Region code as written in the file.';
COMMENT ON COLUMN raw.targets.region_code IS 'Today''s Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN raw.targets.target_pct IS 'Target coverage in percent (0-100, two decimals).';
