-- Accepted rows of every targets file. Ingest fills {table} = raw.targets_loading and
-- renames it to raw.targets when no file is rejected (else drops it: the previous load stays).
CREATE SCHEMA IF NOT EXISTS raw;

CREATE OR REPLACE TABLE {table} (
    source_file VARCHAR,
    file_seq INTEGER,
    source_line BIGINT,
    year INTEGER,
    region_code_raw VARCHAR,
    region_code VARCHAR,
    target_pct DECIMAL(5, 2)
);
COMMENT ON TABLE {table} IS 'UCJ coverage targets per year and kab/kota, from every accepted file.';
COMMENT ON COLUMN {table}.source_file IS 'Landing file, relative to the landing folder.';
COMMENT ON COLUMN {table}.file_seq IS 'Position of the file in byte-wise name order (a later file replaces an earlier one).';
COMMENT ON COLUMN {table}.source_line IS 'Line in the CSV file (header is line 1).';
COMMENT ON COLUMN {table}.year IS 'Target year.';
COMMENT ON COLUMN {table}.region_code_raw IS 'Region code as written in the file.';
COMMENT ON COLUMN {table}.region_code IS 'Today''s Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN {table}.target_pct IS 'Target coverage in percent (0-100, two decimals).';
