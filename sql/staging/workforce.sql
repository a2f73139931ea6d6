-- One potential per (period, kab/kota, segment): a later file (byte-wise name order)
-- replaces the value of an earlier one, a missing value included.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE OR REPLACE TABLE staging.workforce AS
SELECT reference_period, region_code, segment, potential_workers, source_file, source_line
FROM raw.workforce
QUALIFY row_number() OVER (
    PARTITION BY reference_period, region_code, segment ORDER BY file_seq DESC, source_line DESC
) = 1
ORDER BY reference_period, region_code, segment;

COMMENT ON TABLE staging.workforce IS 'Potential workers per Sakernas round, kab/kota and segment, after later files replaced earlier ones.';
COMMENT ON COLUMN staging.workforce.reference_period IS 'Sakernas round, YYYY-MM.';
COMMENT ON COLUMN staging.workforce.region_code IS 'Kemendagri kab/kota code (PP.KK).';
COMMENT ON COLUMN staging.workforce.segment IS 'PU (wage earners) or BPU (non-wage workers).';
COMMENT ON COLUMN staging.workforce.potential_workers IS 'Potential workers; NULL when missing.';
COMMENT ON COLUMN staging.workforce.source_file IS 'Landing file the value comes from.';
COMMENT ON COLUMN staging.workforce.source_line IS 'Line of that file.';
